"""Prodigy (Adam with an estimated step size d) for NumPy arrays, with its reference's numbers."""

from __future__ import annotations

import math

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["Prodigy"]


class Prodigy(Optimizer):
    r"""Prodigy: Adam whose step size ``d`` is learnt from how far the parameters moved against the gradients.

    From Mishchenko & Defazio, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner" (2023); the
    numbers are those of its reference implementation, ``prodigyopt`` 1.1.2. Leave ``lr`` at 1: the
    step is ``d * lr``, and ``d`` grows from ``d0`` to the scale the problem needs. Each step, with
    :math:`\eta = d \cdot lr` (times Adam's bias correction when ``use_bias_correction``) and the
    ``d`` before the step:
    :math:`m \leftarrow \beta_1 m + d(1-\beta_1) g`, :math:`v \leftarrow \beta_2 v + d^2(1-\beta_2) g^2`,
    :math:`s \leftarrow \beta_3 s + \frac{d}{d_0}\eta\, g`,
    :math:`r \leftarrow \beta_3 r + \frac{d}{d_0}\eta \langle g, p_0 - p\rangle` (``d_numerator``);
    :math:`\hat d = d_{coef}\, r / \lVert s \rVert_1`, :math:`d_{max} \leftarrow \max(d_{max}, \hat d)`,
    :math:`d \leftarrow \min(d_{max}, d \cdot \text{growth\_rate})` (first :math:`d \leftarrow
    \max(d, \hat d)` while :math:`d = d_0`); then, with the new :math:`d` in the denominator only,
    :math:`p \leftarrow p - \eta\, m / (\sqrt{v} + d\,\epsilon)`.

    ``d`` is one estimate over all param groups: a step updates every group at once, and each group's
    dict holds the estimate as the reference writes it (``group["d"]``, ``"d_max"``,
    ``"d_numerator"``, ``"k"``, and, once d has been estimated, ``"d_denom"`` and ``"d_hat"``).
    Hyperparameters shared by the estimate (``betas``, ``beta3``, ``d_coef``, ``growth_rate``,
    ``decouple``, ``use_bias_correction``) are read from the first group, as the reference does. Groups
    may differ in ``lr`` only by setting it to 0 (another non-zero lr is refused with the reference's
    reason, before anything changes): such a group's gradients enter neither the estimate nor its
    moments, but, as in the reference, its parameters still take the step of size ``d * lr`` of the
    other groups with those moments: a decoupled weight decay moves them, and with ``betas[0] == 0``
    so does the gradient over ``d * eps`` alone, a very large step (pass ``None`` as their gradients
    to keep them still). All groups must share one dtype. Until some gradient is non-zero
    nothing moves: those steps only create and update the state, as the reference's do.

    The state of a parameter: ``step`` (an int), ``s`` and ``p0`` (1-D, every ``slice_p``-th element
    of the flattened parameter; ``p0`` is its value at its first step, or the one element 0 when the
    parameter was all zeros then, where the reference keeps a 0-d zero: the same numbers),
    ``exp_avg`` (absent when ``betas[0] == 0``) and ``exp_avg_sq``. The sums over ``s`` and the
    products with ``p0`` accumulate in double for float32 parameters too.

    With per-element rates (:meth:`set_lr_scale`), element ``i`` takes ``d * lr * scale[i]`` wherever
    the reference takes ``d * lr``: its step, its decoupled decay, and its terms of ``s`` and of the
    estimate's numerator.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        Arrays to update in place, or param groups.
    lr : float, default 1.0
        Multiplies the estimated step size ``d``; must be > 0 (a param group's may be 0).
    betas : tuple of two floats, default (0.9, 0.999)
    beta3 : float or None, default None
        The decay of ``s`` and of the estimate's numerator; None is ``sqrt(betas[1])``.
    eps : float, default 1e-8
        Added to :math:`\sqrt{v}` as ``d * eps``.
    weight_decay : float, default 0
    decouple : bool, default True
        Decay the weights by ``weight_decay * d * lr`` (AdamW's way); False adds
        ``weight_decay * p`` to the gradient (the caller's gradient arrays are left as they are).
    use_bias_correction : bool, default False
        Adam's bias correction on the step size.
    safeguard_warmup : bool, default False
        Leave ``lr`` out of ``s`` (for warm-up schedules).
    d0 : float, default 1e-6
        The initial estimate of d.
    d_coef : float, default 1.0
        Multiplies every estimate of d.
    growth_rate : float, default inf
        d grows by at most this factor per step.
    fsdp_in_use : bool, default False
        Only False: gradkit has no sharded parameters.
    slice_p : int, default 1
        Estimate d from every ``slice_p``-th element of each parameter only (less memory for ``s`` and
        ``p0``).

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import Prodigy
    >>> w = np.array([1.0, -2.0])
    >>> opt = Prodigy([w])
    >>> opt.step([w.copy()])              # the first step moves by d0 = 1e-6 ...
    >>> for _ in range(30):
    ...     opt.step([w.copy()])          # ... then d adapts to the scale of the problem
    >>> opt.param_groups[0]["d"] > 0.1
    True
    >>> sorted(opt.state_dict()["state"][0])
    ['exp_avg', 'exp_avg_sq', 'p0', 's', 'step']
    """

    _core_algorithm = _core.optim.Prodigy

    def __init__(
        self,
        params: Params,
        lr: float = 1.0,
        betas: tuple[float, float] = (0.9, 0.999),
        beta3: float | None = None,
        eps: float = 1e-8,
        weight_decay: float = 0,
        decouple: bool = True,
        use_bias_correction: bool = False,
        safeguard_warmup: bool = False,
        d0: float = 1e-6,
        d_coef: float = 1.0,
        growth_rate: float = math.inf,
        fsdp_in_use: bool = False,
        slice_p: int = 1,
    ) -> None:
        # The reference's constructor checks, in its order (the core checks a group's lr only for >= 0).
        if not 0.0 < d0:
            raise ValueError(f"Invalid d0 value: {d0}")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "beta3": beta3,
                "eps": eps,
                "weight_decay": weight_decay,
                "d": d0,
                "d0": d0,
                "d_max": d0,
                "d_numerator": 0.0,
                "d_coef": d_coef,
                "k": 0,
                "growth_rate": growth_rate,
                "use_bias_correction": use_bias_correction,
                "decouple": decouple,
                "safeguard_warmup": safeguard_warmup,
                "fsdp_in_use": fsdp_in_use,
                "slice_p": slice_p,
            },
        )
