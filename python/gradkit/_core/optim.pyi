"""gradkit._core.optim: the optimizers (cpp/include/gradkit/optim), one class each.

Each optimizer class is a namespace: ``<Name>.float32`` / ``<Name>.float64`` are one param group of
the core optimizer over arrays of that dtype, and ``<Name>.check_hyper`` validates hyperparameters with
torch's conditions.
"""

from collections.abc import Callable, Sequence
from typing import Any, Generic, SupportsFloat, TypeVar, type_check_only

import numpy as np
from numpy.typing import NDArray

_Float = TypeVar("_Float", np.float32, np.float64)
_FloatArray = NDArray[np.float32] | NDArray[np.float64]
# An optimizer's hyperparameters by torch's names; a parameter's state by its key names.
_Hyper = dict[str, Any]
_State = dict[str, Any]

@type_check_only
class _ParamGroup(Generic[_Float]):
    def __init__(self, hyper: _Hyper) -> None: ...
    def add_params(self, params: list[NDArray[_Float]], start: int) -> None: ...
    def set_hyper(self, hyper: _Hyper, /) -> None: ...
    def get_hyper(self) -> _Hyper: ...
    def check(self, grads: list[NDArray[_Float] | None], start: int, /) -> None: ...
    def step(self, grads: list[NDArray[_Float] | None], start: int) -> None: ...
    @staticmethod
    def step_groups(groups: list[Any], grads: list[Any]) -> None:
        """One step of every group (the optimizer's step), all gradients checked first."""
    def set_mode(self, train: bool) -> None: ...
    def get_state(self) -> list[_State | None]: ...
    def check_state(self, states: list[_State | None], start: int, hyper: _Hyper | None = None) -> None:
        """Checks states for this group's parameters against its hyperparameters updated by `hyper`."""
    def set_state(self, states: list[_State | None], start: int, hyper: _Hyper | None = None) -> None: ...
    def check_lr_scale(self, scales: list[NDArray[_Float] | None], start: int) -> None: ...
    def set_lr_scale(self, scales: list[NDArray[_Float] | None], start: int) -> None: ...
    def clear_lr_scale(self) -> None: ...
    @property
    def size(self) -> int: ...

@type_check_only
class _Algorithm:
    # Hyperparameter keys that a step or a mode switch changes (the group state torch keeps in the dict).
    group_state: tuple[str, ...]
    # Whether train() / eval() move the parameters (Schedule-Free, Lookahead).
    has_modes: bool
    # Whether a step spans every param group at once (Prodigy's d): then the groups share one dtype.
    spans_groups: bool
    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

class SGD(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Adam(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Adagrad(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class RMSprop(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Adadelta(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Adamax(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Lion(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Prodigy(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Adafactor(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Muon(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class NAdam(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class RAdam(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Rprop(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class ASGD(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class ScheduleFreeSGD(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class ScheduleFreeAdamW(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class SklearnSGD(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class SklearnAdam(_Algorithm):
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

@type_check_only
class _LBFGSGroup(Generic[_Float]):
    def __init__(self, hyper: _Hyper) -> None: ...
    def add_params(self, params: list[NDArray[_Float]], start: int) -> None: ...
    def set_hyper(self, hyper: _Hyper, /) -> None: ...
    def get_hyper(self) -> _Hyper: ...
    def step(
        self, closure: Callable[[], tuple[SupportsFloat, Sequence[NDArray[_Float] | None]]]
    ) -> float: ...
    def get_state(self) -> list[_State | None]: ...
    def check_state(self, states: list[_State | None], start: int, hyper: _Hyper | None = None) -> None: ...
    def set_state(self, states: list[_State | None], start: int, hyper: _Hyper | None = None) -> None: ...
    @property
    def size(self) -> int: ...

class LBFGS:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates LBFGS hyperparameters; returns them as the core holds them."""

    class float32(_LBFGSGroup[np.float32]): ...
    class float64(_LBFGSGroup[np.float64]): ...

class Lookahead:
    """Lookahead's kernels (gradkit.optim.Lookahead holds the inner optimizer, the counter and the
    slow weights)."""

    @staticmethod
    def check_hyper(k: int, alpha: float) -> None:
        """Validates k (>= 1) and alpha (in [0, 1]) with the reference's messages."""
    @staticmethod
    def sync(params: list[_FloatArray], slow: list[_FloatArray], alpha: float) -> None:
        """params[i] <- alpha params[i] + (1 - alpha) slow[i]; slow[i] <- params[i] (torch-optimizer's
        rounding); every pair checked first."""
    @staticmethod
    def swap(params: list[_FloatArray], other: list[_FloatArray]) -> None:
        """Exchanges params[i] and other[i] in place; every pair checked first."""

def clip_grad_norm_(
    grads: list[_FloatArray], max_norm: float, norm_type: float, error_if_nonfinite: bool
) -> float: ...
def clip_grad_value_(grads: list[_FloatArray], clip_value: float) -> None: ...
