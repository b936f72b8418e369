"""Closed-form schedules torch lacks, with torch's scheduler conventions, each computed by the C++ core.

As everywhere in gradkit.schedules, ``t`` is ``last_epoch`` (the number of ``step()`` calls since the
constructor's own step, so the constructor sets the value at ``t = 0``) and ``lr0`` is the group's
``"initial_lr"`` (its lr when the scheduler was made). Each rule is a pure function of ``t``: there is
no torch recursion to reproduce, so ``step()`` computes the closed form, and ``step(epoch)`` (with
torch's deprecation warning) gives the same numbers as stepping there one by one. An lr set on a
group by hand between steps is therefore overwritten at the next step, not carried over.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _core
from ._rate_bounds import Bound
from .lr_scheduler import LRScheduler

__all__ = ["InvScalingLR", "InverseTimeLR", "PiecewiseConstantLR", "RestartLR", "WarmupCosineLR"]


class InverseTimeLR(LRScheduler):
    """Inverse-time decay: ``lr0 / (1 + decay_rate * t / decay_steps)``.

    With ``staircase=True`` the quotient is floored: ``lr0 / (1 + decay_rate * floor(t / decay_steps))``,
    so the rate drops once every ``decay_steps`` steps. Keras' ``InverseTimeDecay`` (computed in its
    order: ``p = t / decay_steps``, floored with ``staircase``, then ``lr0 / (1 + decay_rate * p)``).

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    decay_rate : float
        How fast the rate falls; non-negative (0 keeps ``lr0``).
    decay_steps : int, default 1
        The time scale, in steps; a positive integer.
    staircase : bool, default False
        Decay in steps of ``decay_steps`` instead of continuously.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets; ``None``: no bound.

    Raises
    ------
    ValueError
        If ``decay_rate`` is negative or NaN, or ``decay_steps < 1``; before the optimizer is touched.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import InverseTimeLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = InverseTimeLR(opt, decay_rate=0.5, decay_steps=2)
    >>> lrs = []
    >>> for step in range(5):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.08, 0.066667, 0.057143, 0.05]
    """

    _core_schedule = _core.schedules.InverseTimeLR

    _arg_names = ("decay_rate", "decay_steps", "staircase")

    def __init__(
        self,
        optimizer: Any,
        decay_rate: float,
        decay_steps: int = 1,
        staircase: bool = False,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.staircase = staircase
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class InvScalingLR(LRScheduler):
    """Inverse scaling: ``lr0 / (t + 1) ** power_t``.

    scikit-learn's ``learning_rate='invscaling'``
    (``learning_rate_init / pow(t + 1, power_t)``), with ``t`` counting ``step()`` calls.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    power_t : float, default 0.5
        The exponent; non-negative (0 keeps ``lr0``).
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets; ``None``: no bound.

    Raises
    ------
    ValueError
        If ``power_t`` is negative or NaN; before the optimizer is touched.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import InvScalingLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = InvScalingLR(opt, power_t=0.5)
    >>> lrs = []
    >>> for step in range(4):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.070711, 0.057735, 0.05]
    """

    _core_schedule = _core.schedules.InvScalingLR

    _arg_names = ("power_t",)

    def __init__(
        self,
        optimizer: Any,
        power_t: float = 0.5,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.power_t = power_t
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class RestartLR(LRScheduler):
    """Periodic restart to the fixed rate: ``lr0 * gamma ** (t % period)``.

    Every ``period`` steps the rate is reset to ``lr0``; in between it decays by ``gamma`` per step
    (``gamma=1``, the default, keeps ``lr0`` throughout).

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    period : int
        The number of steps between restarts; a positive integer.
    gamma : float, default 1.0
        The decay factor per step within a period; non-negative.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets; ``None``: no bound.

    Raises
    ------
    ValueError
        If ``period < 1`` or ``gamma`` is negative or NaN; before the optimizer is touched.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import RestartLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = RestartLR(opt, period=3, gamma=0.5)
    >>> lrs = []
    >>> for step in range(7):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.05, 0.025, 0.1, 0.05, 0.025, 0.1]
    """

    _core_schedule = _core.schedules.RestartLR

    _arg_names = ("period", "gamma")

    def __init__(
        self,
        optimizer: Any,
        period: int,
        gamma: float = 1.0,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.period = period
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class PiecewiseConstantLR(LRScheduler):
    """Absolute rates between step boundaries (Keras' ``PiecewiseConstantDecay``).

    ``values[0]`` while ``t <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < t <= boundaries[i]``, and ``values[-1]`` once ``t > boundaries[-1]``
    (Keras' ``<=``: a boundary step still has the earlier value).

    The values are learning rates, not factors: they replace every group's lr, whatever the
    group's initial lr (which is still recorded as ``"initial_lr"``, as by every scheduler). For
    different rates per group, use ``LambdaLR`` with one function per group.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    boundaries : sequence of float
        Strictly increasing, finite steps.
    values : sequence of float
        The non-negative rates, one more than ``boundaries``.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets; ``None``: no bound.

    Raises
    ------
    ValueError
        If ``len(values) != len(boundaries) + 1``, the boundaries are not strictly increasing or not
        finite, or a value is negative or NaN; before the optimizer is touched.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import PiecewiseConstantLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = PiecewiseConstantLR(opt, boundaries=[1, 3], values=[1.0, 0.5, 0.1])
    >>> lrs = []
    >>> for step in range(6):
    ...     lrs.append(scheduler.get_last_lr()[0])
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    """

    _core_schedule = _core.schedules.PiecewiseConstantLR

    _arg_names = ("boundaries", "values")

    @classmethod
    def _to_core(cls, args: dict[str, Any]) -> dict[str, Any]:
        return {"boundaries": list(args["boundaries"]), "values": list(args["values"])}

    def __init__(
        self,
        optimizer: Any,
        boundaries: Sequence[float],
        values: Sequence[float],
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.boundaries = list(boundaries)
        self.values = list(values)
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)


class WarmupCosineLR(LRScheduler):
    """Linear warmup to ``lr0``, then cosine annealing to ``eta_min``, as one schedule.

    With ``W = warmup_steps``, ``T = total_steps`` and ``s = warmup_start_factor``:

    - ``t < W``: ``lr0 * (s + (1 - s) * t / W)``, rising linearly from ``lr0 * s`` at ``t = 0``
      towards ``lr0``;
    - ``W <= t < T``: ``eta_min + (lr0 - eta_min) * (1 + cos(pi * (t - W) / (T - W))) / 2``, which is
      ``lr0`` at ``t = W`` and falls along a half cosine;
    - ``t >= T``: ``eta_min`` (reached exactly at ``t = T`` and kept after).

    ``warmup_steps=0`` is plain cosine annealing from ``lr0``. ``eta_min`` is an absolute rate, the
    same for every group (a group with ``lr0 < eta_min`` rises to it instead).

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    warmup_steps : int
        The length of the warmup; a non-negative integer.
    total_steps : int
        The step at which the rate reaches ``eta_min``; greater than ``warmup_steps``.
    warmup_start_factor : float, default 0.0
        The fraction of ``lr0`` the warmup starts from; between 0 and 1.
    eta_min : float, default 0.0
        The final rate; non-negative.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets; ``None``: no bound.

    Raises
    ------
    ValueError
        If ``warmup_steps < 0``, ``total_steps <= warmup_steps``, ``warmup_start_factor`` is outside
        [0, 1], or ``eta_min`` is negative or not finite; before the optimizer is touched.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import WarmupCosineLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = WarmupCosineLR(opt, warmup_steps=2, total_steps=4, eta_min=0.01)
    >>> lrs = []
    >>> for step in range(6):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.0, 0.05, 0.1, 0.055, 0.01, 0.01]
    """

    _core_schedule = _core.schedules.WarmupCosineLR

    _arg_names = ("warmup_steps", "total_steps", "warmup_start_factor", "eta_min")

    def __init__(
        self,
        optimizer: Any,
        warmup_steps: int,
        total_steps: int,
        warmup_start_factor: float = 0.0,
        eta_min: float = 0.0,
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.warmup_start_factor = warmup_start_factor
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)
