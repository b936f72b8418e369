"""torch.optim.lr_scheduler's cyclic schedules, whose state is more than (last_epoch, lr).

CosineAnnealingWarmRestarts keeps T_cur and T_i; CyclicLR and OneCycleLR keep per-group levels and
cycle the optimizer's momentum (SGD's ``"momentum"``, or ``"betas"[0]`` for Adam-like optimizers)
along with the learning rate. The arithmetic is in the C++ core (``gradkit._core``).
"""

from __future__ import annotations

import inspect
import math
import types
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _core
from .._pickling import unwrap, wrap
from ._rate_bounds import Bound, check_rate_bounds, single_group
from .lr_scheduler import (
    EPOCH_DEPRECATION_WARNING,
    LRScheduler,
    _curve_by_stepping,
    _OneGroup,
    restores_on_error,
    restores_param_groups,
)

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR"]

_MOMENTUM_ERROR = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
_CYCLIC_MODES = {"triangular": 0, "triangular2": 1, "exp_range": 2}


def _format_param(name: str, optimizer: Any, param: Any) -> list[Any]:
    """One value per param group: ``param`` itself if a list or tuple of the right length (torch's check)."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(param)} values, param_groups has {len(optimizer.param_groups)}."
            )
        return list(param)
    return [param] * len(optimizer.param_groups)


def _refuse_nan_rates(name: str, rates: list[Any]) -> list[Any]:
    """torch's optimizers refuse a NaN lr ("Invalid learning rate"); as a cyclic schedule's level it would
    make every rate NaN and a base_lrs its own state_dict could not load back."""
    for rate in rates:
        if isinstance(rate, (float, np.floating)) and math.isnan(rate):
            raise ValueError(f"Invalid learning rate: {name}={rate}")
    return rates


def _check_optimizer(optimizer: Any) -> None:
    if not hasattr(optimizer, "param_groups"):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _momentum_args(sched: Any, base_momentum: Any, max_momentum: Any) -> dict[str, Any]:
    """The MLP trainer's momentum arguments of a cyclic scheduler: its levels with cycle_momentum,
    placeholders (unused) without."""
    if not sched.cycle_momentum:
        return {"cycle_momentum": False, "base_momentum": 0.0, "max_momentum": 0.0}
    return {
        "cycle_momentum": True,
        "base_momentum": float(base_momentum),
        "max_momentum": float(max_momentum),
    }


def _set_momentum(group: dict[str, Any], use_beta1: bool, momentum: float) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _refuse_optimizer_args(kwargs: dict[str, Any]) -> None:
    if "last_epoch" in kwargs or "optimizer" in kwargs:
        raise TypeError("lr_curve takes the schedule's own arguments, not optimizer or last_epoch")


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from the initial learning rate to ``eta_min``, restarted every ``T_i`` steps.

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``, where ``T_cur`` counts the
    steps since the last restart and ``T_i`` (first ``T_0``) is multiplied by ``T_mult`` at each restart.
    torch.optim.lr_scheduler.CosineAnnealingWarmRestarts's arguments, defaults and values, including
    its ``step(epoch)`` form (a fractional epoch, e.g. ``epoch + i / iters``, sets ``T_cur`` and ``T_i``
    directly; no deprecation warning, as in torch).

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    T_0 : int
        The number of steps before the first restart; a positive int.
    T_mult : int, default 1
        The factor by which ``T_i`` grows after each restart; an int >= 1.
    eta_min : float, default 0.0
        The minimum learning rate.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import CosineAnnealingWarmRestarts
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1)
    >>> scheduler = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    >>> lrs = []
    >>> for epoch in range(8):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.05, 0.1, 0.085355, 0.05, 0.014645, 0.1, 0.096194]
    """

    _core_schedule = _core.schedules.CosineAnnealingWarmRestarts

    _arg_names = ("T_0", "T_mult", "eta_min")

    def __init__(
        self,
        optimizer: Any,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)

    @restores_on_error
    def step(self, epoch: float | None = None) -> None:
        """Advance ``T_cur`` by one (restarting when it reaches ``T_i``), or set it from ``epoch``.

        Parameters
        ----------
        epoch : float, optional
            A non-negative (possibly fractional) epoch: ``T_cur`` and ``T_i`` are recomputed from it
            and ``last_epoch`` becomes ``floor(epoch)``, as torch's ``step(epoch)``.
        """
        args = self._core_args()
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            t_cur, self.T_i = self._core_schedule.advance(args, self.T_cur, self.T_i)
            self.T_cur = int(t_cur) if isinstance(self.T_cur, int) else t_cur
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            t_cur, self.T_i = self._core_schedule.at_epoch(args, epoch)
            # torch's T_cur stays an int unless epoch is a float or a later cycle of T_mult > 1 sets it.
            is_int = isinstance(epoch, int) and not (epoch >= self.T_0 and self.T_mult != 1)
            self.T_cur = int(t_cur) if is_int else t_cur
        self.last_epoch = math.floor(epoch)
        values = self._clip(
            [self._core_schedule.lr(args, self.T_cur, self.T_i, base_lr) for base_lr in self.base_lrs]
        )
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    @classmethod
    def _lr_curve(cls, steps: int, lr: float, kwargs: dict[str, Any]) -> np.ndarray:
        _refuse_optimizer_args(kwargs)
        sched = cls(_OneGroup(lr), **kwargs)  # torch's checks
        min_lr, max_lr = single_group(sched.min_lr, sched.max_lr)
        return cls._core_schedule.curve(sched._core_args(), steps, lr, min_lr=min_lr, max_lr=max_lr)


class CyclicLR(LRScheduler):
    """Cycle the learning rate between ``base_lr`` and ``max_lr`` (and the momentum the other way).

    ``lr = base_lr + (max_lr - base_lr) * h(t) * scale_fn(cycle or t)``, where ``h`` rises linearly
    from 0 to 1 over ``step_size_up`` steps and falls back over ``step_size_down``, and
    ``momentum = max_momentum - (max_momentum - base_momentum) * h(t) * scale_fn(...)``.
    torch.optim.lr_scheduler.CyclicLR's arguments, defaults and values; ``t`` counts ``step()``
    calls (batches). The constructor sets each group's ``"lr"`` to ``base_lr`` (and, with
    ``cycle_momentum``, its ``"momentum"`` or ``"betas"[0]`` to ``max_momentum``).

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` (and momentum) this sets.
    base_lr, max_lr : float or list of float
        The lower and upper learning rates, one for all groups or one per group.
    step_size_up : int, default 2000
        Steps in the rising half of a cycle.
    step_size_down : int, optional
        Steps in the falling half; ``step_size_up`` if None.
    mode : {"triangular", "triangular2", "exp_range"}, default "triangular"
        Built-in ``scale_fn``: 1, ``1 / 2 ** (cycle - 1)``, or ``gamma ** t``. Ignored with ``scale_fn``.
    gamma : float, default 1.0
        The base of ``exp_range``.
    scale_fn : callable, optional
        A custom scale function of one argument (evaluated in Python), instead of ``mode``.
    scale_mode : {"cycle", "iterations"}, default "cycle"
        What a custom ``scale_fn`` is given: the cycle number (from 1) or ``t``.
    cycle_momentum : bool, default True
        Also cycle the momentum; the optimizer needs ``"momentum"`` or ``"betas"`` in its defaults.
    base_momentum, max_momentum : float or list of float, default 0.8, 0.9
        The momentum's bounds (it is ``max_momentum`` where the lr is ``base_lr``).
    last_epoch : int, default -1
        The index of the last batch; -1 starts afresh.
    min_lr : float or list of float, optional
        A lower bound on the lr each step sets (gradkit's, not torch's); ``None``: no bound. There
        is no separate upper bound: torch's ``max_lr`` already bounds the cycle from above.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import CyclicLR
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> scheduler = CyclicLR(opt, base_lr=0.01, max_lr=0.05, step_size_up=2)
    >>> lrs, momenta = [], []
    >>> for batch in range(6):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     momenta.append(round(opt.param_groups[0]["momentum"], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.01, 0.03, 0.05, 0.03, 0.01, 0.03]
    >>> momenta
    [0.9, 0.85, 0.8, 0.85, 0.9, 0.85]
    """

    _core_schedule = _core.schedules.CyclicLR

    # torch's max_lr argument is the cycle's peak: gradkit adds only a lower bound.
    _bound_names = ("min_lr",)

    @restores_param_groups
    def __init__(
        self,
        optimizer: Any,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
    ) -> None:
        _check_optimizer(optimizer)
        check_rate_bounds(len(optimizer.param_groups), min_lr, None)
        # torch's checks, in its order, all before anything changes.
        base_lrs = _refuse_nan_rates("base_lr", _format_param("base_lr", optimizer, base_lr))
        max_lrs = _refuse_nan_rates("max_lr", _format_param("max_lr", optimizer, max_lr))
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        if math.isnan(up) or math.isnan(down):  # torch's first step: math.floor of a NaN cycle position
            raise ValueError("cannot convert float NaN to integer")
        total_size, step_ratio = self._core_schedule.sizes(up, down)
        if mode not in _CYCLIC_MODES and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(_MOMENTUM_ERROR)
            base_momentums = _format_param("base_momentum", optimizer, base_momentum)
            max_momentums = _format_param("max_momentum", optimizer, max_momentum)

        self.optimizer = optimizer
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = max_lrs
        self.total_size = total_size
        self.step_ratio = step_ratio
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = base_momentums
            self.max_momentums = max_momentums
            if last_epoch == -1:
                for m_momentum, b_momentum, group in zip(
                    max_momentums, base_momentums, optimizer.param_groups, strict=True
                ):
                    _set_momentum(group, self.use_beta1, m_momentum)
                    group["max_momentum"] = m_momentum
                    group["base_momentum"] = b_momentum
        super().__init__(optimizer, last_epoch, min_lr=min_lr)
        self.base_lrs = base_lrs

    def __getstate__(self) -> dict[str, Any]:
        """Its attributes; a lambda as ``scale_fn`` pickles with cloudpickle, and plain pickle names it."""
        return {**self.__dict__, "_scale_fn_custom": wrap(self._scale_fn_custom, "CyclicLR.scale_fn")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._scale_fn_custom = unwrap(state["_scale_fn_custom"])

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is not None:
            return
        self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def _core_args(self) -> dict[str, Any]:
        mode = 3 if self._scale_fn_custom is not None else _CYCLIC_MODES[self.mode]
        return {
            "total_size": self.total_size,
            "step_ratio": self.step_ratio,
            "mode": mode,
            "gamma": self.gamma,
        }

    def scale_fn(self, x: float) -> float:
        """The scaling policy at ``x``: the custom ``scale_fn``, or the mode's."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._core_schedule.builtin_scale(self._core_args(), x)

    @restores_on_error
    def step(self, epoch: int | None = None) -> None:
        """Advance one batch (or go to batch ``epoch``, deprecated as in torch) and set lr and momentum."""
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
        else:
            self.last_epoch += 1
        cycle, scale_factor = self._core_schedule.position(self._core_args(), self.last_epoch)
        x = cycle if self.scale_mode == "cycle" else self.last_epoch
        groups = self.optimizer.param_groups
        lrs = self._clip(
            [
                self._core_schedule.lr(base_lr, max_lr, scale_factor, self.scale_fn(x))
                for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True)
            ]
        )
        if self.cycle_momentum:
            momentums = [
                self._core_schedule.momentum(base_m, max_m, scale_factor, self.scale_fn(x))
                for base_m, max_m in zip(self.base_momentums, self.max_momentums, strict=True)
            ]
            for group, momentum in zip(groups, momentums, strict=True):
                _set_momentum(group, self.use_beta1, momentum)
        for group, lr in zip(groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer; a custom ``scale_fn`` only as a callable object's state.

        As torch: a plain function or lambda is saved as None, a callable object as its ``__dict__``.
        """
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = fn.__dict__.copy()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; a saved ``scale_fn`` state updates the current one."""
        self._check_state_dict(state_dict)
        state_dict = dict(state_dict)
        fn = state_dict.pop("_scale_fn_custom", None)
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()

    @classmethod
    def _trainer_args(cls, kwargs: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
        """The MLP trainer's CyclicLR arguments (the cycle's and the group's levels) and min_lr.

        torch's checks are this class's own, made by constructing it on a one-group stand-in.
        """
        _refuse_optimizer_args(kwargs)
        sched = cls(_OneGroup(1.0), **kwargs)  # torch's checks
        args = dict(sched._core_args(), base_lr=float(sched.base_lrs[0]), max_lr=float(sched.max_lrs[0]))
        levels = (sched.base_momentums[0], sched.max_momentums[0]) if sched.cycle_momentum else (None, None)
        args.update(_momentum_args(sched, *levels))
        return args, single_group(sched.min_lr, None)[0]

    @classmethod
    def _lr_curve(cls, steps: int, lr: float, kwargs: dict[str, Any]) -> np.ndarray:
        _refuse_optimizer_args(kwargs)
        sched = cls(_OneGroup(lr), **kwargs)  # torch's checks
        if sched._scale_fn_custom is not None:
            return _curve_by_stepping(sched, steps)
        min_lr = single_group(sched.min_lr, None)[0]
        return cls._core_schedule.curve(
            sched._core_args(), steps, sched.base_lrs[0], sched.max_lrs[0], min_lr=min_lr
        )


class OneCycleLR(LRScheduler):
    """The 1cycle policy: warm the learning rate up to ``max_lr``, then anneal it far below its start.

    ``lr`` goes from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start * total_steps``
    steps, then to ``max_lr / div_factor / final_div_factor`` by step ``total_steps - 1``, each phase
    annealed by ``anneal(start, end, p) = end + (start - end) * (1 + cos(pi * p)) / 2`` (or linearly);
    the momentum goes the other way between ``max_momentum`` and ``base_momentum``.
    torch.optim.lr_scheduler.OneCycleLR's arguments, defaults and values; stepping past
    ``total_steps`` raises torch's ValueError.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` (and momentum) this sets.
    max_lr : float or list of float
        The peak learning rate, one for all groups or one per group.
    total_steps : int, optional
        The number of steps of the cycle; else ``epochs * steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        Used when ``total_steps`` is None.
    pct_start : float, default 0.3
        The fraction of the cycle spent warming up.
    anneal_strategy : {"cos", "linear"}, default "cos"
    cycle_momentum : bool, default True
        Also cycle the momentum; the optimizer needs ``"momentum"`` or ``"betas"`` in its defaults.
    base_momentum, max_momentum : float or list of float, default 0.85, 0.95
    div_factor : float, default 25.0
        ``initial_lr = max_lr / div_factor``.
    final_div_factor : float, default 1e4
        ``min_lr = initial_lr / final_div_factor``.
    three_phase : bool, default False
        Come back down to ``initial_lr`` symmetrically before annealing to ``min_lr``.
    last_epoch : int, default -1
        The index of the last batch; -1 starts afresh.
    min_lr : float or list of float, optional
        A lower bound on the lr each step sets (gradkit's, not torch's); ``None``: no bound. There
        is no separate upper bound: torch's ``max_lr`` already bounds the cycle from above. Not to
        be confused with the groups' ``"min_lr"`` entry, torch's end-of-cycle lr
        (``initial_lr / final_div_factor``), which this scheduler still sets.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import OneCycleLR
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> scheduler = OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=0.4, anneal_strategy="linear")
    >>> lrs = []
    >>> for batch in range(5):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.04, 1.0, 0.666668, 0.333336, 4e-06]
    """

    _core_schedule = _core.schedules.OneCycleLR

    # torch's max_lr argument is the cycle's peak: gradkit adds only a lower bound.
    _bound_names = ("min_lr",)

    @restores_param_groups
    def __init__(
        self,
        optimizer: Any,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
    ) -> None:
        _check_optimizer(optimizer)
        check_rate_bounds(len(optimizer.param_groups), min_lr, None)
        # torch's checks, in its order, all before anything changes.
        if total_steps is not None:
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        max_lrs = _refuse_nan_rates("max_lr", _format_param("max_lr", optimizer, max_lr))
        if last_epoch == -1:  # the base rates, as the loop below sets them
            _refuse_nan_rates("max_lr / div_factor", [peak / div_factor for peak in max_lrs])
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(_MOMENTUM_ERROR)
            max_momentums = _format_param("max_momentum", optimizer, max_momentum)
            base_momentums = _format_param("base_momentum", optimizer, base_momentum)

        self.optimizer = optimizer
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.three_phase = three_phase
        self._anneal_func_type = anneal_strategy
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                for m_momentum, b_momentum, group in zip(
                    max_momentums, base_momentums, optimizer.param_groups, strict=True
                ):
                    _set_momentum(group, self.use_beta1, m_momentum)
                    group["max_momentum"] = m_momentum
                    group["base_momentum"] = b_momentum
        super().__init__(optimizer, last_epoch, min_lr=min_lr)

    def _core_args(self) -> dict[str, Any]:
        return {
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "linear": self._anneal_func_type == "linear",
            "three_phase": bool(self.three_phase),
        }

    @restores_on_error
    def step(self, epoch: int | None = None) -> None:
        """Advance one batch (or go to batch ``epoch``, deprecated as in torch) and set lr and momentum.

        Raises
        ------
        ValueError
            Past ``total_steps``, with torch's message.
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
        else:
            self.last_epoch += 1
        args = self._core_args()
        step_num = self.last_epoch
        groups = self.optimizer.param_groups
        lrs = []
        for group in groups:
            lrs.append(
                self._core_schedule.lr(args, step_num, group["initial_lr"], group["max_lr"], group["min_lr"])
            )
            if self.cycle_momentum:
                momentum = self._core_schedule.momentum(
                    args, step_num, group["base_momentum"], group["max_momentum"]
                )
                _set_momentum(group, self.use_beta1, momentum)
        for group, lr in zip(groups, self._clip(lrs), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    @classmethod
    def _trainer_args(cls, kwargs: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
        """The MLP trainer's OneCycleLR arguments (the cycle's and the group's levels) and min_lr.

        torch's checks are this class's own, made by constructing it on a one-group stand-in.
        """
        _refuse_optimizer_args(kwargs)
        opt = _OneGroup(1.0)
        sched = cls(opt, **kwargs)  # torch's checks
        bound = inspect.signature(cls.__init__).bind(None, opt, **kwargs)
        bound.apply_defaults()
        args = dict(
            sched._core_args(),
            max_lr=float(opt.param_groups[0]["max_lr"]),
            div_factor=float(bound.arguments["div_factor"]),
            final_div_factor=float(bound.arguments["final_div_factor"]),
        )
        group = opt.param_groups[0]
        args.update(_momentum_args(sched, group.get("base_momentum"), group.get("max_momentum")))
        return args, single_group(sched.min_lr, None)[0]

    @classmethod
    def _lr_curve(cls, steps: int, lr: float, kwargs: dict[str, Any]) -> np.ndarray:
        _refuse_optimizer_args(kwargs)
        args, min_lr = cls._trainer_args(kwargs)
        return cls._core_schedule.curve(
            {name: args[name] for name in ("total_steps", "pct_start", "linear", "three_phase")},
            steps,
            args["max_lr"],
            args["div_factor"],
            args["final_div_factor"],
            min_lr=min_lr,
        )
