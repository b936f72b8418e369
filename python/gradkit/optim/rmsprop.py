"""torch.optim.RMSprop for NumPy arrays."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop: steps scaled by a running root mean square of the gradients.

    The numbers are torch.optim.RMSprop's: with :math:`g \leftarrow g + \lambda\theta`,
    :math:`v \leftarrow \alpha v + (1-\alpha) g^2` and
    :math:`d = \sqrt{v - \bar g^2} + \epsilon` if centered
    (:math:`\bar g \leftarrow \alpha \bar g + (1-\alpha) g`), else :math:`\sqrt{v} + \epsilon`;
    :math:`\theta \leftarrow \theta - \eta\, g / d`, or with momentum
    :math:`b \leftarrow \mu b + g / d`, :math:`\theta \leftarrow \theta - \eta b`.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1e-2
    alpha : float, default 0.99
        Smoothing constant of the running averages.
    eps : float, default 1e-8
        Added to the square root (outside it).
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    momentum : float, default 0
    centered : bool, default False
        Normalise by an estimate of the gradient's variance instead of its second moment.
    maximize : bool, default False
        Ascend the objective instead of descending it. Keyword-only here: torch's positional
        slots before it (capturable, foreach) do not exist in gradkit.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import RMSprop
    >>> w = np.array([1.0, -1.0])
    >>> opt = RMSprop([w], lr=0.01, alpha=0.99)
    >>> opt.step([np.array([2.0, -0.5])])  # first step: lr / sqrt(1 - alpha) = 0.1, any gradient size
    >>> np.round(w, 6)
    array([ 0.9, -0.9])
    """

    _core_algorithm = _core.optim.RMSprop

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "momentum": momentum,
                "alpha": alpha,
                "eps": eps,
                "centered": centered,
                "weight_decay": weight_decay,
                "maximize": maximize,
            },
        )
