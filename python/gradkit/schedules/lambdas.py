"""LambdaLR and MultiplicativeLR: learning rates scaled by the user's functions of the epoch.

The functions are Python, so these two compute in Python: the product with the function's value is
the whole formula (torch's ``get_lr``).
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .._pickling import unwrap, wrap
from ._rate_bounds import Bound
from .lr_scheduler import EPOCH_DEPRECATION_WARNING, LRScheduler, _curve_by_stepping, _OneGroup

__all__ = ["LambdaLR", "MultiplicativeLR"]

LrLambda = Callable[[int], float]


def _lr_lambdas(
    optimizer: Any, lr_lambda: LrLambda | list[LrLambda] | tuple[LrLambda, ...]
) -> list[LrLambda]:
    groups = optimizer.param_groups
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * len(groups)
    if len(lr_lambda) != len(groups):
        raise ValueError(f"Expected {len(groups)} lr_lambdas, but got {len(lr_lambda)}")
    return list(lr_lambda)


class _LambdaScheduler(LRScheduler):
    """What LambdaLR and MultiplicativeLR share: step, and torch's state_dict for the functions."""

    lr_lambdas: list[LrLambda]

    def _validate(self) -> None:  # the functions are checked by the subclasses, as torch does
        pass

    def _values(self) -> list[Any]:
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance ``last_epoch`` by one and set every param group's ``"lr"`` from the functions.

        Parameters
        ----------
        epoch : int, optional
            Deprecated in torch: sets ``last_epoch`` to ``epoch`` (with torch's UserWarning).
        """
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        # A function that raises leaves the scheduler as it was (torch's would have counted the step):
        # the loop that catches the error can save or go on from a consistent state.
        step_count, last_epoch = self._step_count, self.last_epoch
        self._step_count += 1
        try:
            self._update_lr(epoch)
        except BaseException:
            self._step_count, self.last_epoch = step_count, last_epoch
            raise

    def _update_lr(self, epoch: int | None = None) -> None:
        # torch's LRScheduler._update_lr: these schedules have no closed form, so an explicit epoch
        # only sets last_epoch.
        # A function that raises leaves last_epoch as it was (nothing changes before every value is known).
        last_epoch = self.last_epoch
        self.last_epoch = last_epoch + 1 if epoch is None else epoch
        try:
            values = self._clip(self._values())
        except BaseException:
            self.last_epoch = last_epoch
            raise
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr: list[float] = [group["lr"] for group in self.optimizer.param_groups]

    @classmethod
    def _lr_curve(cls, steps: int, lr: float, kwargs: dict[str, Any]) -> np.ndarray:
        # The functions are Python callables: the curve is the scheduler stepped on a one-group stand-in.
        return _curve_by_stepping(cls(_OneGroup(lr), **kwargs), steps)

    def __getstate__(self) -> dict[str, Any]:
        """Its attributes; a lambda among the functions pickles with cloudpickle; plain pickle names it."""
        name = type(self).__name__
        return {
            **self.__dict__,
            "lr_lambdas": [wrap(fn, f"{name}.lr_lambdas[{i}]") for i, fn in enumerate(self.lr_lambdas)],
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lr_lambdas = [unwrap(fn) for fn in state["lr_lambdas"]]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as torch's ``state_dict``.

        As in torch, the functions are not saved: ``"lr_lambdas"`` holds ``None`` for a plain
        function or lambda and a copy of ``__dict__`` for a callable object.
        """
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy() for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; callable objects get their ``__dict__`` back."""
        self._check_state_dict(state_dict)
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        state_dict["lr_lambdas"] = lr_lambdas  # leave the caller's dict as it was, as torch does
        for fn, saved in zip(self.lr_lambdas, lr_lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


class LambdaLR(_LambdaScheduler):
    """Set each group's learning rate to its initial lr times a function of the epoch.

    ``lr_t = base_lr * lr_lambda(t)``, where ``t`` is ``last_epoch``.
    torch.optim.lr_scheduler.LambdaLR's arguments, defaults and values.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    lr_lambda : callable or list of callables
        ``f(epoch) -> factor``; a list gives one function per param group.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import LambdaLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = LambdaLR(opt, lr_lambda=lambda epoch: 1 / (1 + epoch))
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.05, 0.033333, 0.025]
    """

    def __init__(
        self,
        optimizer: Any,
        lr_lambda: LrLambda | list[LrLambda] | tuple[LrLambda, ...],
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _lr_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)

    def _values(self) -> list[Any]:
        return [
            base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]


class MultiplicativeLR(_LambdaScheduler):
    """Multiply each group's learning rate by a function of the epoch at every step.

    ``lr_t = lr_{t-1} * lr_lambda(t)``; the constructor's step leaves the lr alone (but for
    ``min_lr`` / ``max_lr``, which clip it too; later steps multiply the clipped lr).
    torch.optim.lr_scheduler.MultiplicativeLR's arguments, defaults and values.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer whose param groups' ``"lr"`` this sets.
    lr_lambda : callable or list of callables
        ``f(epoch) -> factor``; a list gives one function per param group.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the lr each step sets (gradkit's, not torch's); ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import MultiplicativeLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.5)
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.05, 0.025, 0.0125]
    """

    def __init__(
        self,
        optimizer: Any,
        lr_lambda: LrLambda | list[LrLambda] | tuple[LrLambda, ...],
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _lr_lambdas(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch, min_lr=min_lr, max_lr=max_lr)

    def _values(self) -> list[Any]:
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * fn(self.last_epoch) for fn, group in zip(self.lr_lambdas, groups, strict=True)]
