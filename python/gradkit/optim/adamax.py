"""torch.optim.Adamax for NumPy arrays."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax: Adam with the running maximum of :math:`|g|` in place of the root mean square.

    The numbers are torch.optim.Adamax's: with :math:`g \leftarrow g + \lambda\theta`,
    :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`,
    :math:`u \leftarrow \max(\beta_2 u, |g| + \epsilon)` (epsilon inside the maximum) and
    :math:`\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\, \frac{m}{u}`.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 2e-3
    betas : tuple of two floats, default (0.9, 0.999)
        Decay of the first moment and of the infinity norm.
    eps : float, default 1e-8
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    maximize : bool, default False
        Ascend the objective instead of descending it.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import Adamax
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adamax([w], lr=0.1)
    >>> opt.step([2 * w])                 # the first step moves each weight by about lr
    >>> opt.step([np.zeros(2)])           # then u decays by beta2 while m decays by beta1
    >>> np.round(w, 6)
    array([ 0.852584, -1.852584])
    """

    _core_algorithm = _core.optim.Adamax

    def __init__(
        self,
        params: Params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "weight_decay": weight_decay,
                "maximize": maximize,
            },
        )
