"""torch.optim.Adam and torch.optim.AdamW for NumPy arrays."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam with bias correction, optional AMSGrad, and coupled or decoupled weight decay.

    The numbers are torch.optim.Adam's:
    :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`,
    :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
    :math:`\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\,
    \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}` (epsilon after the bias correction of v).

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1e-3
    betas : tuple of two floats, default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
        Added to the gradient as ``weight_decay * param`` (AdamW decays the weights instead).
    amsgrad : bool, default False
        Use the running maximum of v.
    maximize : bool, default False
    decoupled_weight_decay : bool, default False
        If True, this is AdamW.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import Adam
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adam([w], lr=0.1)
    >>> opt.step([2 * w])                 # the first Adam step moves each weight by about lr
    >>> np.round(w, 6)
    array([ 0.9, -1.9])
    """

    _core_algorithm = _core.optim.Adam

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "weight_decay": weight_decay,
                "amsgrad": amsgrad,
                "maximize": maximize,
                "decoupled_weight_decay": decoupled_weight_decay,
            },
        )


class AdamW(Adam):
    r"""Adam with decoupled weight decay: :math:`\theta \leftarrow \theta(1 - \eta\lambda)` first.

    torch.optim.AdamW's numbers and defaults (``weight_decay=1e-2``). See :class:`Adam`.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import AdamW
    >>> w = np.array([1.0])
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> opt.step([np.zeros(1)])           # zero gradient: only the decay acts
    >>> w
    array([0.95])
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:  # as torch: AdamW always decays decoupled
            group["decoupled_weight_decay"] = True
