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
    def get_state(self) -> list[_State | None]: ...
    def check_state(self, states: list[_State | None], start: int, /) -> None: ...
    def set_state(self, states: list[_State | None], start: int, /) -> None: ...
    def check_lr_scale(self, scales: list[NDArray[_Float] | None], start: int) -> None: ...
    def set_lr_scale(self, scales: list[NDArray[_Float] | None], start: int) -> None: ...
    def clear_lr_scale(self) -> None: ...
    @property
    def size(self) -> int: ...

class SGD:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Adam:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Adagrad:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class RMSprop:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Adadelta:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Adamax:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Lion:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class NAdam:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class RAdam:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class Rprop:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class ASGD:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class SklearnSGD:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

    class float32(_ParamGroup[np.float32]): ...
    class float64(_ParamGroup[np.float64]): ...

class SklearnAdam:
    """One optimizer of the core: its param groups of each dtype (float32, float64) and its
    hyperparameter check."""

    @staticmethod
    def check_hyper(hyper: _Hyper, /) -> _Hyper:
        """Validates hyperparameters with torch's conditions; returns them as the core holds them."""

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
    def check_state(self, states: list[_State | None], start: int, /) -> None: ...
    def set_state(self, states: list[_State | None], start: int, /) -> None: ...
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

def clip_grad_norm_(
    grads: list[_FloatArray], max_norm: float, norm_type: float, error_if_nonfinite: bool
) -> float: ...
def clip_grad_value_(grads: list[_FloatArray], clip_value: float) -> None: ...
