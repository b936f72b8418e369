"""gradkit._core.schedules: the learning-rate schedules (cpp/include/gradkit/schedules), one class each.

Each schedule class is a namespace of static methods. A closed-form schedule has ``check``,
``next_lr`` (torch's recursive get_lr for one group), ``closed_form`` and ``curve``; the schedules
with per-group state and the metric-driven controllers have their own. The Python wrappers keep a
controller's state as attributes and pass it in and out as a dict.
"""

from collections.abc import Sequence
from typing import Any, type_check_only

import numpy as np
from numpy.typing import NDArray

_FloatArray = NDArray[np.float32] | NDArray[np.float64]
# A schedule's arguments by torch's names; a controller's state by its field names.
_Args = dict[str, Any]
_State = dict[str, Any]

# ---------------------------------------------------------------- closed-form schedules

@type_check_only
class _ClosedForm:
    """One closed-form schedule of the core: lr = f(step)."""

    @staticmethod
    def check(args: _Args) -> None: ...
    @staticmethod
    def next_lr(
        args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
    ) -> float: ...
    @staticmethod
    def closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
    @staticmethod
    def curve(
        args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
    ) -> NDArray[np.float64]: ...

class StepLR(_ClosedForm): ...
class MultiStepLR(_ClosedForm): ...
class ConstantLR(_ClosedForm): ...
class LinearLR(_ClosedForm): ...
class ExponentialLR(_ClosedForm): ...
class PolynomialLR(_ClosedForm): ...
class CosineAnnealingLR(_ClosedForm): ...
class InverseTimeLR(_ClosedForm): ...
class InvScalingLR(_ClosedForm): ...
class RestartLR(_ClosedForm): ...
class PiecewiseConstantLR(_ClosedForm): ...
class WarmupCosineLR(_ClosedForm): ...

# Every scheduler's min_lr / max_lr (None: no bound).
def rate_bounds_check(min_lr: float | None, max_lr: float | None) -> None: ...
def clip_lrs(
    lrs: Sequence[float], min_lrs: Sequence[float | None], max_lrs: Sequence[float | None]
) -> list[float]: ...

# ---------------------------------------------------------------- schedules with per-group state

class CosineAnnealingWarmRestarts:
    """torch's CosineAnnealingWarmRestarts: its restarts' state and lr."""

    @staticmethod
    def check(args: _Args) -> None: ...
    @staticmethod
    def advance(args: _Args, T_cur: float, T_i: int) -> tuple[float, int]: ...
    @staticmethod
    def at_epoch(args: _Args, epoch: float) -> tuple[float, int]: ...
    @staticmethod
    def lr(args: _Args, T_cur: float, T_i: int, base_lr: float) -> float: ...
    @staticmethod
    def curve(
        args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
    ) -> NDArray[np.float64]: ...

class CyclicLR:
    """torch's CyclicLR: its cycle position, lr and momentum."""

    @staticmethod
    def check(args: _Args) -> None: ...
    @staticmethod
    def sizes(step_size_up: float, step_size_down: float) -> tuple[float, float]: ...
    @staticmethod
    def position(args: _Args, last_epoch: int) -> tuple[int, float]: ...
    @staticmethod
    def builtin_scale(args: _Args, x: float) -> float: ...
    @staticmethod
    def lr(base_lr: float, max_lr: float, scale_factor: float, scale: float) -> float: ...
    @staticmethod
    def momentum(base_momentum: float, max_momentum: float, scale_factor: float, scale: float) -> float: ...
    @staticmethod
    def curve(
        args: _Args, steps: int, base_lr: float, max_lr: float, min_lr: float | None = None
    ) -> NDArray[np.float64]: ...

class OneCycleLR:
    """torch's OneCycleLR: its lr and momentum at a step."""

    @staticmethod
    def check(args: _Args) -> None: ...
    @staticmethod
    def lr(args: _Args, step_num: int, initial_lr: float, max_lr: float, min_lr: float) -> float: ...
    @staticmethod
    def momentum(args: _Args, step_num: int, base_momentum: float, max_momentum: float) -> float: ...
    @staticmethod
    def curve(
        args: _Args,
        steps: int,
        max_lr: float,
        div_factor: float,
        final_div_factor: float,
        min_lr: float | None = None,
    ) -> NDArray[np.float64]: ...

# ---------------------------------------------------------------- metric-driven controllers

class ReduceLROnPlateau:
    """torch's ReduceLROnPlateau: observe a metric, reduce the lrs."""

    @staticmethod
    def initial_state() -> _State:
        """A fresh state machine's state, by the names of its fields."""

    @staticmethod
    def check(args: _Args) -> None: ...
    @staticmethod
    def observe(args: _Args, state: _State, metric: float, epoch: int) -> tuple[_State, bool]: ...
    @staticmethod
    def reduce(
        args: _Args, state: _State, lrs: Sequence[float], min_lrs: Sequence[float]
    ) -> tuple[_State, list[float]]: ...

@type_check_only
class _LossRule:
    """AdaptiveLR's and BoldDriverLR's functions: one step on every group's lr, within its bounds."""

    @staticmethod
    def initial_state() -> _State:
        """A fresh state machine's state, by the names of its fields."""

    @staticmethod
    def check(args: _Args) -> None: ...
    @staticmethod
    def step(
        args: _Args,
        state: _State,
        loss: float,
        lrs: Sequence[float],
        min_lrs: Sequence[float],
        max_lrs: Sequence[float],
    ) -> tuple[_State, list[float]]: ...

class AdaptiveLR(_LossRule):
    """scikit-learn's adaptive rule: divide the lr when the loss stalls."""

class BoldDriverLR(_LossRule):
    """The bold driver: raise the lr while the loss falls, cut it when it rises."""

# ---------------------------------------------------------------- random per-element rates

class RandomLR:
    """gradkit's RandomLR: per-element lr multipliers drawn anew every few steps."""

    @staticmethod
    def check(args: _Args) -> None: ...
    @staticmethod
    def draw_index(args: _Args, last_epoch: int) -> int:
        """The draw in effect after last_epoch steps."""

    @staticmethod
    def draw(args: _Args, out: _FloatArray, seed: int, draw: int, stream: int) -> None:
        """Fills out (float32 or float64, in place) with draw number `draw` of array number `stream`."""
