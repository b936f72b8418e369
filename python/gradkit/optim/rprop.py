"""torch.optim.Rprop for NumPy arrays."""

from __future__ import annotations

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation: each element moves by its own step size, against the gradient's sign.

    The numbers are torch.optim.Rprop's: per element, the step size :math:`s` (initially ``lr``)
    becomes :math:`\mathrm{clip}(s\,\eta_+)` where :math:`g\, g_{prev} > 0`,
    :math:`\mathrm{clip}(s\,\eta_-)` where :math:`g\, g_{prev} < 0` (and :math:`g` then counts
    as 0), and stays where :math:`g\, g_{prev} = 0`; then
    :math:`\theta \leftarrow \theta - \mathrm{sign}(g)\, s`.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1e-2
        The initial step size. As in torch, changing it later has no effect on parameters
        that have taken a step.
    etas : tuple of two floats, default (0.5, 1.2)
        ``(etaminus, etaplus)``: the factors that shrink and grow the step size.
    step_sizes : tuple of two floats, default (1e-6, 50)
        ``(min, max)`` step size.
    maximize : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import Rprop
    >>> w = np.array([1.0, -1.0])
    >>> opt = Rprop([w], lr=0.1)
    >>> for grad in ([1.0, 1.0], [1.0, -1.0]):  # element 1's gradient flips sign on step 2
    ...     opt.step([np.array(grad)])
    >>> np.round(w, 6)                       # element 0: 1 - 0.1 - 0.12; element 1: stays after the flip
    array([ 0.78, -1.1 ])
    >>> np.round(opt.state_dict()["state"][0]["step_size"], 6)
    array([0.12, 0.05])
    """

    _core_algorithm = _core.optim.Rprop

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "etas": tuple(etas),
                "step_sizes": tuple(step_sizes),
                "maximize": maximize,
            },
        )
