"""Search grids over ``optimizer=`` and ``lr_schedule=`` specs and their hyperparameters.

scikit-learn's ``name__param`` keys reach into nested estimators only; an optimizer spec is a value,
``(name, dict)``, so a search over its hyperparameters is a list of specs, one per combination. These
helpers build that list (every spec checked as fit will check it), for ``GridSearchCV``'s
``param_grid`` and ``RandomizedSearchCV``'s ``param_distributions``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ._resolve import _resolve_optimizer, _resolve_schedule


def _candidates(kind: str, grid: dict[str, Any]) -> list[dict[str, Any]]:
    """Every combination of ``grid``'s candidate lists, in the order given (the last key varies fastest)."""
    for key, values in grid.items():
        if not isinstance(values, (list, np.ndarray)) or np.ndim(values) == 0:
            raise TypeError(
                f"{kind}: the candidates for {key!r} must be a list (or a 1-D NumPy array), got "
                f"{values!r}; a fixed value is a one-element list"
            )
        if len(values) == 0:
            raise ValueError(f"{kind}: the candidates for {key!r} are an empty list")
    # NumPy scalars become Python numbers, so that cv_results_ and best_params_ read plainly
    lists = [v.tolist() if isinstance(v, np.ndarray) else list(v) for v in grid.values()]
    return [dict(zip(grid, combination)) for combination in itertools.product(*lists)]


def optimizer_grid(name: Any, **hyperparameters: list) -> list[tuple[Any, dict[str, Any]]]:
    """The ``optimizer=`` specs of every combination of the given hyperparameter values.

    Parameters
    ----------
    name : str or gradkit.optim class
        The optimizer, as ``optimizer=`` takes it (``"Adam"``, ``gradkit.optim.SGD``, ...).
    **hyperparameters : list
        For each hyperparameter, the list of values to try (a fixed value is a one-element list).
        The rate is not one of them: search ``learning_rate_init`` beside ``optimizer``.

    Returns
    -------
    list of (name, dict)
        One ``(name, {hyperparameter: value})`` per combination, the last keyword varying fastest;
        ``[(name, {})]`` without keywords. Each is checked by the optimizer itself, as ``fit`` checks
        it.

    Raises
    ------
    TypeError
        If the candidates of a hyperparameter are not a list or a 1-D array.
    ValueError
        If a list is empty, or a combination is refused by the optimizer (an unknown name or
        hyperparameter, a value out of range); the message is the one ``fit`` would give.

    Examples
    --------
    >>> from gradkit.neural_network import optimizer_grid
    >>> optimizer_grid("SGD", momentum=[0.0, 0.9], nesterov=[False])
    [('SGD', {'momentum': 0.0, 'nesterov': False}), ('SGD', {'momentum': 0.9, 'nesterov': False})]

    Several optimizers in one search are lists added together, searched beside the rate:

    >>> param_grid = {
    ...     "optimizer": optimizer_grid("Adam", betas=[(0.9, 0.999), (0.8, 0.99)])
    ...     + optimizer_grid("SGD", momentum=[0.9]),
    ...     "learning_rate_init": [1e-3, 1e-2],
    ... }
    >>> len(param_grid["optimizer"])
    3
    """
    specs = [(name, hyper) for hyper in _candidates("optimizer_grid", hyperparameters)]
    for spec in specs:
        _resolve_optimizer(spec, 1e-3, np.dtype(np.float64))
    return specs


def schedule_grid(name: Any, stepping: str = "epoch", **arguments: list) -> list[tuple]:
    """The ``lr_schedule=`` specs of every combination of the given schedule arguments.

    Parameters
    ----------
    name : str or gradkit.schedules class
        The schedule, as ``lr_schedule=`` takes it (``"StepLR"``, ``"CosineAnnealingLR"``, ...).
    stepping : {'epoch', 'batch'}, default='epoch'
        When the schedule steps; 'batch' gives specs ``(name, args, 'batch')``.
    **arguments : list
        For each argument of the schedule, the list of values to try (a fixed value is a one-element
        list).

    Returns
    -------
    list of tuple
        One ``(name, {argument: value})`` (or ``(name, {...}, 'batch')``) per combination, the last
        keyword varying fastest. Each is checked by the schedule itself, as ``fit`` checks it
        (``OneCycleLR``'s ``total_steps`` against the fit's length is checked by ``fit``).

    Raises
    ------
    TypeError
        If the candidates of an argument are not a list or a 1-D array.
    ValueError
        If a list is empty, ``stepping`` is neither 'epoch' nor 'batch', or a combination is refused
        by the schedule; the message is the one ``fit`` would give.

    Examples
    --------
    >>> from gradkit.neural_network import schedule_grid
    >>> schedule_grid("StepLR", step_size=[10], gamma=[0.5, 0.1])
    [('StepLR', {'step_size': 10, 'gamma': 0.5}), ('StepLR', {'step_size': 10, 'gamma': 0.1})]

    With no schedule at all as one more candidate:

    >>> [None] + schedule_grid("CosineAnnealingLR", T_max=[20])
    [None, ('CosineAnnealingLR', {'T_max': 20})]
    """
    if stepping not in ("epoch", "batch"):
        raise ValueError(f"schedule_grid: stepping must be 'epoch' or 'batch', got {stepping!r}")
    specs: list[tuple] = [
        (name, args) if stepping == "epoch" else (name, args, stepping)
        for args in _candidates("schedule_grid", arguments)
    ]
    for spec in specs:
        _resolve_schedule(spec)
    return specs
