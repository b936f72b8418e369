"""torch.optim.Adafactor for NumPy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor: a second moment kept as row and column factors, with relative step sizes.

    torch.optim.Adafactor's numbers (torch 2.13, its for-loop implementation). For step :math:`t`,
    with :math:`\rho_t = \min(\eta, 1/\sqrt{t})` and
    :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta))\,\rho_t` (the parameter before decay):
    :math:`\theta \leftarrow \theta(1 - \eta\lambda)`;
    :math:`R \leftarrow \mathrm{lerp}(R, \mathrm{mean}_{cols}(g^2), t^{\tau})`,
    :math:`C \leftarrow \mathrm{lerp}(C, \mathrm{mean}_{rows}(g^2), t^{\tau})`,
    :math:`\hat V = R C / \max(\mathrm{mean}(R), \epsilon_1)`;
    :math:`U = g / \sqrt{\max(\hat V, \epsilon_1^2)}`;
    :math:`\theta \leftarrow \theta - \alpha_t\, U / \max(1, \mathrm{RMS}(U)/d)`.

    A parameter with two or more dimensions keeps its second moment factored over its last two:
    ``row_var`` of shape ``shape[:-1] + (1,)`` and ``col_var`` of shape
    ``shape[:-2] + (1, shape[-1])``. A 3-D (or higher) array is a stack of matrices, each factored
    on its own (its own ``mean(R)``), as torch does; the RMS of the parameter and of the update
    are taken over the whole array. A 0-D or 1-D parameter keeps the whole ``variance``. ``step``
    is a float, as torch's state tensor.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1e-2
        The largest relative step size :math:`\rho_t`, and the weight decay's coefficient (torch's use
        of it; the paper has none). A one-element array is taken as its value.
    beta2_decay : float, default -0.8
        :math:`\tau`: the second moment's weight of the new gradient is :math:`t^{\tau}`; must be <= 0.
    eps : tuple (float or None, float), default (None, 1e-3)
        :math:`\epsilon_1` (None: the parameters' machine epsilon, ``np.finfo(dtype).eps``) bounds
        the variance estimate from below; :math:`\epsilon_2` bounds the parameter's RMS.
    d : float, default 1.0
        The clipping threshold of the update's RMS; must be >= 1.
    weight_decay : float, default 0.0
        Decoupled: each step first multiplies the parameters by ``1 - lr * weight_decay``.
    foreach : bool or None, default None
        torch's choice of implementation, kept in the param group; the numbers are the for-loop's.
    maximize : bool, default False

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import Adafactor
    >>> W, b = np.ones((3, 2)), np.ones(2)
    >>> opt = Adafactor([W, b], lr=0.1)
    >>> opt.step([np.ones((3, 2)), np.ones(2)])
    >>> W                                   # moved by max(eps2, RMS(W)) * min(lr, 1/sqrt(1)) = 0.1
    array([[0.9, 0.9],
           [0.9, 0.9],
           [0.9, 0.9]])
    >>> state = opt.state_dict()["state"]
    >>> state[0]["row_var"].shape, state[0]["col_var"].shape, state[1]["variance"].shape
    ((3, 1), (1, 2), (2,))
    """

    _core_algorithm = _core.optim.Adafactor

    def __init__(
        self,
        params: Params,
        lr: float | np.ndarray = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        if isinstance(lr, np.ndarray):
            if lr.size != 1:
                raise ValueError("Tensor lr must be 1-element")
            lr = float(lr.reshape(()))
        if not (isinstance(eps, (tuple, list)) and len(eps) == 2):
            raise TypeError(f"eps: expected a tuple (eps1 or None, eps2), got {eps!r}")
        super().__init__(
            params,
            {
                "lr": lr,
                "beta2_decay": beta2_decay,
                "eps": tuple(eps),
                "d": d,
                "weight_decay": weight_decay,
                "foreach": foreach,
                "maximize": maximize,
            },
        )

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters; complex arrays are refused with torch's reason."""
        if isinstance(param_group, dict) and "params" in param_group:
            params = param_group["params"]
            arrays = [params] if isinstance(params, np.ndarray) else list(params)
            for i, p in enumerate(arrays):
                if isinstance(p, np.ndarray) and np.iscomplexobj(p):
                    raise TypeError(
                        f"params[{self._n_params + i}]: Adafactor does not support complex parameters "
                        f"(got a {p.dtype} array)"
                    )
            param_group = {**param_group, "params": arrays}
        super().add_param_group(param_group)
