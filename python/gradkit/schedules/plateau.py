"""ReduceLROnPlateau: torch's metric-driven scheduler, its state machine in the C++ core."""

from __future__ import annotations

import math
import warnings
from typing import Any, SupportsFloat

from .. import _core
from ._rate_bounds import Bound, check_rate_bounds
from .lr_scheduler import EPOCH_DEPRECATION_WARNING, LRScheduler, restores_param_groups

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(LRScheduler):
    """Reduce the learning rate when a metric has stopped improving.

    torch.optim.lr_scheduler.ReduceLROnPlateau's arguments, defaults, checks, state and values.
    Each ``step(metrics)`` compares the metric with the best so far; after more than ``patience``
    steps without an improvement (by ``threshold``, relative or absolute) every group's lr becomes
    ``max(lr * factor, min_lr)``, unless that lowers it by ``eps`` or less, and the next
    ``cooldown`` steps do not count. The state (``best``, ``num_bad_epochs``,
    ``cooldown_counter``, ``last_epoch``) has torch's names and is in ``state_dict()``.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    mode : {"min", "max"}, default "min"
        Whether the metric should go down or up.
    factor : float, default 0.1
        The factor a reduction multiplies the lr by; must be < 1.
    patience : int, default 10
        How many steps without an improvement are tolerated.
    threshold : float, default 1e-4
        How much better a metric must be to count as an improvement.
    threshold_mode : {"rel", "abs"}, default "rel"
        ``"rel"``: better than ``best * (1 -/+ threshold)``; ``"abs"``: than ``best -/+ threshold``.
    cooldown : int, default 0
        Steps after a reduction during which bad steps are not counted.
    min_lr : float or list of float, default 0
        Lower bound on the lr, for all groups or one per group.
    eps : float, default 1e-8
        A reduction that changes the lr by no more than this is skipped.
    max_lr : float or list of float, optional
        An upper bound on the lr (gradkit's, not torch's), for all groups or one per group: every
        ``step`` (and the constructor) lowers a group's lr above it to it. ``min_lr`` is torch's
        lower bound, applied when reducing; with ``max_lr`` given, ``min_lr <= max_lr`` is required.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import ReduceLROnPlateau
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> lrs = []
    >>> for loss in [1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8]:
    ...     opt.step([np.ones(2)])
    ...     scheduler.step(loss)
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    >>> lrs
    [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    """

    _core_schedule = _core.schedules.ReduceLROnPlateau

    # torch's min_lr is the lower bound already (applied when reducing): gradkit adds max_lr.
    _bound_names = ("max_lr",)

    @classmethod
    def _lr_curve(cls, steps: int, lr: float, kwargs: dict[str, Any]) -> Any:
        raise TypeError(
            "lr_curve cannot give ReduceLROnPlateau's curve: it follows a metric, not the step count; "
            "drive it with step(metric)"
        )

    @restores_param_groups
    def __init__(
        self,
        optimizer: Any,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
        *,
        max_lr: Bound = None,
    ) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        groups = optimizer.param_groups
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"expected {len(groups)} min_lrs, got {len(min_lr)}")
            self.default_min_lr: float | None = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(groups)
        if max_lr is not None:  # without it, torch's checks only
            check_rate_bounds(len(groups), min_lr, max_lr)
        self.max_lr = max_lr
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._clip_group_lrs()
        self._last_lr: list[float] = [group["lr"] for group in groups]
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        # The core checks factor, mode and threshold_mode with torch's messages.
        self._core_schedule.check(
            {
                "mode": mode,
                "factor": self.factor,
                "patience": self.patience,
                "threshold": threshold,
                "threshold_mode": threshold_mode,
                "cooldown": self.cooldown,
                "eps": self.eps,
            }
        )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """Whether the scheduler is in the cooldown after a reduction."""
        return self.cooldown_counter > 0

    def _core_args(self) -> dict[str, Any]:
        names = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps")
        return {name: getattr(self, name) for name in names}

    def _state(self) -> dict[str, Any]:
        # The state the core reads and returns: its fields, by the names the core gives them (torch's).
        return {name: getattr(self, name) for name in self._core_schedule.initial_state()}

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Take one step with the metric's latest value, reducing the lrs on a plateau.

        Parameters
        ----------
        metrics : float
            The monitored quantity (anything ``float()`` accepts, e.g. a 0-d array).
        epoch : int, optional
            Deprecated in torch: sets ``last_epoch`` (with torch's UserWarning).
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        args = self._core_args()
        state, reduce = self._core_schedule.observe(args, self._state(), current, epoch)
        self.__dict__.update(state)
        if reduce:
            self._reduce_lr(args)
        self._clip_group_lrs()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self, args: dict[str, Any]) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({len(groups)}) differs "
                    f"from when `ReduceLROnPlateau` was initialized "
                    f"({len(self.min_lrs)}), usually due to a new "
                    "param group being added to the optimizer. Please "
                    "modify the `min_lrs` field to match the length "
                    "of the `optimizer` param groups."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        old = [float(group["lr"]) for group in groups]
        state, new = self._core_schedule.reduce(args, self._state(), old, [float(m) for m in self.min_lrs])
        for group, before, after in zip(groups, old, new):
            if after != before:
                group["lr"] = after
        self.__dict__.update(state)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (torch's too)."""
        self._check_state_dict(state_dict)
        self.__dict__.update(state_dict)
        self._init_is_better(mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode)
