"""Lookahead around any gradkit optimizer: k steps forward, one step back."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import _core
from .lbfgs import LBFGS
from .optimizer import Closure, Grads, LrScale, Optimizer, _writeable

__all__ = ["Lookahead"]

# The keys of a Lookahead state dict, as state_dict() writes them.
_STATE_KEYS = ("fast_state", "slow_state", "param_groups", "counter", "k", "alpha", "train_mode")


def _checked(k: Any, alpha: Any) -> tuple[int, float]:
    """k and alpha as kept; TypeError, or ValueError with the reference's message, naming which."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k: expected an int (inner steps between synchronisations), got {type(k).__name__}")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha: expected a float in [0, 1], got {type(alpha).__name__}")
    _core.optim.Lookahead.check_hyper(int(k), float(alpha))
    return int(k), float(alpha)


class Lookahead(Optimizer):
    r"""Lookahead: run an inner optimizer, and every ``k`` of its steps pull back toward slow weights.

    From Zhang et al., "Lookahead Optimizer: k steps forward, 1 step back" (2019), with the numbers
    of torch-optimizer 0.3.0's ``Lookahead``: after the inner optimizer's step, on steps
    1, k + 1, 2k + 1, ... the slow weights :math:`\phi` and the fast weights :math:`\theta` (the
    parameters) become :math:`\theta \leftarrow \alpha\theta + (1 - \alpha)\phi`,
    :math:`\phi \leftarrow \theta`. As in torch-optimizer, the slow weights are created at the
    first step, as a copy of the parameters after the inner optimizer's first step (that first
    synchronisation moves nothing), rather than at construction as in the paper: the paper's
    first pull-back comes after k steps from the starting point, torch-optimizer's (and so this
    one's) after k steps from the first step's point. The arithmetic is the core's
    (``gradkit._core.optim.Lookahead``), on every parameter of every group (with or without a
    gradient); this class holds the inner optimizer, the step counter and the slow weights.

    :meth:`eval` puts the slow weights in the parameters (exchanging them in place with the fast
    ones) and then calls the inner optimizer's :meth:`eval`; :meth:`train` calls the inner
    optimizer's :meth:`train` first and then puts the fast weights back, so that ``eval()`` then
    ``train()`` restores the fast weights bit for bit. Around Schedule-Free, the evaluation point is
    thus the slow weights moved as Schedule-Free moves its y to its x
    (:math:`\mathrm{lerp}(\phi, z, 1 - 1/\beta)`); call :meth:`train` on the Lookahead (which calls
    the inner optimizer's) before the steps, as Schedule-Free needs. :meth:`step` in eval mode raises
    ``ValueError`` before anything changes.

    ``param_groups`` are the inner optimizer's (the same list: a schedule or a change of ``lr``
    acts on the inner optimizer), and :meth:`set_lr_scale` and :meth:`add_param_group` are the
    inner optimizer's too (a group added later gets its slow weights at the next
    synchronisation). One counter serves every group (torch-optimizer keeps one per group, always
    equal). :meth:`state_dict` holds the inner optimizer's state, the slow weights, the counter,
    ``k``, ``alpha`` and the mode; :meth:`load_state_dict` restores them all or, refusing, nothing.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The inner optimizer, over the parameters. Not :class:`LBFGS` (``TypeError``): it steps
        with a closure that it re-evaluates many times per step, in a line search, and builds its
        curvature from the history of its own iterates, which pulling them back to the slow
        weights would invalidate. Not another Lookahead (wrap its inner optimizer instead).
    k : int, default 5
        Inner steps between synchronisations; at least 1.
    alpha : float, default 0.5
        The step of the slow weights toward the fast ones, in [0, 1] (1: the inner optimizer alone;
        torch-optimizer also takes values above 1).

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD, Lookahead
    >>> w = np.array([1.0])
    >>> opt = Lookahead(SGD([w], lr=0.1), k=2, alpha=0.5)
    >>> for _ in range(3):
    ...     opt.step([np.ones(1)])           # 0.9 (slow weights: 0.9), 0.8, then 0.7 -> (0.9 + 0.7) / 2
    >>> w
    array([0.8])
    >>> opt.step([np.ones(1)])
    >>> opt.eval()                           # the parameters hold the slow weights
    >>> w
    array([0.8])
    >>> opt.train()                          # and the fast ones again
    >>> w
    array([0.7])
    """

    _core_algorithm = _core.optim.Lookahead

    def __init__(self, optimizer: Optimizer, k: int = 5, alpha: float = 0.5) -> None:
        if isinstance(optimizer, LBFGS):
            raise TypeError(
                "Lookahead cannot wrap LBFGS: LBFGS steps with a closure that it re-evaluates many times "
                "per step (its line search) and builds its curvature from the history of its own "
                "iterates and gradients; pulling those iterates back to slow weights every k steps "
                "breaks both. Wrap a gradient optimizer (SGD, Adam, ...) instead."
            )
        if isinstance(optimizer, Lookahead):
            raise TypeError("Lookahead cannot wrap another Lookahead: wrap its inner optimizer instead")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"optimizer: expected a gradkit.optim optimizer to wrap, got {type(optimizer).__name__}"
            )
        self._k, self._alpha = _checked(k, alpha)
        self.optimizer = optimizer
        self.param_groups = optimizer.param_groups  # the same list, as torch-optimizer
        self.defaults = {"k": self._k, "alpha": self._alpha, **optimizer.defaults}
        self._counter = 0
        self._train_mode = True
        # Per parameter (param-group order): the slow weights while training, the fast ones while
        # evaluating (they are exchanged with the parameters); None until the first synchronisation.
        self._other: list[np.ndarray | None] = []

    @property
    def k(self) -> int:
        """Inner steps between synchronisations (settable; checked)."""
        return self._k

    @k.setter
    def k(self, value: int) -> None:
        self._k, _ = _checked(value, self._alpha)
        self.defaults["k"] = self._k

    @property
    def alpha(self) -> float:
        """The step of the slow weights toward the fast ones (settable; checked)."""
        return self._alpha

    @alpha.setter
    def alpha(self, value: float) -> None:
        _, self._alpha = _checked(self._k, value)
        self.defaults["alpha"] = self._alpha

    def _params(self) -> list[np.ndarray]:
        params = [p for group in self.param_groups for p in group["params"]]
        self._other.extend([None] * (len(params) - len(self._other)))
        return params

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group to the inner optimizer; its slow weights come at the next synchronisation."""
        self.optimizer.add_param_group(param_group)

    def step(self, grads: Grads | Closure) -> float | None:
        """The inner optimizer's step, then, on steps 1, k + 1, 2k + 1, ..., the synchronisation.

        Parameters
        ----------
        grads : list of ndarray or None, or callable
            What the inner optimizer's ``step`` takes: one gradient per parameter, or a closure
            returning ``(loss, grads)``, whose loss is returned.
        """
        if not self._train_mode:
            raise ValueError(
                "Lookahead is in eval mode: the parameters hold the slow weights; call opt.train() "
                "before step() (and opt.eval() before evaluating the model)."
            )
        loss = self.optimizer.step(grads)
        if self._counter == 0:
            params = self._params()
            slow = [p.copy() if o is None else o for p, o in zip(params, self._other)]
            self._other = list(slow)
            _core.optim.Lookahead.sync(params, slow, self._alpha)
        self._counter = (self._counter + 1) % self._k
        return loss

    def _swap(self) -> None:
        pairs = [(p, o) for p, o in zip(self._params(), self._other) if o is not None]
        _core.optim.Lookahead.swap([p for p, _ in pairs], [o for _, o in pairs])

    def eval(self) -> None:
        """Put the slow weights in the parameters, then call the inner optimizer's ``eval()``."""
        if self._train_mode:
            self._swap()
            try:
                self.optimizer.eval()
            except BaseException:
                self._swap()
                raise
            self._train_mode = False
        else:
            self.optimizer.eval()

    def train(self) -> None:
        """Call the inner optimizer's ``train()``, then put the fast weights back in the parameters."""
        self.optimizer.train()
        if not self._train_mode:
            self._swap()
            self._train_mode = True

    def set_lr_scale(self, scales: LrScale | None) -> None:
        """The inner optimizer's per-element rates (:meth:`Optimizer.set_lr_scale`)."""
        self.optimizer.set_lr_scale(scales)

    def _check_lr_scale(self, scales: LrScale) -> list[np.ndarray | None]:
        return self.optimizer._check_lr_scale(scales)

    def state_dict(self) -> dict[str, Any]:
        """The inner optimizer's state and groups, the slow weights, the counter, k, alpha and the mode.

        ``{"fast_state": ..., "slow_state": {index: {"slow_param": array}}, "param_groups": [...],
        "counter": int, "k": int, "alpha": float, "train_mode": bool}``: ``fast_state`` and
        ``param_groups`` are the inner optimizer's ``state_dict()``, ``slow_state`` torch-optimizer's
        name for the slow weights (copies). In eval mode the parameters hold the slow weights and the
        entries are ``{"fast_param": array}``, the fast ones, so that a checkpoint of the parameters
        taken in eval mode and this state resume exactly.
        """
        inner = self.optimizer.state_dict()
        key = "slow_param" if self._train_mode else "fast_param"
        return {
            "fast_state": inner["state"],
            "slow_state": {i: {key: o.copy()} for i, o in enumerate(self._other) if o is not None},
            "param_groups": inner["param_groups"],
            "counter": self._counter,
            "k": self._k,
            "alpha": self._alpha,
            "train_mode": self._train_mode,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; one that does not fit is refused and changes nothing."""
        if not isinstance(state_dict, dict) or not all(key in state_dict for key in _STATE_KEYS):
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(
                f"expected a Lookahead state dict with keys {list(_STATE_KEYS)}, as state_dict() returns, "
                f"got {got} (the inner optimizer's own loads with opt.optimizer.load_state_dict)"
            )
        k, alpha = _checked(state_dict["k"], state_dict["alpha"])
        counter, train_mode = state_dict["counter"], state_dict["train_mode"]
        if (
            isinstance(counter, bool)
            or not isinstance(counter, numbers.Integral)
            or not 0 <= int(counter) < k
        ):
            raise ValueError(f"counter: expected an int in [0, k) = [0, {k}), got {counter!r}")
        if not isinstance(train_mode, (bool, np.bool_)):
            raise TypeError(f"train_mode: expected a bool, got {type(train_mode).__name__}")
        params = self._params()
        key = "slow_param" if train_mode else "fast_param"
        other: list[np.ndarray | None] = [None] * len(params)
        slow_state = state_dict["slow_state"]
        if not isinstance(slow_state, dict):
            raise TypeError(f"slow_state: expected a dict, got {type(slow_state).__name__}")
        for index, entry in slow_state.items():
            if (
                isinstance(index, bool)
                or not isinstance(index, numbers.Integral)
                or not 0 <= int(index) < len(params)
            ):
                raise ValueError(
                    f"slow_state: {index!r} is not the index of one of the {len(params)} parameters"
                )
            if not isinstance(entry, dict) or set(entry) != {key}:
                keys = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
                raise ValueError(
                    f"slow_state[{index}]: expected {{{key!r}: array}} (the state of a Lookahead in "
                    f"{'train' if train_mode else 'eval'} mode), got {keys}"
                )
            param, value = params[index], entry[key]
            if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
                raise TypeError(
                    f"slow_state[{index}][{key!r}]: expected a numeric array, got {type(value).__name__}"
                )
            if value.shape != param.shape:
                raise ValueError(
                    f"slow_state[{index}][{key!r}]: expected shape {param.shape} like params[{index}], "
                    f"got {value.shape}"
                )
            other[int(index)] = np.array(value, dtype=param.dtype, order="C", copy=True)
        # The inner optimizer checks its part and refuses without changing anything, or loads it all;
        # nothing of this wrapper has changed before, and nothing below can fail.
        self.optimizer.load_state_dict(
            {"state": state_dict["fast_state"], "param_groups": state_dict["param_groups"]}
        )
        self._k, self._alpha = k, alpha
        self.defaults.update(k=k, alpha=alpha)
        self._counter = int(counter)
        self._train_mode = bool(train_mode)
        self._other = other

    def __getstate__(self) -> dict[str, Any]:
        """Its attributes, the inner optimizer included; ``param_groups`` is the inner optimizer's list."""
        return {k: v for k, v in self.__dict__.items() if k != "param_groups"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.param_groups = self.optimizer.param_groups
        self._other = [_writeable(o) for o in self._other]  # the core writes the slow weights

    def __repr__(self) -> str:
        return f"{type(self).__name__} (\nk: {self._k}\nalpha: {self._alpha}\n{self.optimizer!r}\n)"
