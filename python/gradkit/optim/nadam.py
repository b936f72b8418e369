"""torch.optim.NAdam for NumPy arrays."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""Adam with Nesterov momentum and a momentum schedule; NAdamW with decoupled weight decay.

    The numbers are torch.optim.NAdam's: with the schedule
    :math:`\mu_t = \beta_1 (1 - \frac12\, 0.96^{t\psi})`,
    :math:`\theta \leftarrow \theta - \eta \Big(\frac{(1-\mu_t)\, g}{1-\prod_{i\le t}\mu_i}
    + \frac{\mu_{t+1}\, m}{1-\prod_{i\le t+1}\mu_i}\Big) \Big/ \big(\sqrt{v/(1-\beta_2^t)} + \epsilon\big)`,
    where :math:`m` and :math:`v` are Adam's running averages of :math:`g` and :math:`g^2`.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 2e-3
    betas : tuple of two floats, default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
        Added to the gradient as ``weight_decay * param`` (decays the weights instead if
        ``decoupled_weight_decay``).
    momentum_decay : float, default 4e-3
        :math:`\psi` in the momentum schedule.
    decoupled_weight_decay : bool, default False
        Scale the weights by ``1 - lr * weight_decay`` before the step (NAdamW).
    maximize : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import NAdam
    >>> w = np.array([1.0, -2.0])
    >>> opt = NAdam([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.step([2 * w])             # gradient of ||w||^2
    >>> np.round(w, 4)
    array([ 0.7527, -1.7475])
    """

    _core_algorithm = _core.optim.NAdam

    def __init__(
        self,
        params: Params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
                "momentum_decay": momentum_decay,
                "decoupled_weight_decay": decoupled_weight_decay,
                "maximize": maximize,
            },
        )
