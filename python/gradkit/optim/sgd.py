"""torch.optim.SGD for NumPy arrays."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay.

    The numbers are torch.optim.SGD's: with :math:`g \leftarrow g + \lambda\theta`,
    :math:`b \leftarrow \mu b + (1-\tau) g` (:math:`b = g` on the first step), and
    :math:`\theta \leftarrow \theta - \eta\,(g + \mu b)` with Nesterov, else
    :math:`\theta - \eta b`.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups ``{"params": [...], "lr": ...}``.
    lr : float, default 1e-3
    momentum : float, default 0
    dampening : float, default 0
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    nesterov : bool, default False
    maximize : bool, default False
        Ascend the objective instead of descending it.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> w = np.array([1.0, -1.0])
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.step([2 * w])             # gradient of ||w||^2
    >>> np.round(w, 4)
    array([ 0.46, -0.46])
    """

    _core_algorithm = _core.optim.SGD

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "momentum": momentum,
                "dampening": dampening,
                "weight_decay": weight_decay,
                "nesterov": nesterov,
                "maximize": maximize,
            },
        )
