"""RandomLR: a random learning-rate multiplier for every parameter element, drawn in the C++ core."""

from __future__ import annotations

import operator
import os
import warnings
from typing import Any, ClassVar, NoReturn

import numpy as np

from .. import _core
from ..optim.optimizer import Optimizer
from .lr_scheduler import EPOCH_DEPRECATION_WARNING, LRScheduler

__all__ = ["RandomLR"]

# Recomputed from the rest on load_state_dict, so not part of the state.
_NOT_STATE = ("optimizer", "multipliers", "_drawn")


def _check_seed(seed: Any) -> int:
    if seed is None:
        return int.from_bytes(os.urandom(8), "little")
    try:
        value = operator.index(seed)
    except TypeError:
        raise TypeError(f"seed must be None or an int, got {type(seed).__name__}") from None
    if not 0 <= value < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {value}")
    return value


class RandomLR(LRScheduler):
    """Random per-element learning rates: each parameter element steps with ``lr`` times its own multiplier.

    Every element of every parameter gets a multiplier drawn uniformly from ``[low, high]``; a new
    draw replaces them every ``resample_every`` steps. The multipliers go to the optimizer's
    per-element rates (:meth:`gradkit.optim.Optimizer.set_lr_scale`), so the update is still one
    fused pass in the C++ core; the param groups' ``"lr"`` is left as it is (and combines with any
    other schedule). The draw is a counter-based hash of ``(seed, draw number, parameter index,
    element index)``: the same seed gives the same multipliers on any number of threads, and a
    scheduler restored from :meth:`state_dict` redraws exactly the multipliers it had.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        Any gradkit optimizer except LBFGS (which refuses per-element rates). The multipliers cover
        the parameters it has now; constructing another RandomLR on it replaces them, and
        :meth:`remove` takes them off.
    low, high : float
        The range of the multipliers: ``0 <= low <= high``, both finite.
    seed : int, optional
        In ``[0, 2**64)``. ``None`` draws one from ``os.urandom`` once, here; it is kept in
        ``seed`` and in :meth:`state_dict`, so that a resumed run continues with the same draws.
    resample_every : int, default 1
        The multipliers in effect after ``k`` calls of :meth:`step` are draw number
        ``k // resample_every``.
    last_epoch : int, default -1
        As for every scheduler: ``-1`` starts afresh.

    Attributes
    ----------
    multipliers : list of ndarray
        One array per parameter (its dtype and shape), in param-group order: the multipliers in
        effect. Redraws overwrite them in place; the optimizer reads them at every step.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import RandomLR
    >>> w = np.zeros(4)
    >>> opt = SGD([w], lr=0.1)
    >>> scheduler = RandomLR(opt, low=0.5, high=1.5, seed=0, resample_every=2)
    >>> m = scheduler.multipliers[0]
    >>> bool(np.all((0.5 <= m) & (m <= 1.5)))
    True
    >>> opt.step([np.ones(4)])            # element i moves by lr * m[i]
    >>> np.allclose(w, -0.1 * m)
    True
    >>> first = m.copy()
    >>> scheduler.step()                  # 1 step: still draw 0
    >>> np.array_equal(m, first)
    True
    >>> scheduler.step()                  # 2 steps: draw 1, in the same array
    >>> np.array_equal(m, first)
    False
    >>> scheduler.get_last_lr()           # the groups' lr is not changed
    [0.1]
    """

    _core_schedule = _core.schedules.RandomLR

    _arg_names: ClassVar[tuple[str, ...]] = ("low", "high", "resample_every")

    def __init__(
        self,
        optimizer: Any,
        low: float,
        high: float,
        seed: int | None = None,
        resample_every: int = 1,
        last_epoch: int = -1,
    ) -> None:
        self.low = low
        self.high = high
        self.resample_every = resample_every
        self._validate()
        self.seed = _check_seed(seed)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not a gradkit Optimizer")
        params = [p for group in optimizer.param_groups for p in group["params"]]
        self.multipliers: list[np.ndarray] = [np.ones(p.shape, dtype=p.dtype) for p in params]
        self._drawn: int | None = None
        # Refusals (LBFGS, arrays it cannot take) come before the optimizer changes.
        optimizer._check_lr_scale(self.multipliers)
        super().__init__(optimizer, last_epoch)  # its first step() draws
        optimizer.set_lr_scale(self.multipliers)

    def _redraw(self) -> None:
        """Bring the multipliers to the draw that ``last_epoch`` calls for (in place; nothing if current)."""
        args = self._core_args()
        draw = self._core_schedule.draw_index(args, self.last_epoch)
        if draw == self._drawn:
            return
        for index, out in enumerate(self.multipliers):
            self._core_schedule.draw(args, out, self.seed, draw, index)
        self._drawn = draw

    def step(self, epoch: int | None = None) -> None:
        """Advance ``last_epoch`` by one, redrawing the multipliers when a new draw is due.

        Call it after the optimizer's ``step``.

        Parameters
        ----------
        epoch : int, optional
            Deprecated in torch: sets ``last_epoch`` (with torch's UserWarning).
        """
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
        self._redraw()
        self._last_lr: list[float] = [group["lr"] for group in self.optimizer.param_groups]

    def remove(self) -> None:
        """Take every per-element multiplier off the optimizer: each element steps with its group's lr."""
        self.optimizer.set_lr_scale(None)

    def state_dict(self) -> dict[str, Any]:
        """The arguments (with ``seed``) and the step count; the multipliers are redrawn from them."""
        return {key: value for key, value in self.__dict__.items() if key not in _NOT_STATE}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, redrawing the multipliers it had (in place)."""
        self._check_state_dict(state_dict)
        state = {key: value for key, value in state_dict.items() if key not in _NOT_STATE}
        args = {name: state.get(name, getattr(self, name)) for name in self._arg_names}
        self._core_schedule.check(args)
        seed = state.get("seed", self.seed)
        if seed is None:
            raise ValueError("the state has no seed: the multipliers cannot be redrawn")
        seed = _check_seed(seed)
        self.__dict__.update(state)
        self.seed = seed
        self._drawn = None
        self._redraw()

    @classmethod
    def _lr_curve(cls, steps: int, lr: float, kwargs: dict[str, Any]) -> NoReturn:
        raise TypeError(
            "RandomLR has no learning-rate curve: it leaves each group's lr as it is and draws a "
            "multiplier for every parameter element, so there is no single curve to plot; its "
            "multipliers are in scheduler.multipliers"
        )
