"""gradkit._core.nn: the network's pieces (cpp/include/gradkit/nn), for tests and the estimators."""

from collections.abc import Sequence
from typing import Literal, TypeVar, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

_Float = TypeVar("_Float", np.float32, np.float64)

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
    *,
    negative_slope: float = 0.01,
    loss: str | None = None,
    huber_delta: float = 1.0,
    quantile: float = 0.5,
    dropout: Sequence[float] | None = None,
    dropout_seed: int = 0,
    dropout_step: int = 0,
) -> tuple[float, NDArray[_Float], list[NDArray[_Float]]]:
    """sklearn's _backprop on all rows of X for the packed params (coefs then intercepts): returns
    (loss, packed gradient, [each layer's activations]). Beyond sklearn: leaky_relu's negative_slope,
    the loss (default: the output's) with huber_delta / quantile, and dropout (one rate per hidden
    layer) with the masks of step dropout_step of dropout_seed; a hidden layer's activations are then
    its output after dropout."""

@overload
def mlp_glorot_init(
    layer_units: Sequence[int],
    hidden_activation: str,
    random_state: LegacyRandomState,
    dtype: Literal["float32"],
) -> NDArray[np.float32]:
    """sklearn's initial weights drawn from random_state, packed (coefs then intercepts)."""

@overload
def mlp_glorot_init(
    layer_units: Sequence[int],
    hidden_activation: str,
    random_state: LegacyRandomState,
    dtype: Literal["float64"],
) -> NDArray[np.float64]: ...
