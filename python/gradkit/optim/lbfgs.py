"""torch.optim.LBFGS for NumPy arrays."""

from __future__ import annotations

from typing import Any

from .. import _core
from .optimizer import Closure, Optimizer, Params

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    r"""Limited-memory BFGS, with an optional strong-Wolfe line search: torch.optim.LBFGS's numbers.

    Each :meth:`step` runs up to ``max_iter`` iterations, calling ``closure`` up to ``max_eval``
    times. The direction comes from the two-loop recursion over the last ``history_size``
    pairs :math:`(s, y)` of steps and gradient changes; the step length is ``lr`` (on the very
    first iteration ``min(1, 1 / \|g\|_1) * lr``), or, with ``line_search_fn="strong_wolfe"``,
    what torch's line search (cubic interpolation, ``c1=1e-4``, ``c2=0.9``) accepts from it.
    All parameters form one vector: there is a single param group. The state (directions,
    steps, iteration and evaluation counts) carries over from one ``step`` call to the next.

    Parameters
    ----------
    params : list of ndarray
        Arrays to update in place (writeable, C-contiguous, one dtype: float32 or float64).
    lr : float, default 1
    max_iter : int, default 20
        Iterations per :meth:`step`.
    max_eval : int, optional
        Closure evaluations per :meth:`step`; default ``max_iter * 5 // 4``.
    tolerance_grad : float, default 1e-7
        Stop when the largest absolute gradient entry is at most this.
    tolerance_change : float, default 1e-9
        Stop when the step or the change of the loss is smaller than this.
    history_size : int, default 100
        Number of :math:`(s, y)` pairs kept (memory: ``2 * history_size`` copies of the parameters).
    line_search_fn : {None, "strong_wolfe"}, default None

    Examples
    --------
    Minimise :math:`\frac12 x^\top A x - b^\top x`, whose minimiser solves :math:`Ax = b`:

    >>> import numpy as np
    >>> from gradkit.optim import LBFGS
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]])
    >>> b = np.array([1.0, -1.0])
    >>> x = np.zeros(2)
    >>> def closure():
    ...     return 0.5 * x @ A @ x - b @ x, [A @ x - b]
    >>> opt = LBFGS([x], line_search_fn="strong_wolfe")
    >>> opt.step(closure)                 # the loss at the starting point
    0.0
    >>> np.round(x, 6)                    # np.linalg.solve(A, b)
    array([ 0.6, -0.8])
    >>> opt.state_dict()["state"][0]["n_iter"]     # iterations so far, over all step() calls
    5
    """

    _core_algorithm = _core.optim.LBFGS

    def __init__(
        self,
        params: Params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(
            params,
            {
                "lr": lr,
                "max_iter": max_iter,
                "max_eval": max_eval,
                "tolerance_grad": tolerance_grad,
                "tolerance_change": tolerance_change,
                "history_size": history_size,
                "line_search_fn": line_search_fn,
            },
        )

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """LBFGS takes its one group at construction; any further group is refused."""
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def _check_lr_scale(self, scales: Any) -> list[Any]:
        raise ValueError(
            "LBFGS doesn't support per-element learning rates (set_lr_scale, RandomLR): it is a "
            "full-batch quasi-Newton solver whose step length comes from its line search, not from lr"
        )

    def set_lr_scale(self, scales: Any) -> None:
        """Refused (``ValueError``) unless ``None``: LBFGS has no per-element learning rates."""
        if scales is not None:
            self._check_lr_scale(scales)

    def step(self, closure: Closure) -> float:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations, updating the parameters in place.

        Parameters
        ----------
        closure : callable
            Called with no arguments at the current parameters; returns ``(loss, grads)``, with
            ``grads`` one array per parameter (its dtype and shape) or ``None`` for a zero gradient.

        Returns
        -------
        float
            The loss from the first call of ``closure``, at the parameters as they were on entry.
        """
        if not callable(closure):
            raise TypeError(
                "LBFGS.step needs a closure returning (loss, grads), not the gradients themselves"
            )
        core = self._cores[0]
        core.set_hyper(self.param_groups[0])
        return core.step(closure)
