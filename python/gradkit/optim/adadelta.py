"""torch.optim.Adadelta for NumPy arrays."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta: steps measured in the units of the parameters, from two running averages.

    The numbers are torch.optim.Adadelta's: with :math:`g \leftarrow g + \lambda\theta`,
    :math:`v \leftarrow \rho v + (1-\rho) g^2`,
    :math:`\Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}}\, g`,
    :math:`u \leftarrow \rho u + (1-\rho) \Delta^2` and :math:`\theta \leftarrow \theta - \eta\Delta`.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1.0
        Scales the step; Adadelta itself needs none.
    rho : float, default 0.9
        Smoothing constant of both running averages, in [0, 1].
    eps : float, default 1e-6
        Added inside both square roots.
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    maximize : bool, default False
        Ascend the objective instead of descending it.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import Adadelta
    >>> w = np.array([1.0, 1.0])
    >>> opt = Adadelta([w])
    >>> opt.step([np.array([1.0, 1000.0])])  # first step about sqrt(eps / (1 - rho)), any gradient size
    >>> np.round(1 - w, 6)
    array([0.003162, 0.003162])
    """

    _core_algorithm = _core.optim.Adadelta

    def __init__(
        self,
        params: Params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize},
        )
