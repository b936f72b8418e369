"""Lion (EvoLved Sign Momentum) for NumPy arrays, with the reference implementation's numbers."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["Lion"]


class Lion(Optimizer):
    r"""Lion: every element moves by the learning rate, in the direction of an interpolated momentum's sign.

    From Chen et al., "Symbolic Discovery of Optimization Algorithms" (2023); the numbers are those of
    its reference implementation (google/automl ``lion_pytorch.py``, packaged as lion-pytorch 0.2.5):
    :math:`\theta \leftarrow \theta(1 - \eta\lambda)`,
    :math:`\theta \leftarrow \theta - \eta\,\mathrm{sign}(\beta_1 m + (1-\beta_1) g)`,
    :math:`m \leftarrow \beta_2 m + (1-\beta_2) g`. Its update has the same size for every element,
    so it wants a learning rate 3-10x smaller than AdamW's and a weight decay 3-10x larger.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1e-4
    betas : tuple of two floats, default (0.9, 0.99)
        The interpolation that gives the step's sign, and the momentum's decay; each in [0, 1].
    weight_decay : float, default 0
        Decoupled: each step first multiplies the parameters by ``1 - lr * weight_decay``.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import Lion
    >>> w = np.array([1.0, -2.0, 0.5])
    >>> opt = Lion([w], lr=0.1)
    >>> opt.step([np.array([3.0, -0.001, 0.0])])   # the sign of each gradient, times lr
    >>> w
    array([ 0.9, -1.9,  0.5])
    >>> opt.state_dict()["state"][0]["exp_avg"]
    array([ 3.e-02, -1.e-05,  0.e+00])
    """

    _core_algorithm = _core.optim.Lion

    def __init__(
        self,
        params: Params,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "weight_decay": weight_decay})
