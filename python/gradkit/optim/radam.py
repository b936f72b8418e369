"""torch.optim.RAdam for NumPy arrays."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""Rectified Adam: momentum SGD while the variance estimate is unreliable, then rectified Adam.

    The numbers are torch.optim.RAdam's: with Adam's averages :math:`m, v`,
    :math:`\hat m = m / (1-\beta_1^t)`, :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`, the step is
    :math:`\theta \leftarrow \theta - \eta\, \hat m\, r_t \sqrt{1-\beta_2^t} / (\sqrt{v} + \epsilon)`
    with :math:`r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}`
    when :math:`\rho_t > 5`, and :math:`\theta \leftarrow \theta - \eta\, \hat m` otherwise.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1e-3
    betas : tuple of two floats, default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
        Added to the gradient as ``weight_decay * param`` (decays the weights instead if
        ``decoupled_weight_decay``).
    decoupled_weight_decay : bool, default False
        Scale the weights by ``1 - lr * weight_decay`` before the step, as AdamW does.
    maximize : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import RAdam
    >>> w = np.array([1.0, -2.0])
    >>> opt = RAdam([w], lr=0.1)
    >>> opt.step([2 * w])                 # step 1 is not rectified: w - lr * m_hat = w - lr * g
    >>> np.round(w, 6)
    array([ 0.8, -1.6])
    """

    _core_algorithm = _core.optim.RAdam

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
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
                "decoupled_weight_decay": decoupled_weight_decay,
            },
        )
