"""Type stubs for gradkit._core, the C++ extension module (pybind11), maintained by hand.

gradkit's C++ core: optimizers that update NumPy arrays in place, and learning-rate schedules. The
module is internal: gradkit.optim, gradkit.schedules and the estimators are its public face. Arguments
that the bindings leave unnamed (``arg0``, ...) are positional-only here, as they are at run time.
tests/test_typing.py checks that this file and the module name the same classes, methods and
functions with the same parameters.
"""

from collections.abc import Callable, Sequence
from typing import Any, Generic, Literal, SupportsFloat, TypeVar, overload, type_check_only

import numpy as np
from numpy.typing import ArrayLike, NDArray

_Float = TypeVar("_Float", np.float32, np.float64)
_FloatArray = NDArray[np.float32] | NDArray[np.float64]
# A schedule's or an optimizer's arguments by torch's names; a controller's state by its field names.
_Args = dict[str, Any]
_Hyper = dict[str, Any]
_State = dict[str, Any]

# ---------------------------------------------------------------- threads

def get_num_threads() -> int:
    """Threads the core's parallel loops may use."""

def set_num_threads(n: int) -> None:
    """Sets the threads the core's parallel loops may use (OpenMP)."""

# ---------------------------------------------------------------- optimizers
# <Name>_float32 / <Name>_float64: one param group of the core optimizer <Name>, over arrays of that
# dtype; <Name>_check_hyper validates hyperparameters with torch's conditions.

@type_check_only
class _ParamGroup(Generic[_Float]):
    def __init__(self, hyper: _Hyper) -> None: ...
    def add_params(self, params: list[NDArray[_Float]], start: int) -> None: ...
    def set_hyper(self, hyper: _Hyper, /) -> None: ...
    def get_hyper(self) -> _Hyper: ...
    def check(self, grads: list[NDArray[_Float] | None], start: int, /) -> None: ...
    def step(self, grads: list[NDArray[_Float] | None], start: int) -> None: ...
    def get_state(self) -> list[_State | None]: ...
    def check_state(self, states: list[_State | None], start: int, /) -> None: ...
    def set_state(self, states: list[_State | None], start: int, /) -> None: ...
    def check_lr_scale(self, scales: list[NDArray[_Float] | None], start: int) -> None: ...
    def set_lr_scale(self, scales: list[NDArray[_Float] | None], start: int) -> None: ...
    def clear_lr_scale(self) -> None: ...
    @property
    def size(self) -> int: ...

class SGD_float32(_ParamGroup[np.float32]): ...
class SGD_float64(_ParamGroup[np.float64]): ...

def SGD_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class Adam_float32(_ParamGroup[np.float32]): ...
class Adam_float64(_ParamGroup[np.float64]): ...

def Adam_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class Adagrad_float32(_ParamGroup[np.float32]): ...
class Adagrad_float64(_ParamGroup[np.float64]): ...

def Adagrad_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class RMSprop_float32(_ParamGroup[np.float32]): ...
class RMSprop_float64(_ParamGroup[np.float64]): ...

def RMSprop_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class Adadelta_float32(_ParamGroup[np.float32]): ...
class Adadelta_float64(_ParamGroup[np.float64]): ...

def Adadelta_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class Adamax_float32(_ParamGroup[np.float32]): ...
class Adamax_float64(_ParamGroup[np.float64]): ...

def Adamax_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class NAdam_float32(_ParamGroup[np.float32]): ...
class NAdam_float64(_ParamGroup[np.float64]): ...

def NAdam_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class RAdam_float32(_ParamGroup[np.float32]): ...
class RAdam_float64(_ParamGroup[np.float64]): ...

def RAdam_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class Rprop_float32(_ParamGroup[np.float32]): ...
class Rprop_float64(_ParamGroup[np.float64]): ...

def Rprop_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class ASGD_float32(_ParamGroup[np.float32]): ...
class ASGD_float64(_ParamGroup[np.float64]): ...

def ASGD_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class SklearnSGD_float32(_ParamGroup[np.float32]): ...
class SklearnSGD_float64(_ParamGroup[np.float64]): ...

def SklearnSGD_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class SklearnAdam_float32(_ParamGroup[np.float32]): ...
class SklearnAdam_float64(_ParamGroup[np.float64]): ...

def SklearnAdam_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

@type_check_only
class _LBFGS(Generic[_Float]):
    def __init__(self, hyper: _Hyper) -> None: ...
    def add_params(self, params: list[NDArray[_Float]], start: int) -> None: ...
    def set_hyper(self, hyper: _Hyper, /) -> None: ...
    def get_hyper(self) -> _Hyper: ...
    def step(
        self, closure: Callable[[], tuple[SupportsFloat, Sequence[NDArray[_Float] | None]]]
    ) -> float: ...
    def get_state(self) -> list[_State | None]: ...
    def check_state(self, states: list[_State | None], start: int, /) -> None: ...
    def set_state(self, states: list[_State | None], start: int, /) -> None: ...
    @property
    def size(self) -> int: ...

class LBFGS_float32(_LBFGS[np.float32]): ...
class LBFGS_float64(_LBFGS[np.float64]): ...

def LBFGS_check_hyper(hyper: _Hyper, /) -> _Hyper:
    """Validates LBFGS hyperparameters; returns them as the core holds them."""

def clip_grad_norm_(
    grads: list[_FloatArray], max_norm: float, norm_type: float, error_if_nonfinite: bool
) -> float: ...
def clip_grad_value_(grads: list[_FloatArray], clip_value: float) -> None: ...

# ---------------------------------------------------------------- closed-form schedules
# <Name>_check, _next_lr (torch's recursive get_lr for one group), _closed_form and _curve.

def StepLR_check(args: _Args) -> None: ...
def StepLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def StepLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def StepLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def MultiStepLR_check(args: _Args) -> None: ...
def MultiStepLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def MultiStepLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def MultiStepLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def ConstantLR_check(args: _Args) -> None: ...
def ConstantLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def ConstantLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def ConstantLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def LinearLR_check(args: _Args) -> None: ...
def LinearLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def LinearLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def LinearLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def ExponentialLR_check(args: _Args) -> None: ...
def ExponentialLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def ExponentialLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def ExponentialLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def PolynomialLR_check(args: _Args) -> None: ...
def PolynomialLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def PolynomialLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def PolynomialLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def CosineAnnealingLR_check(args: _Args) -> None: ...
def CosineAnnealingLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def CosineAnnealingLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def CosineAnnealingLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def InverseTimeLR_check(args: _Args) -> None: ...
def InverseTimeLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def InverseTimeLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def InverseTimeLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def InvScalingLR_check(args: _Args) -> None: ...
def InvScalingLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def InvScalingLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def InvScalingLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def RestartLR_check(args: _Args) -> None: ...
def RestartLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def RestartLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def RestartLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def PiecewiseConstantLR_check(args: _Args) -> None: ...
def PiecewiseConstantLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def PiecewiseConstantLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def PiecewiseConstantLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def WarmupCosineLR_check(args: _Args) -> None: ...
def WarmupCosineLR_next_lr(
    args: _Args, last_epoch: int, base_lr: float, current_lr: float, initial: bool = False
) -> float: ...
def WarmupCosineLR_closed_form(args: _Args, last_epoch: int, base_lr: float) -> float: ...
def WarmupCosineLR_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...

# Every scheduler's min_lr / max_lr (None: no bound).
def rate_bounds_check(min_lr: float | None, max_lr: float | None) -> None: ...
def clip_lrs(
    lrs: Sequence[float], min_lrs: Sequence[float | None], max_lrs: Sequence[float | None]
) -> list[float]: ...

# ---------------------------------------------------------------- schedules with per-group state

def CosineAnnealingWarmRestarts_check(args: _Args) -> None: ...
def CosineAnnealingWarmRestarts_advance(args: _Args, T_cur: float, T_i: int) -> tuple[float, int]: ...
def CosineAnnealingWarmRestarts_at_epoch(args: _Args, epoch: float) -> tuple[float, int]: ...
def CosineAnnealingWarmRestarts_lr(args: _Args, T_cur: float, T_i: int, base_lr: float) -> float: ...
def CosineAnnealingWarmRestarts_curve(
    args: _Args, steps: int, base_lr: float, min_lr: float | None = None, max_lr: float | None = None
) -> NDArray[np.float64]: ...
def CyclicLR_check(args: _Args) -> None: ...
def CyclicLR_sizes(step_size_up: float, step_size_down: float) -> tuple[float, float]: ...
def CyclicLR_position(args: _Args, last_epoch: int) -> tuple[int, float]: ...
def CyclicLR_builtin_scale(args: _Args, x: float) -> float: ...
def CyclicLR_lr(base_lr: float, max_lr: float, scale_factor: float, scale: float) -> float: ...
def CyclicLR_momentum(
    base_momentum: float, max_momentum: float, scale_factor: float, scale: float
) -> float: ...
def CyclicLR_curve(
    args: _Args, steps: int, base_lr: float, max_lr: float, min_lr: float | None = None
) -> NDArray[np.float64]: ...
def OneCycleLR_check(args: _Args) -> None: ...
def OneCycleLR_lr(args: _Args, step_num: int, initial_lr: float, max_lr: float, min_lr: float) -> float: ...
def OneCycleLR_momentum(args: _Args, step_num: int, base_momentum: float, max_momentum: float) -> float: ...
def OneCycleLR_curve(
    args: _Args,
    steps: int,
    max_lr: float,
    div_factor: float,
    final_div_factor: float,
    min_lr: float | None = None,
) -> NDArray[np.float64]: ...

# ---------------------------------------------------------------- metric-driven controllers
# The Python wrappers keep the state as attributes and pass it in and out as a dict.

def ReduceLROnPlateau_check(args: _Args) -> None: ...
def ReduceLROnPlateau_observe(
    args: _Args, state: _State, metric: float, epoch: int
) -> tuple[_State, bool]: ...
def ReduceLROnPlateau_reduce(
    args: _Args, state: _State, lrs: Sequence[float], min_lrs: Sequence[float]
) -> tuple[_State, list[float]]: ...
def AdaptiveLR_check(args: _Args) -> None: ...
def AdaptiveLR_step(
    args: _Args,
    state: _State,
    loss: float,
    lrs: Sequence[float],
    min_lrs: Sequence[float],
    max_lrs: Sequence[float],
) -> tuple[_State, list[float]]: ...
def BoldDriverLR_check(args: _Args) -> None: ...
def BoldDriverLR_step(
    args: _Args,
    state: _State,
    loss: float,
    lrs: Sequence[float],
    min_lrs: Sequence[float],
    max_lrs: Sequence[float],
) -> tuple[_State, list[float]]: ...

# ---------------------------------------------------------------- random per-element rates

def RandomLR_check(args: _Args) -> None: ...
def RandomLR_draw_index(args: _Args, last_epoch: int) -> int:
    """The draw in effect after last_epoch steps."""

def RandomLR_draw(args: _Args, out: _FloatArray, seed: int, draw: int, stream: int) -> None:
    """Fills out (float32 or float64, in place) with draw number `draw` of array number `stream`."""

# ---------------------------------------------------------------- the MLP

class LegacyRandomState:
    """NumPy's legacy RandomState (MT19937) in the core: the same draws, and a state that moves to and
    from RandomState.get_state()/set_state()."""

    def __init__(self, seed: int) -> None: ...
    def set_state(self, key: ArrayLike, pos: int) -> None: ...
    def get_state(self) -> tuple[NDArray[np.uint32], int]: ...
    def uniform(self, low: float, high: float, size: int) -> NDArray[np.float64]: ...
    def shuffle(self, x: NDArray[np.int64]) -> None:
        """Shuffles a writeable C-contiguous int64 array in place, as RandomState.shuffle."""

def mlp_backprop(
    layer_units: Sequence[int],
    hidden_activation: str,
    out_activation: str,
    params: NDArray[_Float],
    X: NDArray[_Float],
    y: NDArray[_Float],
    sample_weight: NDArray[_Float] | None,
    alpha: float,
) -> tuple[float, NDArray[_Float], list[NDArray[_Float]]]:
    """sklearn's _backprop on all rows of X for the packed params (coefs then intercepts): returns
    (loss, packed gradient, [each layer's activations])."""

@overload
def mlp_glorot_init(
    layer_units: Sequence[int],
    hidden_activation: str,
    random_state: LegacyRandomState,
    dtype: Literal["float32"],
) -> NDArray[np.float32]: ...
@overload
def mlp_glorot_init(
    layer_units: Sequence[int],
    hidden_activation: str,
    random_state: LegacyRandomState,
    dtype: Literal["float64"],
) -> NDArray[np.float64]: ...

class TrainingDiverged(ValueError):
    """Raised by fit_stochastic when an epoch gives a non-finite loss or weight (the previous epoch's
    weights are kept)."""

class ScheduleStepError(ValueError):
    """Raised by fit_stochastic when the schedule refuses a step inside the loop (OneCycleLR past
    total_steps); last_progress holds the epochs completed and the weights every step taken."""

@type_check_only
class _MLPTrainer(Generic[_Float]):
    def __init__(self, layer_units: Sequence[int], hidden_activation: str, out_activation: str) -> None: ...
    @property
    def layer_units(self) -> list[int]: ...
    @property
    def n_params(self) -> int: ...
    @property
    def params(self) -> NDArray[_Float]:
        """The packed weights (coefs then intercepts), a writeable view of the trainer's own buffer."""

    def set_params(self, packed: NDArray[_Float]) -> None: ...
    def glorot_init(self, random_state: LegacyRandomState) -> None:
        """sklearn's initial weights drawn from random_state (weights then biases, layer by layer)."""

    def set_step_rule(self, name: str, hyper: _Hyper) -> None:
        """Uses the optimizer `name` (SklearnSGD, SklearnAdam or a gradkit.optim name) with the given
        hyperparameters over all weights, from a fresh state."""

    @staticmethod
    def step_rules() -> list[str]:
        """The names set_step_rule accepts."""

    def clear_step_rule(self) -> None: ...
    @property
    def has_step_rule(self) -> bool: ...
    def set_rate_policy(
        self,
        name: Literal["constant", "invscaling", "adaptive"],
        learning_rate_init: float = 0.0,
        power_t: float = 0.5,
    ) -> None: ...
    def set_schedule(
        self,
        name: str,
        args: _Args,
        min_lr: float | None,
        max_lr: float | None,
        base_lr: float,
        per_step: bool,
    ) -> None:
        """Uses the gradkit schedule `name` (its arguments by torch's names) from base_lr as the rate
        policy, stepped after every optimizer step (per_step) or every epoch."""

    @staticmethod
    def schedules() -> list[str]:
        """The names set_schedule accepts."""

    @property
    def schedule_steps(self) -> int:
        """The steps the rate policy's schedule has taken (its state)."""

    @schedule_steps.setter
    def schedule_steps(self, steps: int, /) -> None: ...
    @property
    def schedule_state(self) -> list[float]:
        """A loss-driven schedule's state machine (best loss, counters) as numbers; empty for others."""

    @schedule_state.setter
    def schedule_state(self, state: Sequence[float], /) -> None: ...
    @property
    def lr(self) -> float: ...
    @lr.setter
    def lr(self, lr: float, /) -> None: ...
    def rule_state(self) -> _State | None: ...
    def set_rule_state(self, state: _State) -> None: ...
    def fit_stochastic(
        self,
        X: NDArray[_Float],
        Y: NDArray[_Float] | NDArray[np.int64],
        sample_weight: NDArray[_Float] | None,
        train_index: NDArray[np.int64] | None,
        val_index: NDArray[np.int64] | None,
        best_params: NDArray[_Float] | None,
        random_state: LegacyRandomState | None,
        progress: dict[str, Any],
        hook: Callable[[dict[str, Any]], object] | None,
        *,
        batch_size: int,
        shuffle: bool,
        max_iter: int,
        alpha: float,
        tol: float,
        n_iter_no_change: float,
        incremental: bool,
        score: Literal["accuracy", "r2"],
        clip_grad_norm: float = 0.0,
    ) -> tuple[dict[str, Any], str]:
        """sklearn's _fit_stochastic on rows of X (read in place). Y is the targets as the network sees
        them (n, n_outputs), or for a softmax output the int64 class of each row. Returns (progress,
        stop reason)."""

    @property
    def last_progress(self) -> dict[str, Any] | None:
        """The progress of the last fit_stochastic, also when it raised."""

    def fit_lbfgs(
        self,
        X: NDArray[_Float],
        Y: NDArray[_Float],
        sample_weight: NDArray[_Float] | None,
        *,
        alpha: float,
        max_iter: int,
        max_fun: int,
        tol: float,
    ) -> tuple[float, int, int, bool]:
        """Full-batch L-BFGS. Returns (loss, n_iter, n_evals, converged)."""

    def predict(self, X: NDArray[_Float]) -> NDArray[_Float]:
        """The network's output for every row of X."""

class MLPTrainer_float32(_MLPTrainer[np.float32]):
    """A network with its optimizer and rate policy, trained in place by the core (sklearn's MLP
    training loop). Used by gradkit.MLPClassifier and gradkit.MLPRegressor."""

class MLPTrainer_float64(_MLPTrainer[np.float64]):
    """A network with its optimizer and rate policy, trained in place by the core (sklearn's MLP
    training loop). Used by gradkit.MLPClassifier and gradkit.MLPRegressor."""
