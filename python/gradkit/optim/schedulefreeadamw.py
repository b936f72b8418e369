"""Schedule-Free AdamW for NumPy arrays, with the numbers of its reference implementation."""

from __future__ import annotations

from .. import _core
from ._schedule_free import GROUP_STATE, ScheduleFreeOptimizer
from .optimizer import Params

__all__ = ["ScheduleFreeAdamW"]


class ScheduleFreeAdamW(ScheduleFreeOptimizer):
    r"""Schedule-Free AdamW: Schedule-Free's interpolation and average over Adam's normalised step.

    From Defazio et al., "The Road Less Scheduled" (2024); the numbers are those of the reference
    implementation, ``schedulefree==1.4.1``'s ``AdamWScheduleFree`` (pinned: later versions
    changed it; its per-parameter path, ``foreach=False``, whose numbers its ``foreach`` path gives
    too). As :class:`ScheduleFreeSGD`, it keeps z (state ``"z"``), takes gradients at
    ``y = (1 - beta1) z + beta1 x`` and evaluates at the average x; the parameters hold y while
    training and x while evaluating. There is no first moment: ``beta1`` is the interpolation.
    Each step, with :math:`t = k + 1` and the averaging weight :math:`c` of
    :class:`ScheduleFreeSGD`:
    :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
    :math:`d \leftarrow g / (\sqrt{v / (1-\beta_2^t)} + \epsilon) + \lambda y`,
    :math:`y \leftarrow \mathrm{lerp}(y, z, c) + \eta\,(\beta_1 (1 - c) - 1)\, d`,
    :math:`z \leftarrow z - \eta d`: the denominator is bias-corrected, and the weight decay is
    taken at y and not preconditioned.

    **Call** :meth:`train` **before the steps** and :meth:`eval` **before evaluating the model or
    saving a checkpoint**: the optimizer starts in eval mode, as the reference does, and
    :meth:`step` in eval mode raises ``ValueError`` before anything changes. :meth:`eval` moves the
    parameters to :math:`x = \mathrm{lerp}(y, z, 1 - 1/\beta_1)`, :meth:`train` back to
    :math:`y = \mathrm{lerp}(x, z, 1 - \beta_1)`. Each group's dict holds the reference's group
    state (``k``, ``train_mode``, ``lr_max``, ``weight_sum``, ``scheduled_lr``), updated after every
    step and mode switch.

    Per-element rates (:meth:`~gradkit.optim.Optimizer.set_lr_scale`) multiply the lr where it
    enters the update, both of y's step :math:`\eta(\beta_1(1-c)-1)` and z's step :math:`\eta`.
    The reference checks no hyperparameter; these are checked with torch.optim.AdamW's
    conditions and messages, and ``beta1`` must also be above 0 (:meth:`eval` divides by it). The
    caller's gradient is never written to (the reference divides ``p.grad`` in place), and there
    is no ``foreach`` argument.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 0.0025
    betas : tuple of two floats, default (0.9, 0.999)
        The interpolation :math:`\beta_1` between z and x (in (0, 1)), and the decay of v.
    eps : float, default 1e-8
    weight_decay : float, default 0
        Added to the normalised step as ``weight_decay * y``.
    warmup_steps : int, default 0
        A linear warm-up of the lr over this many steps.
    r : float, default 0
        The averaging weights grow as :math:`k^r`.
    weight_lr_power : float, default 2
        The averaging weights grow as :math:`\mathrm{lr_{max}}^p`.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import ScheduleFreeAdamW
    >>> w = np.array([1.0, -2.0])
    >>> opt = ScheduleFreeAdamW([w], lr=0.1, warmup_steps=10)
    >>> opt.train()
    >>> for _ in range(100):
    ...     opt.step([2 * w])
    >>> opt.eval()                            # the parameters hold x, near the minimum at 0
    >>> np.round(w, 2)
    array([0.02, 0.16])
    >>> sorted(opt.state_dict()["state"][0])
    ['exp_avg_sq', 'z']
    """

    _core_algorithm = _core.optim.ScheduleFreeAdamW

    def __init__(
        self,
        params: Params,
        lr: float = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "r": r,
                "warmup_steps": warmup_steps,
                "weight_lr_power": weight_lr_power,
                "weight_decay": weight_decay,
                **GROUP_STATE,
            },
        )
