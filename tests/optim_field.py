"""The gradient field shared by the fixture generator (tools/make_optim_fixtures.py) and the tests.

It depends on the parameters, so an optimizer that strays from the reference strays further.
"""

from __future__ import annotations

import numpy as np


def gradient(p: np.ndarray, k: int) -> np.ndarray:
    """Gradient for parameter number ``k`` at ``p``, in ``p``'s dtype (signs change along the way)."""
    return (0.5 * (k + 1) * (p - 0.5) + 0.3 * np.sin(3 * p + k)).astype(p.dtype)


def initial_params(sizes: list[list[int]], dtype: str, seed: int = 0) -> list[list[np.ndarray]]:
    """Deterministic starting values, one list of arrays per param group."""
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=n).astype(dtype) for n in group] for group in sizes]
