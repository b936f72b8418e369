"""The learning-rate range test (Smith 2017; fastai's ``lr_find``, torch-lr-finder's ``range_test``).

:func:`lr_find` trains a copy of a gradkit MLP estimator for at most ``num`` minibatch steps while the
rate grows geometrically from ``start_lr`` to ``end_lr``, records the loss of every step, and suggests
the rate at which the smoothed loss falls fastest.

Every number comes from the core, through the estimator itself: the copy is driven by ``partial_fit``
one minibatch at a time (one optimizer step per call, with the estimator's own solver or
``optimizer=``), its rate set by a per-step ``ExponentialLR`` schedule (``lr_schedule=``) computed
in C++; the rates are read back from ``lr_history_`` and the losses from ``loss_``. This module only
validates, picks the minibatches, smooths and plots.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["LRFinderResult", "lr_find"]


@dataclass(frozen=True, eq=False)
class LRFinderResult:
    """What :func:`lr_find` measured: one rate, loss and smoothed loss per minibatch step.

    Attributes
    ----------
    lrs : ndarray of shape (n_steps,)
        The rate of each step, ``start_lr * gamma**i`` (the rates the trainer used, read from the
        estimator's ``lr_history_``). ``n_steps`` is ``num``, or fewer when the test stopped early.
    losses : ndarray of shape (n_steps,)
        The training loss of each step's minibatch (the L2 penalty included, as ``loss_curve_``),
        computed by the trainer before that step's update, so at the weights left by the steps before.
    smoothed_losses : ndarray of shape (n_steps,)
        The exponential moving average of ``losses`` with bias correction (fastai's): from
        ``avg = 0``, ``avg = beta * avg + (1 - beta) * losses[i]`` and
        ``smoothed_losses[i] = avg / (1 - beta**(i + 1))``.
    suggested_lr : float
        The rate of the steepest descent of the smoothed loss: ``lrs[argmin(g)]`` with
        ``g = numpy.gradient(smoothed_losses, log(lrs))``. NaN when fewer than two steps were recorded.
    diverged : bool
        Whether the test stopped before ``num`` steps: the smoothed loss rose past ``diverge_threshold``
        times the best one, or the trainer found a non-finite loss or weight (that step is not recorded).
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray
    suggested_lr: float
    diverged: bool

    def plot(self, ax: Axes | None = None) -> Axes:
        """The loss and the smoothed loss against the rate (log scale), the suggested rate marked.

        The y-axis spans the smoothed loss and the lowest raw loss: the raw loss's spikes at large rates,
        which would squash the rest of the curve, go past the top.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None draws on ``matplotlib.pyplot.gca()``.

        Returns
        -------
        ax : matplotlib Axes
            The axes drawn on.
        """
        if ax is None:
            try:
                import matplotlib.pyplot as plt
            except ImportError as error:
                raise ImportError(
                    "LRFinderResult.plot needs matplotlib, which is not installed: pip install matplotlib"
                ) from error
            ax = plt.gca()
        ax.plot(self.lrs, self.losses, color="tab:blue", alpha=0.3, lw=1, label="loss")
        ax.plot(self.lrs, self.smoothed_losses, color="tab:blue", lw=2, label="smoothed loss")
        if math.isfinite(self.suggested_lr) and self.lrs.size:
            at = int(np.argmin(np.abs(np.log(self.lrs) - math.log(self.suggested_lr))))  # it is one of lrs
            ax.axvline(self.suggested_lr, color="tab:red", ls="--", lw=1)
            ax.plot(
                self.suggested_lr,
                self.smoothed_losses[at],
                "o",
                color="tab:red",
                label=f"suggested lr = {self.suggested_lr:.3g}",
            )
        ax.set_xscale("log")
        if self.losses.size:  # every recorded loss is finite
            low = float(min(self.losses.min(), self.smoothed_losses.min()))
            high = float(self.smoothed_losses.max())
            margin = 0.05 * (high - low) if high > low else 0.05 * max(abs(high), 1.0)
            ax.set_ylim(low - margin, high + margin)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title("LR range test")
        ax.legend()
        return ax


def _check_real(name: str, value: Any) -> None:
    """Refuses bools and whatever is not a real number, leaving the caller's value as given: its range
    checks compare the value itself, exactly (where float() could round a Fraction or overflow on a
    large int), which a narrowing to numbers.Real would not type-check (Real declares no ``>`` and no
    comparison with an int)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")


def _check_rate(name: str, value: Any) -> float:
    _check_real(name, value)
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return value


def _check_arguments(
    estimator: Any, start_lr: Any, end_lr: Any, num: Any, beta: Any, diverge_threshold: Any
) -> tuple[float, float, int, float, float]:
    from .neural_network import MLPClassifier, MLPRegressor

    if not isinstance(estimator, (MLPClassifier, MLPRegressor)):
        kind = type(estimator)
        raise TypeError(
            "lr_find: estimator must be a gradkit.MLPClassifier or gradkit.MLPRegressor, got "
            f"{kind.__module__}.{kind.__qualname__}"
        )
    if estimator.solver == "lbfgs":
        raise ValueError(
            "lr_find: solver='lbfgs' is a full-batch method without a learning rate; the range test needs "
            "a minibatch solver ('sgd' or 'adam', with any optimizer=)"
        )
    start = _check_rate("start_lr", start_lr)
    end = _check_rate("end_lr", end_lr)
    if not start < end:
        raise ValueError(
            f"lr_find: start_lr must be smaller than end_lr, got start_lr={start!r}, end_lr={end!r}"
        )
    if isinstance(num, bool) or not isinstance(num, Integral):
        raise TypeError(f"num must be an integer, got {num!r} of type {type(num).__name__}")
    if num < 2:
        raise ValueError(f"num must be at least 2 (steps from start_lr to end_lr), got {num}")
    _check_real("beta", beta)
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    _check_real("diverge_threshold", diverge_threshold)
    if not diverge_threshold > 1:  # also refuses NaN; +inf turns the check off
        raise ValueError(f"diverge_threshold must be greater than 1 (or inf), got {diverge_threshold!r}")
    return start, end, int(num), float(beta), float(diverge_threshold)


def _minibatches(n: int, batch_size: int, shuffle: bool, random_state: np.random.RandomState):
    """Row indices of full minibatches, pass after pass over the data: a new permutation per pass when
    shuffling; the rows after a pass's last full batch are left out, so every step sees batch_size rows."""
    while True:
        order = random_state.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start : start + batch_size]


def lr_find(
    estimator: Any,
    X: Any,
    y: Any,
    start_lr: float = 1e-6,
    end_lr: float = 1.0,
    num: int = 100,
    *,
    beta: float = 0.98,
    diverge_threshold: float = 4.0,
) -> LRFinderResult:
    """The learning-rate range test: train a copy of ``estimator`` with a geometrically growing rate.

    A clone of ``estimator`` (``sklearn.base.clone``: the estimator passed in is not changed, nor
    fitted) takes one optimizer step per minibatch of X, y at the rates
    ``start_lr * (end_lr / start_lr) ** (i / (num - 1))`` for ``i = 0, ..., num - 1`` (as
    ``numpy.geomspace(start_lr, end_lr, num)``), with the estimator's own solver, ``optimizer=``,
    ``alpha``, ``batch_size``, ``clip_grad_norm``, network and initial weights (``random_state``); the
    optimizer's state (momentum, Adam's moments) carries from step to step. The data is gone through
    again, in a new order when ``shuffle``, if ``num`` steps need more than one pass. The loss of each
    step is recorded; the test stops early when the smoothed loss exceeds ``diverge_threshold`` times
    the best so far (for a positive loss; in general: by more than ``(diverge_threshold - 1) * abs(best)``)
    or when the trainer finds a non-finite loss or weight.

    The suggestion is the rate of the steepest descent of the smoothed loss against ``log(lr)``
    (``numpy.gradient`` with central differences): where the loss falls fastest, usually a rate a
    little below the one where it is lowest. It is a starting point for ``learning_rate_init``, not
    a guarantee; look at the plot.

    Parameters
    ----------
    estimator : gradkit.MLPClassifier or gradkit.MLPRegressor
        The model to test, with ``solver='sgd'`` or ``'adam'`` (any ``optimizer=``). Its
        ``learning_rate``, ``learning_rate_init`` and ``lr_schedule`` are replaced in the copy by the
        range test's rates; ``early_stopping``, ``callbacks``, ``verbose`` and ``progress`` are off.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The training data; float32 data trains in float32.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The targets (class labels for a classifier).
    start_lr : float, default=1e-6
        The first rate, > 0.
    end_lr : float, default=1.0
        The last rate, > start_lr.
    num : int, default=100
        The number of rates, and of minibatch steps, >= 2.
    beta : float, default=0.98
        The smoothing factor of the exponential moving average of the loss, in [0, 1) (0: no smoothing).
    diverge_threshold : float, default=4.0
        Stop when the smoothed loss passes this multiple of the best smoothed loss (> 1; inf: never,
        only a non-finite loss or weight stops the test).

    Returns
    -------
    result : LRFinderResult
        ``lrs``, ``losses``, ``smoothed_losses``, ``suggested_lr``, ``diverged`` and ``plot(ax=None)``.

    Raises
    ------
    TypeError
        If estimator is not a gradkit MLP estimator, or an argument is not a number of the right kind.
    ValueError
        If ``solver='lbfgs'``, the rates are not ``0 < start_lr < end_lr``, ``num < 2``, or X, y or the
        estimator's parameters are refused by the estimator.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> import gradkit
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = gradkit.MLPClassifier(hidden_layer_sizes=(32,), solver="sgd", random_state=0)
    >>> result = gradkit.lr_find(clf, X / 16, y, start_lr=1e-4, end_lr=10.0, num=60)
    >>> len(result.lrs) <= 60, bool(result.lrs[0] == 1e-4)
    (True, True)
    >>> bool(1e-4 <= result.suggested_lr <= 10.0)
    True
    >>> clf = clf.set_params(learning_rate_init=result.suggested_lr, max_iter=30).fit(X / 16, y)
    >>> clf.score(X / 16, y) > 0.95
    True
    """
    start, end, num, beta, diverge_threshold = _check_arguments(
        estimator, start_lr, end_lr, num, beta, diverge_threshold
    )
    from sklearn.base import clone, is_classifier
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import type_of_target, unique_labels
    from sklearn.utils.validation import check_X_y

    # The estimator's own checks of its parameters (batch_size is read below), on a copy.
    finder = clone(estimator)
    finder._validate_params()
    classifier = is_classifier(estimator)
    X, y = check_X_y(
        X,
        y,
        accept_sparse=["csr", "csc"],
        dtype=(np.float64, np.float32),
        multi_output=True,
        y_numeric=not classifier,
    )
    n_samples = X.shape[0]
    if hasattr(X, "tocsr"):
        X = X.tocsr()  # rows are gathered once per step
    batch_size = min(200, n_samples) if estimator.batch_size == "auto" else int(estimator.batch_size)
    batch_size = min(max(batch_size, 1), n_samples)
    gamma = (end / start) ** (1.0 / (num - 1))

    finder.set_params(
        learning_rate="constant",
        learning_rate_init=start,
        lr_schedule=("ExponentialLR", {"gamma": gamma}, "batch"),
        batch_size=batch_size,
        shuffle=False,  # the minibatches are drawn here; each partial_fit is one step on one of them
        early_stopping=False,
        warm_start=False,
        n_iter_no_change=np.inf,
        callbacks=None,
        progress=False,
        verbose=False,
        on_divergence="raise",  # the first non-finite loss ends the test
    )
    fit_args: dict[str, Any] = {}
    if classifier:
        multilabel = type_of_target(y).startswith("multilabel")
        fit_args["classes"] = np.arange(y.shape[1]) if multilabel else unique_labels(y)
    batches = _minibatches(
        n_samples, batch_size, bool(estimator.shuffle), check_random_state(finder.random_state)
    )

    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    average, best, diverged = 0.0, math.inf, False
    for step in range(num):
        rows = next(batches)
        try:
            finder.partial_fit(X[rows], y[rows], **fit_args)
        except ValueError as error:
            # The estimator raises ValueError from the core's TrainingDiverged (a non-finite loss or
            # weight); anything else (bad data, bad parameters) is the caller's to see.
            if not isinstance(error.__context__, _core.train.TrainingDiverged):
                raise
            diverged = True
            break
        fit_args = {}
        loss = float(finder.loss_)
        lrs.append(float(finder.lr_history_[-1]))
        losses.append(loss)
        average = beta * average + (1.0 - beta) * loss
        smooth = average / (1.0 - beta ** (step + 1))
        smoothed.append(smooth)
        best = min(best, smooth)
        if step + 1 < num and smooth - best > (diverge_threshold - 1.0) * abs(best):
            diverged = True
            break

    lrs_array = np.asarray(lrs, dtype=np.float64)
    smoothed_array = np.asarray(smoothed, dtype=np.float64)
    if lrs_array.size >= 2:
        slope = np.gradient(smoothed_array, np.log(lrs_array))
        suggested = float(lrs_array[int(np.argmin(slope))])
    else:
        warnings.warn(
            f"lr_find: training diverged after {lrs_array.size} step(s), too few for a suggestion; "
            f"try a smaller start_lr (it is {start})",
            RuntimeWarning,
            stacklevel=2,
        )
        suggested = math.nan
    losses_array = np.asarray(losses, dtype=np.float64)
    for array in (lrs_array, losses_array, smoothed_array):
        array.setflags(write=False)
    return LRFinderResult(
        lrs=lrs_array,
        losses=losses_array,
        smoothed_losses=smoothed_array,
        suggested_lr=suggested,
        diverged=diverged,
    )
