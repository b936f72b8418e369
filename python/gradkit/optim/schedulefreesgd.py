"""Schedule-Free SGD for NumPy arrays, with the numbers of its reference implementation."""

from __future__ import annotations

from .. import _core
from ._schedule_free import GROUP_STATE, ScheduleFreeOptimizer
from .optimizer import Params

__all__ = ["ScheduleFreeSGD"]


class ScheduleFreeSGD(ScheduleFreeOptimizer):
    r"""Schedule-Free SGD: momentum replaced by an interpolation and an average, and no schedule.

    From Defazio et al., "The Road Less Scheduled" (2024); the numbers are those of the reference
    implementation, ``schedulefree==1.4.1``'s ``SGDScheduleFree`` (its per-parameter path,
    ``foreach=False``; its ``foreach`` path gives the same numbers). Three points are kept: ``z``,
    the SGD iterate (state ``"z"``); ``x``, the weighted average of the ``z``'s, where the model is
    evaluated; and ``y = (1 - momentum) z + momentum x``, where gradients are taken. The
    parameters hold ``y`` while training and ``x`` while evaluating. Each step, with
    :math:`c_{k+1} = w_{k+1} / \sum_{i \le k+1} w_i` and :math:`w_k = k^r\,\mathrm{lr_{max}}^p`
    (``p = weight_lr_power``; :math:`c = 0` while every weight is 0, where the reference catches
    ``ZeroDivisionError``):
    :math:`g \leftarrow g + \lambda y`,
    :math:`y \leftarrow \mathrm{lerp}(y, z, c) + \eta\,(\beta (1 - c) - 1)\, g`,
    :math:`z \leftarrow z - \eta g`, with :math:`\eta` the ``lr`` after the linear warm-up.

    **Call** :meth:`train` **before the steps** and :meth:`eval` **before evaluating the model or
    saving a checkpoint**, as the reference requires: the optimizer starts in eval mode (the
    reference's ``train_mode=False``), and :meth:`step` in eval mode raises ``ValueError``
    (the reference raises a bare ``Exception``) before anything changes. :meth:`eval` moves every
    parameter that has a state to :math:`x = \mathrm{lerp}(y, z, 1 - 1/\beta)`, :meth:`train`
    back to :math:`y = \mathrm{lerp}(x, z, 1 - \beta)` (torch.lerp's rounding, as the reference).

    Each group's dict also holds the group state that the reference keeps there, updated after
    every step and every :meth:`train` / :meth:`eval`: ``k`` (its steps, an int), ``train_mode``,
    ``lr_max``, ``weight_sum`` and ``scheduled_lr`` (the last step's lr after the warm-up). A
    group added later starts in the mode of the others (:meth:`add_param_group`).

    Per-element rates (:meth:`~gradkit.optim.Optimizer.set_lr_scale`) multiply the lr where it
    enters the update, both of y's step :math:`\eta(\beta(1-c)-1)` and z's step :math:`\eta`; the
    averaging weights :math:`c` stay the group's. Unlike the reference, the caller's gradient
    is never written to (the reference adds the weight decay into ``p.grad`` in place), and there
    is no ``foreach`` argument.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1.0
    momentum : float, default 0.9
        The interpolation :math:`\beta` between z and x that gives y; strictly between 0 and 1.
    weight_decay : float, default 0
        Added to the gradient as ``weight_decay * y`` (at y, the point the gradient is taken at).
    warmup_steps : int, default 0
        A linear warm-up of the lr over this many steps: :math:`\eta = \mathrm{lr}\,(k+1)/W`.
    r : float, default 0
        The averaging weights grow as :math:`k^r` (0: uniform).
    weight_lr_power : float, default 2
        The averaging weights grow as :math:`\mathrm{lr_{max}}^p` (0: no dependence on the lr).

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import ScheduleFreeSGD
    >>> w = np.array([1.0, -2.0])
    >>> opt = ScheduleFreeSGD([w], lr=0.1)
    >>> opt.train()                           # before the steps: the parameters hold y
    >>> for _ in range(100):
    ...     opt.step([2 * w])                 # gradient of ||w||^2, taken at y
    >>> opt.eval()                            # before evaluating: the parameters hold x
    >>> np.round(w, 4)                        # from [1, -2] toward the minimum at 0
    array([ 0.0208, -0.0416])
    >>> opt.param_groups[0]["k"], opt.param_groups[0]["train_mode"]
    (100, False)
    """

    _core_algorithm = _core.optim.ScheduleFreeSGD

    def __init__(
        self,
        params: Params,
        lr: float = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "momentum": momentum,
                "r": r,
                "warmup_steps": warmup_steps,
                "weight_lr_power": weight_lr_power,
                "weight_decay": weight_decay,
                **GROUP_STATE,
            },
        )
