"""torch.nn.utils.clip_grad_norm_ / clip_grad_value_ for lists of NumPy gradient arrays."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .. import _core

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _as_list(grads: np.ndarray | Iterable[np.ndarray]) -> list[np.ndarray]:
    return [grads] if isinstance(grads, np.ndarray) else list(grads)


def clip_grad_norm_(
    grads: np.ndarray | Iterable[np.ndarray],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale the gradients in place so that their total norm is at most ``max_norm``.

    As torch.nn.utils.clip_grad_norm_: the total norm is the ``norm_type``-norm of all
    gradients viewed as one vector; each is multiplied by ``min(1, max_norm / (total + 1e-6))``.

    Parameters
    ----------
    grads : ndarray or list of ndarray
        Writeable C-contiguous float32/float64 arrays, changed in place.
    max_norm : float
    norm_type : float, default 2.0
        ``float("inf")`` for the largest absolute value.
    error_if_nonfinite : bool, default False
        Raise RuntimeError (and change nothing) if the total norm is nan or inf.

    Returns
    -------
    float
        The total norm before clipping.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import clip_grad_norm_
    >>> g = np.array([3.0, 4.0])
    >>> clip_grad_norm_([g], max_norm=1.0)
    5.0
    >>> np.round(g, 6)
    array([0.6, 0.8])
    """
    return _core.optim.clip_grad_norm_(
        _as_list(grads), float(max_norm), float(norm_type), bool(error_if_nonfinite)
    )


def clip_grad_value_(grads: np.ndarray | Iterable[np.ndarray], clip_value: float) -> None:
    """Clamp every gradient element in place to ``[-clip_value, clip_value]``.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import clip_grad_value_
    >>> g = np.array([-3.0, 0.5, 2.0])
    >>> clip_grad_value_([g], 1.0)
    >>> g
    array([-1. ,  0.5,  1. ])
    """
    _core.optim.clip_grad_value_(_as_list(grads), float(clip_value))
