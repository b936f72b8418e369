"""torch.optim.ASGD for NumPy arrays."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD: SGD with a decaying rate, and a running average of the iterates after ``t0``.

    The numbers are torch.optim.ASGD's:
    :math:`\theta \leftarrow \theta (1 - \lambda \eta_t) - \eta_t g`, then the average
    :math:`a \leftarrow a + \mu_t (\theta - a)` (:math:`a = \theta` while :math:`\mu_t = 1`), with
    :math:`\eta_{t+1} = \mathrm{lr} / (1 + \lambda\, \mathrm{lr}\, t)^\alpha` and
    :math:`\mu_{t+1} = 1 / \max(1, t - t_0)`. The average is the state's ``"ax"``.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1e-2
    lambd : float, default 1e-4
        Decay term :math:`\lambda`.
    alpha : float, default 0.75
        Power of the :math:`\eta` schedule.
    t0 : float, default 1e6
        The step after which averaging starts.
    weight_decay : float, default 0
        Added to the gradient as ``weight_decay * param``.
    maximize : bool, default False
        Keyword-only here: torch takes it positionally after ``foreach``, which gradkit has not.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import ASGD
    >>> w = np.array([4.0])
    >>> opt = ASGD([w], lr=0.5, lambd=0.0, t0=1)
    >>> for _ in range(4):
    ...     opt.step([w.copy()])              # gradient of 0.5 * w^2 halves w each step
    >>> w
    array([0.25])
    >>> opt.state_dict()["state"][0]["ax"]    # mean of steps t0 + 2 on: (0.5 + 0.25) / 2
    array([0.375])
    """

    _core_algorithm = _core.optim.ASGD

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "lambd": lambd,
                "alpha": alpha,
                "t0": t0,
                "weight_decay": weight_decay,
                "maximize": maximize,
            },
        )
