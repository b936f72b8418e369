"""SequentialLR and ChainedScheduler: torch's orchestration of other gradkit schedulers."""

from __future__ import annotations

import numbers
import re
import warnings
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ._rate_bounds import Bound
from .loss_driven import _LossDrivenLR
from .lr_scheduler import EPOCH_DEPRECATION_WARNING, LRScheduler
from .plateau import ReduceLROnPlateau

__all__ = ["ChainedScheduler", "SequentialLR"]


def _update_lr(scheduler: Any, epoch: int) -> None:
    """torch's ``scheduler._update_lr(epoch)``: ``step(epoch)`` without counting the step or warning."""
    update = getattr(scheduler, "_update_lr", None)
    if update is not None:
        update(epoch)
        return
    # gradkit's LRScheduler.step(epoch) is torch's _update_lr(epoch) (closed form) plus these two.
    count = scheduler._step_count
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=re.escape(EPOCH_DEPRECATION_WARNING[:40]), category=UserWarning
        )
        scheduler.step(epoch)
    scheduler._step_count = count


def _check_schedulers(owner: str, optimizer: Any, schedulers: Sequence[Any]) -> None:
    for index, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{owner} at index {index} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it "
                "requires additional kwargs to be specified when calling `step`, "
                f"but got one at index {index} in the given schedulers sequence."
            )
        if isinstance(scheduler, _LossDrivenLR):
            raise ValueError(
                f"{owner} does not support `{type(scheduler).__name__}` as it needs the loss in "
                "`step(loss)`, "
                f"but got one at index {index} in the given schedulers sequence."
            )
        if optimizer != scheduler.optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but "
                f"got scheduler {scheduler.__class__.__name__} at index {index} has {scheduler.optimizer}, "
                f"which is different from {optimizer.__class__.__name__}."
            )


def _with_nested(schedulers: Sequence[Any]) -> list[Any]:
    """The schedulers and, recursively, the sub-schedulers of the composite ones among them."""
    out = []
    for scheduler in schedulers:
        out.append(scheduler)
        out.extend(_with_nested(getattr(scheduler, "_schedulers", [])))
    return out


@contextmanager
def _all_or_nothing(optimizer: Any, schedulers: Sequence[Any], *owners: Any) -> Iterator[None]:
    """If the body raises, put back the optimizer's param groups and the attributes of the schedulers
    (nested ones included) and of ``owners``: a refused constructor, or a step whose sub-scheduler
    raises midway (torch's ZeroDivisionError of ConstantLR(factor=0), a lambda's exception), changes
    nothing, as a single scheduler's refusal."""
    groups = getattr(optimizer, "param_groups", None)
    if not (isinstance(groups, list) and all(isinstance(g, dict) for g in groups)):
        groups = []
    saved_groups = [{k: v for k, v in group.items() if k != "params"} for group in groups]
    objects = [o for o in (*_with_nested(schedulers), *owners) if hasattr(o, "__dict__")]
    saved = [dict(o.__dict__) for o in objects]  # a step rebinds attributes, it does not mutate them
    try:
        yield
    except BaseException:
        for group, before in zip(groups, saved_groups):
            for key in [k for k in group if k != "params" and k not in before]:
                del group[key]
            group.update(before)
        for obj, attributes in zip(objects, saved):
            obj.__dict__.clear()
            obj.__dict__.update(attributes)
        raise


class _Composite(LRScheduler):
    """torch's state_dict and load_state_dict for schedulers of schedulers.

    A composite's own ``min_lr`` / ``max_lr`` clip the lr its sub-schedulers leave (each
    sub-scheduler's own bounds apply to its own steps first).
    """

    _schedulers: Sequence[Any]

    @classmethod
    def _lr_curve(cls, steps: int, lr: float, kwargs: dict[str, Any]) -> Any:
        raise TypeError(
            f"lr_curve cannot give {cls.__name__}'s curve: it is built from scheduler instances, which "
            "need an optimizer; step it on one and record get_last_lr()"
        )

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, with each sub-scheduler's ``state_dict``, as torch."""
        state = {
            key: value for key, value in self.__dict__.items() if key not in ("optimizer", "_schedulers")
        }
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (torch's too), sub-schedulers included."""
        self._check_state_dict(state_dict)
        schedulers = state_dict.get("_schedulers")
        if not isinstance(schedulers, list) or len(schedulers) != len(self._schedulers):
            raise ValueError(
                f"the state's '_schedulers' must be a list of {len(self._schedulers)} sub-scheduler states"
            )
        for scheduler, saved in zip(self._schedulers, schedulers):
            scheduler._check_state_dict(saved)  # all of them before anything changes
        schedulers = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        state_dict["_schedulers"] = schedulers  # leave the caller's dict as it was, as torch does
        for scheduler, saved in zip(self._schedulers, schedulers):
            scheduler.load_state_dict(saved)


class SequentialLR(_Composite):
    """Run schedulers one after another, switching at the milestones.

    torch.optim.lr_scheduler.SequentialLR's arguments, checks and values: the constructor puts
    every group's lr back to its ``"initial_lr"``, undoes the sub-schedulers' initial steps and
    takes the first one's initial step again; at a milestone the next scheduler starts with
    torch's ``_update_lr(0)`` (its closed form at epoch 0), after which it steps on its own.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        The optimizer every scheduler belongs to.
    schedulers : list of schedulers
        Constructed on ``optimizer``, in the order they run.
    milestones : list of int
        The steps at which the next scheduler takes over; one fewer than ``schedulers``.
    last_epoch : int, default -1
        The index of the last step; -1 starts afresh.
    min_lr, max_lr : float or list of float, optional
        Bounds on the final lr (gradkit's, not torch's), applied after the scheduler in charge
        stepped, and to the lr the constructor leaves; ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import ConstantLR, ExponentialLR, SequentialLR
    >>> opt = SGD([np.zeros(2)], lr=1.0)
    >>> warmup = ConstantLR(opt, factor=0.1, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> scheduler = SequentialLR(opt, schedulers=[warmup, decay], milestones=[2])
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.1, 1.0, 0.5, 0.25]
    """

    _milestones: list[int]

    def __init__(
        self,
        optimizer: Any,
        schedulers: list[Any],
        milestones: list[int],
        last_epoch: int = -1,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        name = self.__class__.__name__
        if len(schedulers) < 1:
            raise ValueError(f"{name} expects at least one scheduler, but got no scheduler.")
        _check_schedulers(name, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to {len(milestones)}"
            )
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral):
            raise TypeError(f"last_epoch: expected a step count (an int), got {last_epoch!r}")
        for i, milestone in enumerate(milestones):  # torch would fail comparing them, half-way through
            if not isinstance(milestone, numbers.Real):
                raise TypeError(f"milestones[{i}]: expected a step number, got {milestone!r}")
        with _all_or_nothing(optimizer, schedulers):
            self._set_rate_bounds(optimizer, min_lr, max_lr)
            self._schedulers = schedulers
            self._milestones = milestones
            self.last_epoch = last_epoch + 1
            self.optimizer = optimizer
            for group in optimizer.param_groups:
                group["lr"] = group["initial_lr"]
            self.recursive_undo()
            index = bisect_right(self._milestones, 0)
            self._schedulers[index]._initial_step()
            self._last_lr = self._bounded_last_lr(schedulers[index])

    def recursive_undo(self, sched: Any = None) -> None:
        """Take back one step of every (nested) sub-scheduler: the one its constructor took."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Step the scheduler in charge of the next epoch (starting it afresh at a milestone)."""
        with _all_or_nothing(self.optimizer, self._schedulers, self):
            self.last_epoch += 1
            index = bisect_right(self._milestones, self.last_epoch)
            scheduler = self._schedulers[index]
            if index > 0 and self._milestones[index - 1] == self.last_epoch:
                _update_lr(scheduler, 0)
            else:
                scheduler.step()
            self._last_lr = self._bounded_last_lr(scheduler)

    def _bounded_last_lr(self, scheduler: Any) -> list[float]:
        # Without bounds torch's: the last lrs of the scheduler in charge.
        if self._clip_group_lrs():
            return [group["lr"] for group in self.optimizer.param_groups]
        return scheduler.get_last_lr()


class ChainedScheduler(_Composite):
    """Step several schedulers at once, each scaling the lr the previous one left.

    torch.optim.lr_scheduler.ChainedScheduler's arguments, checks and values: ``step()`` calls
    every scheduler's ``step()`` in order, so their recursive forms compose.

    Parameters
    ----------
    schedulers : sequence of schedulers
        Constructed on the same optimizer.
    optimizer : gradkit.optim.Optimizer, optional
        Their optimizer; by default the first scheduler's.
    min_lr, max_lr : float or list of float, optional
        Bounds on the final lr (gradkit's, not torch's), applied after every scheduler stepped,
        and to the lr at construction; ``None``: no bound.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import ChainedScheduler, ConstantLR, ExponentialLR
    >>> opt = SGD([np.zeros(2)], lr=1.0)
    >>> warmup = ConstantLR(opt, factor=0.1, total_iters=2)
    >>> scheduler = ChainedScheduler([warmup, ExponentialLR(opt, gamma=0.5)])
    >>> lrs = []
    >>> for epoch in range(4):
    ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> lrs
    [0.1, 0.05, 0.25, 0.125]
    """

    def __init__(
        self,
        schedulers: Sequence[Any],
        optimizer: Any = None,
        *,
        min_lr: Bound = None,
        max_lr: Bound = None,
    ) -> None:
        name = self.__class__.__name__
        if len(schedulers) < 1:
            raise ValueError(f"{name} expects at least one scheduler to be chained, but got no scheduler.")
        if not optimizer:
            if not hasattr(schedulers[0], "optimizer"):  # torch's AttributeError; the check's TypeError
                raise TypeError(f"{name} at index 0 should have `optimizer` as its attribute.")
            optimizer = schedulers[0].optimizer
        _check_schedulers(name, optimizer, schedulers)
        with _all_or_nothing(optimizer, schedulers):
            self._set_rate_bounds(optimizer, min_lr, max_lr)
            self._schedulers = schedulers
            self.optimizer = optimizer
            self._clip_group_lrs()
            self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in order (if one raises, none has stepped)."""
        with _all_or_nothing(self.optimizer, self._schedulers, self):
            for scheduler in self._schedulers:
                scheduler.step()
            self._clip_group_lrs()
            self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]
