"""torch.optim.lr_scheduler's step-driven schedules, each computed by the C++ core."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from .. import _core
from ._rate_bounds import Bound
from .lr_scheduler import LRScheduler

__all__ = [
    "ConstantLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "PolynomialLR",
    "StepLR",
]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    ``lr_t = base_lr * gamma ** (t // step_size)``, where ``t`` is ``last_epoch``.
    torch.optim.lr_scheduler.StepLR's arguments, defaults and values.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    step_size : int
        Period of the decay, in steps. torch does not check it; 0 raises ZeroDivisionError at the
        first ``step()``.
    gamma : float, default 0.1
        Multiplicative factor of the decay.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import StepLR
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1)
    >>> scheduler = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    """

    _core_schedule = _core.schedules.StepLR

    _arg_names = ("step_size", "gamma")

    def __init__(
        self,
        optimizer: Any,
        step_size: int,
        gamma: float = 0.1,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone.

    ``lr_t = base_lr * gamma ** (number of milestones <= t)``, where ``t`` is ``last_epoch``.
    torch.optim.lr_scheduler.MultiStepLR's arguments, defaults and values.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    milestones : iterable of int
        Steps at which to decay; a milestone given ``n`` times decays by ``gamma ** n``.
    gamma : float, default 0.1
        Multiplicative factor of the decay.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import MultiStepLR
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1)
    >>> scheduler = MultiStepLR(opt, milestones=[1, 4], gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.05, 0.05, 0.05, 0.025, 0.025]
    """

    _core_schedule = _core.schedules.MultiStepLR

    _arg_names = ("milestones", "gamma")

    @classmethod
    def _to_core(cls, args: dict[str, Any]) -> dict[str, Any]:
        # torch keeps a Counter; the core takes every milestone, repeats included.
        return {**args, "milestones": sorted(Counter(args["milestones"]).elements())}

    def __init__(
        self,
        optimizer: Any,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class ConstantLR(LRScheduler):
    """Multiply the learning rate by ``factor`` until ``total_iters`` steps, then restore it.

    ``lr_t = base_lr * (factor if t < total_iters else 1)``, where ``t`` is ``last_epoch``.
    torch.optim.lr_scheduler.ConstantLR's arguments, defaults and values.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    factor : float, default 1/3
        The factor applied until the milestone; between 0 and 1.
    total_iters : int, default 5
        The step at which the factor is undone (with ``total_iters=0`` it never is, as in torch).
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import ConstantLR
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1)
    >>> scheduler = ConstantLR(opt, factor=0.5, total_iters=3)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.05, 0.05, 0.05, 0.1, 0.1, 0.1]
    """

    _core_schedule = _core.schedules.ConstantLR

    _arg_names = ("factor", "total_iters")

    def __init__(
        self,
        optimizer: Any,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor moving linearly from ``start_factor`` to ``end_factor``.

    ``lr_t = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)``,
    where ``t`` is ``last_epoch``.
    torch.optim.lr_scheduler.LinearLR's arguments, defaults and values.

    The rate is computed by torch's recursion (a ratio applied to the current rate each step), so
    changes made to ``param_groups[i]["lr"]`` between steps carry over, as in torch.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    start_factor : float, default 1/3
        The factor at step 0; greater than 0 and at most 1.
    end_factor : float, default 1.0
        The factor from step ``total_iters`` on; between 0 and 1.
    total_iters : int, default 5
        The number of steps over which the factor changes.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import LinearLR
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1)
    >>> scheduler = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1]
    """

    _core_schedule = _core.schedules.LinearLR

    _arg_names = ("start_factor", "end_factor", "total_iters")

    def __init__(
        self,
        optimizer: Any,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every step.

    ``lr_t = base_lr * gamma ** t``, where ``t`` is ``last_epoch``.
    torch.optim.lr_scheduler.ExponentialLR's arguments, defaults and values.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    gamma : float
        Multiplicative factor of the decay.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import ExponentialLR
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1)
    >>> scheduler = ExponentialLR(opt, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125]
    """

    _core_schedule = _core.schedules.ExponentialLR

    _arg_names = ("gamma",)

    def __init__(
        self,
        optimizer: Any,
        gamma: float,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class PolynomialLR(LRScheduler):
    """Decay the learning rate polynomially to 0 over ``total_iters`` steps.

    ``lr_t = base_lr * (1 - min(t, total_iters) / total_iters) ** power``, where ``t`` is ``last_epoch``.
    torch.optim.lr_scheduler.PolynomialLR's arguments, defaults and values.

    The rate is computed by torch's recursion (a ratio applied to the current rate each step), so
    changes made to ``param_groups[i]["lr"]`` between steps carry over, as in torch.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    total_iters : int, default 5
        The number of steps over which the rate decays to 0.
    power : float, default 1.0
        The power of the polynomial.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import PolynomialLR
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1)
    >>> scheduler = PolynomialLR(opt, total_iters=4, power=2.0)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.05625, 0.025, 0.00625, 0.0, 0.0]
    """

    _core_schedule = _core.schedules.PolynomialLR

    _arg_names = ("total_iters", "power")

    def __init__(
        self,
        optimizer: Any,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class CosineAnnealingLR(LRScheduler):
    """Anneal the learning rate from its initial value to ``eta_min`` along a cosine over ``T_max`` steps.

    ``lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``, where ``t`` is ``last_epoch``.
    torch.optim.lr_scheduler.CosineAnnealingLR's arguments, defaults and values.

    The rate is computed by torch's recursion (a ratio applied to the current rate each step, and
    a fixed increment at each trough past ``T_max``), so it follows the formula to rounding and
    changes made to ``param_groups[i]["lr"]`` between steps carry over, as in torch.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    T_max : int
        The number of steps of the half cosine. torch does not check it; 0 raises ZeroDivisionError
        at the first ``step()``.
    eta_min : float, default 0.0
        The learning rate at ``T_max``.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import CosineAnnealingLR
    >>> w = np.zeros(2)
    >>> opt = SGD([w], lr=0.1)
    >>> scheduler = CosineAnnealingLR(opt, T_max=4, eta_min=0.01)
    >>> lrs = []
    >>> for epoch in range(6):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.08682, 0.055, 0.02318, 0.01, 0.02318]
    """

    _core_schedule = _core.schedules.CosineAnnealingLR

    _arg_names = ("T_max", "eta_min")

    def __init__(
        self,
        optimizer: Any,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)
