"""The objectives shared by the fixture generator (tests/fixtures/make_optim_fixtures.py) and the tests.

A gradient field for optimizers that take gradients, and a loss with its gradient for those that
take a closure (LBFGS). Both depend on the parameters, so an optimizer that strays from the
reference strays further.

Everything is computed in the parameters' dtype, except sin and cos, which are computed in float64
and rounded to it: that gives the same float32 bits on any CPU (see :func:`_sin`).
"""

from __future__ import annotations

import numpy as np


# NumPy's float32 sin/cos use CPU-specific SIMD kernels that are not correctly rounded (an ulp off
# for ~15% of inputs with AVX2/AVX-512, fewer on SSE), so float32 fields would depend on the CPU;
# float64 results rounded to float32 are correctly rounded on any CPU (bar vanishingly rare ties).
def _sin(x: np.ndarray) -> np.ndarray:
    """``np.sin(x)`` in ``x``'s dtype, computed in float64 (the same bits on any CPU)."""
    return np.sin(x, dtype=np.float64).astype(x.dtype, copy=False)


def _cos(x: np.ndarray) -> np.ndarray:
    """``np.cos(x)`` in ``x``'s dtype, computed in float64 (the same bits on any CPU)."""
    return np.cos(x, dtype=np.float64).astype(x.dtype, copy=False)


def gradient(p: np.ndarray, k: int) -> np.ndarray:
    """Gradient for parameter number ``k`` at ``p``, in ``p``'s dtype (signs change along the way).

    ``0.5 * (k + 1) * (p - 0.5) + 0.3 * sin(3 * p + k)``, the sine computed in float64.
    """
    return (0.5 * (k + 1) * (p - 0.5) + 0.3 * _sin(3 * p + k)).astype(p.dtype)


def initial_params(sizes: list[list[int | list[int]]], dtype: str, seed: int = 0) -> list[list[np.ndarray]]:
    """Deterministic starting values, one list of arrays per param group.

    Each entry of a group is an array's length (a 1-D array) or its shape (``[rows, cols]``: a matrix,
    for the optimizers that read shapes); :func:`gradient` works on either shape, element by element.
    """
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=n).astype(dtype) for n in group] for group in sizes]


def rosenbrock(params: list[np.ndarray], a: float = 10.0) -> tuple[np.floating, list[np.ndarray]]:
    """Extended Rosenbrock loss and its gradient, in the parameters' dtype.

    ``sum_i a * (x[i+1] - x[i]**2)**2 + (1 - x[i])**2`` over ``x``, all parameters flattened and
    joined, so that neighbouring parameters are coupled. The minimum is 0, at all ones. Returns
    ``(loss, grads)`` with one gradient per parameter, shaped like it.
    """
    x = np.concatenate([p.ravel() for p in params])
    one, a_ = x.dtype.type(1), x.dtype.type(a)
    head, tail = x[:-1], x[1:]
    r = tail - head * head
    loss = np.sum(a_ * r * r + (one - head) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -4 * a_ * head * r - 2 * (one - head)
    g[1:] += 2 * a_ * r
    parts = np.split(g, np.cumsum([p.size for p in params])[:-1])
    return loss, [part.reshape(p.shape) for part, p in zip(parts, params)]


def wavy(
    params: list[np.ndarray], amp: float = 0.5, freq: float = 3.0
) -> tuple[np.floating, list[np.ndarray]]:
    """A bowl with ripples, and its gradient, in the parameters' dtype.

    ``sum_i x[i]**2 / 2 + amp * sin(freq * x[i]) + 0.1 * x[i] * x[i+1]`` over ``x``, all parameters
    flattened and joined. Its many local minima send a line search through its rarer branches.
    Returns ``(loss, grads)`` like :func:`rosenbrock`; sin and cos are computed in float64.
    """
    x = np.concatenate([p.ravel() for p in params])
    dt = x.dtype.type
    amp_, freq_, c = dt(amp), dt(freq), dt(0.1)
    loss = np.sum(x * x / 2 + amp_ * _sin(freq_ * x)) + c * np.sum(x[:-1] * x[1:])
    g = x + amp_ * freq_ * _cos(freq_ * x)
    g[:-1] += c * x[1:]
    g[1:] += c * x[:-1]
    parts = np.split(g, np.cumsum([p.size for p in params])[:-1])
    return loss, [part.reshape(p.shape) for part, p in zip(parts, params)]


LOSSES = {"rosenbrock": rosenbrock, "wavy": wavy}
