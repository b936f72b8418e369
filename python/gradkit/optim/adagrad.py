"""torch.optim.Adagrad for NumPy arrays."""

from __future__ import annotations

import numpy as np

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: each weight's step shrinks with the sum of its squared gradients.

    The numbers are torch.optim.Adagrad's: with :math:`g \leftarrow g + \lambda\theta`,
    :math:`s \leftarrow s + g^2` and :math:`\tilde\eta = \eta / (1 + (t-1)\,\eta_{decay})`,
    :math:`\theta \leftarrow \theta - \tilde\eta\, \frac{g}{\sqrt{s} + \epsilon}`.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1e-2
    lr_decay : float, default 0
        The learning rate at step t is ``lr / (1 + (t - 1) * lr_decay)``.
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    initial_accumulator_value : float, default 0
        Starting value of the sum of squared gradients. As in torch, the value given here is
        used for every parameter (a param group's own value is used only for parameters added
        later with :meth:`add_param_group`).
    eps : float, default 1e-10
        Added to the square root of the sum.
    maximize : bool, default False
        Ascend the objective instead of descending it.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import Adagrad
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adagrad([w], lr=0.1)
    >>> opt.step([2 * w])                 # the first step moves each weight by about lr
    >>> np.round(w, 6)
    array([ 0.9, -1.9])
    >>> sorted(opt.state_dict()["state"][0])
    ['step', 'sum']
    """

    _core_algorithm = _core.optim.Adagrad

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "lr_decay": lr_decay,
                "eps": eps,
                "weight_decay": weight_decay,
                "initial_accumulator_value": initial_accumulator_value,
                "maximize": maximize,
            },
        )
        # torch creates Adagrad's state in the constructor, for every parameter given to it,
        # so state_dict() has it before the first step.
        start = 0
        for group, core in zip(self.param_groups, self._cores):
            states = [
                {"step": 0.0, "sum": np.full_like(p, initial_accumulator_value)} for p in group["params"]
            ]
            core.set_state(states, start)
            start += core.size
