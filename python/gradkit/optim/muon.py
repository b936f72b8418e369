"""torch.optim.Muon for NumPy weight matrices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from .. import _core
from .optimizer import Optimizer, Params

__all__ = ["Muon"]


class Muon(Optimizer):
    r"""Muon: SGD momentum whose update is orthogonalised by a Newton–Schulz iteration, for weight matrices.

    torch.optim.Muon's algorithm, arguments, defaults and numbers (torch 2.13; Jordan et al. 2024,
    "Muon: An optimizer for hidden layers in neural networks"). For each matrix, with momentum
    :math:`\mu`: :math:`B \leftarrow \mu B + (1-\mu) g` (torch's ``lerp_``), the update
    :math:`U = (1-\mu) g + \mu B` with Nesterov else :math:`B`, :math:`O = \mathrm{NS}(U)`, then
    :math:`\theta \leftarrow \theta (1 - \eta\lambda)` and :math:`\theta \leftarrow \theta - \eta' O`.
    :math:`\mathrm{NS}` scales :math:`U` to Frobenius norm 1 and runs ``ns_steps`` iterations of
    :math:`X \leftarrow aX + (bXX^\top + c(XX^\top)^2)X`, which push every singular value towards
    1 (to roughly 0.7-1.2 with the default coefficients): the update keeps the gradient's singular
    vectors and drops their scales.

    Muon takes 2-D arrays only, as torch's; it refuses any other, naming it: use Muon for the weight
    matrices and another optimizer (AdamW) for biases and other parameters, e.g. two optimizers
    stepped one after the other (example below).

    Orientation. :math:`\eta' = \eta\sqrt{\max(1, A/B)}` (``adjust_lr_fn=None`` or ``"original"``)
    or :math:`0.2\,\eta\sqrt{\max(A, B)}` (``"match_rms_adamw"``), where torch takes
    ``A, B = param.shape``, which for its ``nn.Linear.weight`` is (out_features, in_features).
    A NumPy array is read the same way: rows are outputs, columns inputs. A matrix that is
    (in_features, out_features) instead, as scikit-learn's ``coefs_`` (``X @ W``), gets torch's
    numbers for its layer with ``rows_are_inputs=True``, which swaps A and B; nothing else depends
    on the orientation (the orthogonalisation of a transpose is the transpose of the
    orthogonalisation, bit for bit). With ``"match_rms_adamw"`` the orientation makes no difference.

    Newton–Schulz arithmetic (``ns_dtype``). torch runs the iteration in bfloat16, and so does
    gradkit by default, so that ``Muon`` gives torch's numbers out of the box: the core computes in
    float32 and rounds to bfloat16 after each operation torch performs in bfloat16 (each matrix
    product is summed in float32 and rounded once, as torch's CPU bfloat16 products are). The
    products' summation order is Eigen's, not torch's, so now and then an element rounds to the
    neighbouring bfloat16 and the run continues a little apart from torch's: over the 120 steps of
    the test fixtures most runs give torch's parameters bit for bit, and all stay within 1e-2 of
    them (lr 0.02). ``"float32"`` and ``"float64"`` run the same iteration in that precision,
    orthogonalising more exactly (torch's iteration with its dtype changed gives the same numbers
    within 1e-6 and 1e-14). The emulated bfloat16 costs what float32 costs (float32 arithmetic and
    rounding passes), float64 about twice as much; the README gives times.

    Parameters
    ----------
    params : list of ndarray, or list of dict
        2-D arrays to update in place, or param groups ``{"params": [...], "lr": ...}``.
    lr : float, default 1e-3
    weight_decay : float, default 0.1
        Decoupled: each step first multiplies the parameters by ``1 - lr * weight_decay``.
    momentum : float, default 0.95
    nesterov : bool, default True
    ns_coefficients : tuple of three floats, default (3.4445, -4.7750, 2.0315)
        (a, b, c) of the Newton–Schulz polynomial.
    eps : float, default 1e-7
        Lower bound of the norm the update is divided by.
    ns_steps : int, default 5
        Newton–Schulz iterations (fewer than 100).
    adjust_lr_fn : {None, "original", "match_rms_adamw"}, default None
        How the learning rate scales with the matrix's shape; None is ``"original"``.
    ns_dtype : {"bfloat16", "float32", "float64"}, default "bfloat16"
        The arithmetic of the Newton–Schulz iteration (gradkit's; torch's is bfloat16).
    rows_are_inputs : bool, default False
        The matrices are (in_features, out_features), as scikit-learn's ``coefs_``, not torch's
        (out_features, in_features): ``adjust_lr_fn`` reads their shape transposed (gradkit's).

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import AdamW, Muon
    >>> rng = np.random.default_rng(0)
    >>> W, b = rng.normal(size=(4, 3)), np.zeros(4)    # a layer: y = W @ x + b
    >>> muon = Muon([W], lr=0.02)                       # the matrix
    >>> adamw = AdamW([b], lr=3e-4, weight_decay=0.01)  # everything else
    >>> for _ in range(3):
    ...     gW, gb = W - 1.0, b - 1.0                   # your gradients
    ...     muon.step([gW])
    ...     adamw.step([gb])
    >>> W.shape, muon.state_dict()["state"][0]["momentum_buffer"].shape
    ((4, 3), (4, 3))
    >>> Muon([b])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: params[0] has shape (4,): Muon takes 2-D parameters only (weight matrices); use Muon ...
    """

    _core_algorithm = _core.optim.Muon

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (3.4445, -4.7750, 2.0315),
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: Literal["original", "match_rms_adamw"] | None = None,
        *,
        ns_dtype: Literal["bfloat16", "float32", "float64"] = "bfloat16",
        rows_are_inputs: bool = False,
    ) -> None:
        super().__init__(
            params,
            {
                "lr": lr,
                "weight_decay": weight_decay,
                "momentum": momentum,
                "nesterov": nesterov,
                "ns_coefficients": (
                    tuple(ns_coefficients) if isinstance(ns_coefficients, Iterable) else ns_coefficients
                ),
                "eps": eps,
                "ns_steps": ns_steps,
                "adjust_lr_fn": adjust_lr_fn,
                "ns_dtype": ns_dtype,
                "rows_are_inputs": rows_are_inputs,
            },
        )
