"""Schedules driven by the loss: scikit-learn's adaptive rule (AdaptiveLR) and the bold driver.

Both are state machines in the C++ core; like torch's ReduceLROnPlateau they take the epoch's loss in
``step(loss)``, set every param group's ``"lr"``, count ``last_epoch`` from 0 and keep their state as
attributes, so that ``state_dict()``/``load_state_dict()`` resume exactly. Having no curve of their
own, they refuse :func:`~gradkit.schedules.lr_curve`; ``lr_history(losses, lr=...)`` gives the lrs
a loss sequence leads to.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, ClassVar, SupportsFloat

import numpy as np

from .. import _core
from ._rate_bounds import Bound, check_rate_bounds, per_group
from .lr_scheduler import LRScheduler, _OneGroup

__all__ = ["AdaptiveLR", "BoldDriverLR"]


def _bounds_per_group(min_lr: Bound, max_lr: Bound, n_groups: int) -> tuple[list[float], list[float]]:
    """The checked bounds, one pair per group, with an infinite bound where there is none."""
    check_rate_bounds(n_groups, min_lr, max_lr)
    lows = per_group("min_lr", min_lr, n_groups)
    highs = per_group("max_lr", max_lr, n_groups)
    return (
        [-math.inf if low is None else low for low in lows],
        [math.inf if high is None else high for high in highs],
    )


def _loss_value(owner: str, loss: Any) -> float:
    """The loss given to step(), whatever its type, as a float; TypeError unless it is a real scalar."""
    if loss is None:
        raise TypeError(
            f"{owner}.step() needs the loss: call step(loss) once per epoch with the epoch's loss"
        )
    if isinstance(loss, (str, bytes)) or np.iscomplexobj(loss) or np.ndim(loss) != 0:
        raise TypeError(f"{owner}.step(): the loss must be a real number, got {loss!r}")
    try:
        return float(loss)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}.step(): the loss must be a real number, got {loss!r}") from None


class _LossDrivenLR(LRScheduler):
    """Shared by the loss-driven schedules: the bounds, ``step(loss)``, state and ``lr_history``."""

    def __init__(self, optimizer: Any, min_lr: Bound, max_lr: Bound) -> None:
        # Validate everything before keeping anything; the optimizer is not changed here.
        self._validate()
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        groups = optimizer.param_groups
        _bounds_per_group(min_lr, max_lr, len(groups))
        self.optimizer = optimizer
        self.min_lr = min_lr
        self.max_lr = max_lr
        self.__dict__.update(self._core_schedule.initial_state())  # last_epoch = 0 and the machine's own
        self._last_lr: list[float] = [group["lr"] for group in groups]

    def _state(self) -> dict[str, Any]:
        # The state the core reads and returns: its fields, by the names the core gives them.
        return {name: getattr(self, name) for name in self._core_schedule.initial_state()}

    def step(self, loss: SupportsFloat | None = None) -> None:  # type: ignore[override]
        """Take one step with the epoch's loss, setting every param group's ``"lr"``.

        Parameters
        ----------
        loss : float
            The loss: a Python or NumPy real number or a 0-d array.
            Required: a missing loss raises TypeError.
        """
        value = _loss_value(type(self).__name__, loss)
        groups = self.optimizer.param_groups
        min_lrs, max_lrs = _bounds_per_group(self.min_lr, self.max_lr, len(groups))
        old = [float(group["lr"]) for group in groups]
        # Every value is computed before any group or attribute changes.
        state, new = self._core_schedule.step(self._core_args(), self._state(), value, old, min_lrs, max_lrs)
        self.__dict__.update(state)
        for group, before, after in zip(groups, old, new):
            if after != before:
                group["lr"] = after
        self._last_lr = [group["lr"] for group in groups]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self._check_state_dict(state_dict)
        args = {name: state_dict.get(name, getattr(self, name)) for name in self._arg_names}
        self._core_schedule.check(self._to_core(args))
        self.__dict__.update(state_dict)

    @classmethod
    def _lr_curve(cls, steps: int, lr: float, kwargs: dict[str, Any]) -> np.ndarray:
        raise TypeError(
            f"lr_curve cannot give {cls.__name__}'s curve: it follows the loss, not the step count; "
            f"use {cls.__name__}.lr_history(losses, lr=...)"
        )

    @classmethod
    def lr_history(cls, losses: Iterable[SupportsFloat], lr: float = 0.1, **kwargs: Any) -> np.ndarray:
        """The learning rates a sequence of losses leads to, without an optimizer (e.g. for plotting).

        Parameters
        ----------
        losses : sequence of float
            One loss per ``step``.
        lr : float, default 0.1
            The optimizer's learning rate at the start.
        **kwargs
            The scheduler's arguments (except ``optimizer``).

        Returns
        -------
        ndarray of float64, shape (len(losses) + 1,)
            Entry ``k`` is the lr after ``k`` steps (entry 0 is ``lr``).

        Examples
        --------
        >>> from gradkit.schedules import BoldDriverLR
        >>> BoldDriverLR.lr_history([1.0, 0.5, 2.0], lr=0.1, increase=2.0)
        array([0.1, 0.1, 0.2, 0.1])
        """
        if "optimizer" in kwargs:
            raise TypeError("lr_history takes the schedule's own arguments, not optimizer")
        values = np.asarray(losses, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"losses must be a 1-d sequence of numbers, got shape {values.shape}")
        scheduler = cls(_OneGroup(float(lr)), **kwargs)
        out = np.empty(values.size + 1)
        out[0] = lr
        for k, loss in enumerate(values):
            scheduler.step(loss)
            out[k + 1] = scheduler.get_last_lr()[0]
        return out


class AdaptiveLR(_LossDrivenLR):
    """scikit-learn's ``learning_rate='adaptive'``: divide the lr by 5 when the loss stops falling.

    The rule of sklearn's MLPClassifier/MLPRegressor with ``solver='sgd'``, judged on the training
    loss (``early_stopping=False``), with its numbers. Each ``step(loss)``:

    - counts an epoch without improvement when ``loss > best_loss - tol`` (``no_improvement_count
      += 1``), otherwise restarts the count at 0; then ``best_loss = loss`` if ``loss <
      best_loss`` (a gain smaller than ``tol`` does not count, but still lowers ``best_loss``);
    - when ``no_improvement_count > patience``: if some group's lr is above ``stop_lr`` (1e-6,
      sklearn's), each such lr becomes ``lr / (1 / factor)``, clamped into ``[min_lr, max_lr]``,
      and the count restarts; if none is, the rule sets ``stopped`` to True (sklearn ends the
      training there) and from then on never changes an lr.

    sklearn's ``n_iter_no_change`` is ``patience``, its division by 5 is ``factor=0.2`` (1 / 0.2 is
    exactly 5.0, so the lrs are sklearn's to the last bit); ``tol`` is the same. For sklearn's
    ``early_stopping=True`` variant pass ``-validation_score`` as the loss: the comparisons are then
    sklearn's. A NaN loss counts as no improvement. With several param groups each is divided on
    its own (sklearn has one lr) and the rule stops only when no group's lr is above ``stop_lr``.
    With ``min_lr`` above ``stop_lr`` it never stops: the lr rests at ``min_lr``.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    factor : float, default 0.2
        In (0, 1): a reduction divides the lr by ``1 / factor``.
    patience : int, default 2
        How many epochs without improvement are tolerated (sklearn's ``n_iter_no_change``).
    tol : float, default 1e-4
        How much lower than ``best_loss`` a loss must be to count as an improvement.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lrs this sets, for all groups or one per group; None: no bound.

    Attributes
    ----------
    best_loss : float
        The lowest loss so far (``inf`` before the first step), sklearn's ``best_loss_``.
    no_improvement_count : int
        Epochs without improvement since the last improvement or reduction.
    stopped : bool
        True once a reduction was due with every lr at or below ``stop_lr``: sklearn would stop.
    last_epoch : int
        The number of ``step`` calls.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import AdaptiveLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = AdaptiveLR(opt, patience=1)
    >>> lrs = []
    >>> for loss in [1.0, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4]:
    ...     opt.step([np.ones(2)])
    ...     scheduler.step(loss)
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    >>> lrs
    [0.1, 0.1, 0.1, 0.02, 0.02, 0.02, 0.004]
    >>> scheduler.stopped
    False
    >>> AdaptiveLR.lr_history([1.0, 1.0, 1.0, 1.0], lr=0.1, patience=1).round(6)
    array([0.1 , 0.1 , 0.1 , 0.02, 0.02])
    >>> tiny = AdaptiveLR(SGD([np.zeros(2)], lr=1e-6), patience=0)
    >>> tiny.step(1.0); tiny.step(1.0)
    >>> tiny.stopped, tiny.get_last_lr()
    (True, [1e-06])
    """

    _core_schedule = _core.schedules.AdaptiveLR

    stop_lr: ClassVar[float] = 1e-6
    _arg_names: ClassVar[tuple[str, ...]] = ("factor", "patience", "tol")

    def __init__(
        self,
        optimizer: Any,
        factor: float = 0.2,
        patience: int = 2,
        tol: float = 1e-4,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.factor = factor
        self.patience = patience
        self.tol = tol
        super().__init__(optimizer, min_lr, max_lr)


class BoldDriverLR(_LossDrivenLR):
    """The bold driver: raise the lr a little while the loss falls, cut it when the loss rises.

    Each ``step(loss)`` compares the loss with the previous step's:

    - ``loss < previous``: every group's lr is multiplied by ``increase``;
    - ``loss > previous``: every group's lr is multiplied by ``decrease``;
    - ``loss == previous``, or no previous loss (the first step): the lrs are unchanged.

    A non-finite loss (nan, +-inf) counts as a rise, even on the first step, and is not kept as
    the previous loss: the step after it has nothing to compare with and leaves the lrs unchanged.
    An lr the rule changes is clamped into ``[min_lr, max_lr]``. (The classic rule also undoes
    the update that raised the loss; that is the training loop's to do.)

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    increase : float, default 1.05
        The factor (>= 1) after a fall of the loss.
    decrease : float, default 0.5
        The factor (in (0, 1]) after a rise.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lrs this sets, for all groups or one per group; None: no bound.

    Attributes
    ----------
    previous_loss : float or None
        The loss of the last step (None before the first and after a non-finite one).
    last_epoch : int
        The number of ``step`` calls.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import BoldDriverLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = BoldDriverLR(opt)
    >>> lrs = []
    >>> for loss in [1.0, 0.8, 0.9, 0.9, 0.7, 0.6, 0.5]:
    ...     opt.step([np.ones(2)])
    ...     scheduler.step(loss)
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    >>> lrs
    [0.1, 0.105, 0.0525, 0.0525, 0.055125, 0.057881, 0.060775]
    >>> BoldDriverLR.lr_history([3.0, 2.0, float("nan"), 1.0, 0.5, 0.25], lr=1.0, increase=2.0, max_lr=3.0)
    array([1., 1., 2., 1., 1., 2., 3.])
    """

    _core_schedule = _core.schedules.BoldDriverLR

    _arg_names: ClassVar[tuple[str, ...]] = ("increase", "decrease")

    def __init__(
        self,
        optimizer: Any,
        increase: float = 1.05,
        decrease: float = 0.5,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.increase = increase
        self.decrease = decrease
        super().__init__(optimizer, min_lr, max_lr)
