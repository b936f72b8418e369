"""The base class of gradkit's learning-rate schedulers: torch.optim.lr_scheduler.LRScheduler's interface."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import numpy as np

from ._rate_bounds import Bound, check_rate_bounds, clip_lrs, single_group

__all__ = ["LRScheduler", "lr_curve"]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)


class LRScheduler:
    """Base class: sets each param group's ``"lr"`` from a schedule in the C++ core, as torch does.

    Subclasses name their schedule in the core in ``_core_schedule`` (a class of
    ``gradkit._core.schedules``, so that a subclass of theirs computes the same schedule) and store
    torch's constructor arguments as attributes of the same names before calling
    ``super().__init__``; each ``step()`` hands them to ``_core_schedule.next_lr``, which is torch's
    recursive ``get_lr`` for one param group.

    Parameters
    ----------
    optimizer : gradkit.optim.Optimizer
        Anything with torch-style ``param_groups`` (a list of dicts with ``"lr"``).
    last_epoch : int, default -1
        The index of the last step taken. ``-1`` starts afresh and records each group's ``lr`` as
        its ``"initial_lr"``; another value resumes and needs ``"initial_lr"`` in every group.
    min_lr, max_lr : float or list of float, optional
        gradkit's bounds on the lr each step sets (torch has none): ``None`` is no bound (torch's
        numbers), a number bounds every group, a list gives one per group. The clipped lr is what
        the group keeps, so recursive forms continue from it. Stored as attributes of these names
        (so in ``state_dict``).

    Examples
    --------
    Every scheduler has this interface; here StepLR's, with a lower bound, saved and resumed:

    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> from gradkit.schedules import LRScheduler, StepLR
    >>> opt = SGD([np.zeros(2)], lr=0.1)
    >>> scheduler = StepLR(opt, step_size=1, gamma=0.5, min_lr=0.03)
    >>> isinstance(scheduler, LRScheduler)
    True
    >>> for _ in range(2):
    ...     opt.step([np.ones(2)])
    ...     scheduler.step()
    >>> scheduler.last_epoch, scheduler.get_last_lr()   # 0.1, 0.05, then 0.025 raised to min_lr
    (2, [0.03])
    >>> opt.param_groups[0]["lr"]
    0.03
    >>> resumed = StepLR(SGD([np.zeros(2)], lr=0.1), step_size=1, gamma=0.5)
    >>> resumed.load_state_dict(scheduler.state_dict())
    >>> resumed.last_epoch, resumed.min_lr
    (2, 0.03)
    """

    _is_initial: bool = False

    # The bounds a class offers: CyclicLR and OneCycleLR only min_lr (torch's max_lr is their peak),
    # ReduceLROnPlateau only max_lr (torch's min_lr is its own lower bound).
    _bound_names: ClassVar[tuple[str, ...]] = ("min_lr", "max_lr")

    def __init__(
        self, optimizer: Any, last_epoch: int = -1, *, min_lr: Bound = None, max_lr: Bound = None
    ) -> None:
        # Validate before touching the optimizer.
        self._validate()
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self._set_rate_bounds(optimizer, min_lr, max_lr)
        self.optimizer = optimizer
        had_initial_lr = ["initial_lr" in group for group in optimizer.param_groups]
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming scheduler "
                        "with last_epoch >= 0.\n"
                        "This typically happens when:\n"
                        "1. You're trying to resume training from a checkpoint but haven't properly loaded "
                        "the optimizer state\n"
                        "2. You're using last_epoch >= 0 for a fresh training run (not recommended)"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        try:
            self._initial_step()
        except BaseException:  # e.g. a LambdaLR function that raises: the optimizer is left as it was
            if last_epoch == -1:
                for group, had_initial in zip(optimizer.param_groups, had_initial_lr):
                    if not had_initial:
                        del group["initial_lr"]
            raise

    def _set_rate_bounds(self, optimizer: Any, min_lr: Bound, max_lr: Bound) -> None:
        check_rate_bounds(len(optimizer.param_groups), min_lr, max_lr)
        if "min_lr" in self._bound_names:
            self.min_lr = min_lr
        if "max_lr" in self._bound_names:
            self.max_lr = max_lr

    def _rate_bounds(self) -> tuple[Bound, Bound]:
        return (
            getattr(self, "min_lr", None) if "min_lr" in self._bound_names else None,
            getattr(self, "max_lr", None) if "max_lr" in self._bound_names else None,
        )

    def _clip(self, lrs: list[Any]) -> list[Any]:
        """The lrs a step computed, clipped into ``min_lr`` / ``max_lr`` by the core."""
        return clip_lrs(lrs, *self._rate_bounds())

    def _clip_group_lrs(self) -> bool:
        """Clip the groups' lrs in place (for schedulers that let others set them); False if unbounded."""
        min_lr, max_lr = self._rate_bounds()
        if min_lr is None and max_lr is None:
            return False
        groups = self.optimizer.param_groups
        for group, lr in zip(groups, clip_lrs([group["lr"] for group in groups], min_lr, max_lr)):
            if lr != group["lr"]:
                group["lr"] = lr
        return True

    # The schedule in the core: check, next_lr, closed_form and curve (for a closed-form schedule).
    _core_schedule: ClassVar[Any]

    # The arguments of the schedule, by torch's names, as the core reads them.
    _arg_names: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _to_core(cls, args: dict[str, Any]) -> dict[str, Any]:
        return args

    def _core_args(self) -> dict[str, Any]:
        return self._to_core({name: getattr(self, name) for name in self._arg_names})

    def _validate(self) -> None:
        # torch's constructor checks, in the core; schedules computed in Python override this.
        self._core_schedule.check(self._core_args())

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self, epoch: int | None = None) -> None:
        """Advance ``last_epoch`` by one and set every param group's ``"lr"`` to the schedule's next value.

        Call it after the optimizer's ``step``.

        Parameters
        ----------
        epoch : int, optional
            Deprecated in torch, kept for its numbers: sets ``last_epoch`` to ``epoch`` and uses
            the closed form instead of the recursion (with torch's UserWarning).
        """
        groups = self.optimizer.param_groups
        if len(self.base_lrs) != len(groups):
            raise ValueError(
                f"the scheduler has {len(self.base_lrs)} base learning rates but the optimizer has "
                f"{len(groups)} param groups"
            )
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        args = self._core_args()
        # Every value is computed before anything changes: a schedule that raises (torch's
        # ZeroDivisionError of ConstantLR(factor=0), a lambda's exception) leaves last_epoch as it was.
        if epoch is None:
            next_lr = self._core_schedule.next_lr
            values = [
                next_lr(args, self.last_epoch + 1, base_lr, group["lr"], self._is_initial)
                for base_lr, group in zip(self.base_lrs, groups)
            ]
            epoch = self.last_epoch + 1
        else:
            closed_form = self._core_schedule.closed_form
            values = [closed_form(args, epoch, base_lr) for base_lr in self.base_lrs]
        self._step_count += 1
        self.last_epoch = epoch
        values = self._clip(values)
        for group, lr in zip(groups, values):
            group["lr"] = lr
        self._last_lr: list[float] = [group["lr"] for group in groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per param group."""
        return self._last_lr

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as torch's ``state_dict``."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (torch's too); one that does not fit is refused
        (see ``_check_state_dict``) and changes nothing."""
        self._check_state_dict(state_dict)
        self.__dict__.update(state_dict)

    # State keys a dict saved by torch (or an older gradkit) may lack: the scheduler keeps its own.
    _OPTIONAL_STATE: ClassVar[frozenset[str]] = frozenset({"min_lr", "max_lr", "three_phase", "pct_start"})

    def _check_state_dict(self, state_dict: Any) -> None:
        """Refuses, before anything changes, a state that is not this scheduler's: not a dict
        (TypeError), a key this scheduler does not have (another scheduler's dict: ValueError), one of
        its keys missing (KeyError), or a value of another kind than the scheduler's own (a step count
        that is not an integer, a NaN, a list of another length: TypeError or
        ValueError). Private keys of torch's state (``_get_lr_called_within_step`` ...) are accepted."""
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict: expected a dict, got {type(state_dict).__name__}")
        own = self.state_dict()
        unknown = sorted(
            k for k in state_dict if k not in own and not str(k).startswith("_") and k != "verbose"
        )
        if unknown:
            raise ValueError(f"the state is not {name}'s: it has {unknown}, which {name} does not have")
        missing = sorted(
            k for k in own if k not in state_dict and not k.startswith("_") and k not in self._OPTIONAL_STATE
        )
        if missing:
            raise KeyError(f"the state lacks {name}'s {missing} (a truncated state, or another scheduler's)")
        for key, value in state_dict.items():
            if key in own:
                _check_state_value(f"{name} state {key!r}", value, own[key])


def _check_state_value(where: str, value: Any, like: Any) -> None:
    """Refuses a state value of another kind than the scheduler's own value ``like``: a step count
    must be an integer, a number a number (a base rate not NaN), a list of numbers one of the same
    length."""
    if like is None or callable(like) or isinstance(like, (str, dict)):
        return  # options, functions and sub-states: checked by their users
    if value is None and not where.endswith(("'last_epoch'", "'_step_count'")):
        return  # "none" (no bound, no seed): the scheduler's own checks say whether it may be
    if isinstance(like, (bool, np.bool_)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{where}: expected a bool, got {value!r}")
    elif isinstance(like, (int, np.integer)) and where.endswith(("'last_epoch'", "'_step_count'")):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{where}: expected a step count (an integer), got {value!r}")
    elif isinstance(like, (int, float, np.integer, np.floating)):  # an int default may become a float
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise TypeError(f"{where}: expected a number, got {value!r}")
        # inf is a state (ReduceLROnPlateau's best before any step); NaN is not a base rate (the
        # optimizers refuse a NaN lr), but may be any other number the scheduler keeps: a NaN argument
        # torch accepts (ConstantLR's factor, PolynomialLR's power, ReduceLROnPlateau's eps ...), or a
        # last rate a LambdaLR function returned. A state the scheduler wrote loads back.
        is_nan = isinstance(value, (float, np.floating)) and np.isnan(value)  # an int may pass int64
        if is_nan and "'base_lrs'" in where:
            raise ValueError(f"{where}: expected a number, got NaN")
    elif isinstance(like, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{where}: expected a list, got {value!r}")
        if len(value) != len(like):
            raise ValueError(f"{where}: expected {len(like)} values (one per param group), got {len(value)}")
        for i, (v, w) in enumerate(zip(value, like)):
            _check_state_value(f"{where}[{i}]", v, w)


_Init = TypeVar("_Init", bound=Callable[..., None])


def restores_param_groups(init: _Init) -> _Init:
    """A scheduler constructor that, when it raises, puts the optimizer's param groups back as they
    were: torch's CyclicLR, OneCycleLR and ReduceLROnPlateau write initial_lr, momentum or clipped
    rates into the groups while they go through their arguments, and a refusal should change nothing."""

    @functools.wraps(init)
    def guarded(self: Any, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        groups = getattr(optimizer, "param_groups", None)
        if not (isinstance(groups, list) and all(isinstance(g, dict) for g in groups)):
            groups = []  # not an optimizer: the constructor refuses it, nothing to put back
        saved = [{k: v for k, v in group.items() if k != "params"} for group in groups]
        try:
            init(self, optimizer, *args, **kwargs)
        except BaseException:
            for group, before in zip(groups, saved):
                for key in [k for k in group if k != "params" and k not in before]:
                    del group[key]
                group.update(before)
            raise

    return guarded  # type: ignore[return-value]


_Step = TypeVar("_Step", bound=Callable[..., None])


def restores_on_error(step: _Step) -> _Step:
    """A scheduler step that, when it raises, puts the scheduler's attributes and the optimizer's param
    groups back as they were: the cyclic schedules count the step (and set lr, momentum, T_i) before
    the value that may fail (OneCycleLR's "Tried to step ... times"), and a refusal should change nothing."""

    @functools.wraps(step)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> None:
        groups = self.optimizer.param_groups
        saved_groups = [{k: v for k, v in group.items() if k != "params"} for group in groups]
        saved = dict(self.__dict__)  # a step rebinds attributes, it does not mutate them
        try:
            step(self, *args, **kwargs)
        except BaseException:
            for group, before in zip(groups, saved_groups):
                for key in [k for k in group if k != "params" and k not in before]:
                    del group[key]
                group.update(before)
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return guarded  # type: ignore[return-value]


class _OneGroup:
    """A stand-in optimizer with one param group, for curves computed by stepping a scheduler."""

    def __init__(self, lr: float) -> None:
        self.defaults: dict[str, Any] = {"lr": lr, "momentum": 0.0}
        self.param_groups: list[dict[str, Any]] = [dict(self.defaults)]


def _curve_by_stepping(scheduler: LRScheduler, steps: int) -> np.ndarray:
    """The lr of a one-group scheduler after 0, 1, ..., steps-1 calls of ``step()``."""
    out = np.empty(steps)
    for k in range(steps):
        if k > 0:
            scheduler.step()
        out[k] = scheduler.get_last_lr()[0]
    return out


def lr_curve(scheduler_class: type[LRScheduler], steps: int, lr: float = 0.1, **kwargs: Any) -> np.ndarray:
    """The whole learning-rate curve of a schedule, without an optimizer (e.g. for plotting).

    Parameters
    ----------
    scheduler_class : type
        One of gradkit.schedules' step-driven schedulers, e.g. ``CosineAnnealingLR``.
    steps : int
        How many values: entry ``k`` is the lr after ``k`` calls of ``step()`` (entry 0 is the lr
        the constructor sets).
    lr : float, default 0.1
        The optimizer's learning rate the schedule starts from.
    **kwargs
        The scheduler's arguments (except ``optimizer`` and ``last_epoch``), with its defaults;
        ``min_lr`` / ``max_lr`` bound the curve as they bound the scheduler.

    Returns
    -------
    ndarray of float64, shape (steps,)

    Examples
    --------
    >>> from gradkit.schedules import StepLR, lr_curve
    >>> lr_curve(StepLR, 6, lr=1.0, step_size=2, gamma=0.5)
    array([1.  , 1.  , 0.5 , 0.5 , 0.25, 0.25])
    >>> lr_curve(StepLR, 6, lr=1.0, step_size=2, gamma=0.5, min_lr=0.4)
    array([1. , 1. , 0.5, 0.5, 0.4, 0.4])
    """
    if not (isinstance(scheduler_class, type) and issubclass(scheduler_class, LRScheduler)):
        raise TypeError(f"scheduler_class must be a gradkit scheduler class, got {scheduler_class!r}")
    if "last_epoch" in kwargs or "optimizer" in kwargs:
        raise TypeError("lr_curve takes the schedule's own arguments, not optimizer or last_epoch")
    # Schedules with per-group state (gradkit.schedules.cyclic) compute their curve themselves.
    own_curve = getattr(scheduler_class, "_lr_curve", None)
    if own_curve is not None:
        return own_curve(int(steps), float(lr), kwargs)
    args, min_lr, max_lr = _core_schedule_args(scheduler_class, kwargs)
    return scheduler_class._core_schedule.curve(args, int(steps), float(lr), min_lr=min_lr, max_lr=max_lr)


def _core_schedule_args(
    scheduler_class: type[LRScheduler], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], float | None, float | None]:
    """A closed-form schedule's arguments (with its defaults) as the core reads them, and its bounds.

    Also used by the MLP estimators' ``lr_schedule=``; raises TypeError for unknown arguments.
    """
    signature = inspect.signature(scheduler_class.__init__)
    bound = signature.bind(None, None, **kwargs)  # self, optimizer
    bound.apply_defaults()
    args = {name: bound.arguments[name] for name in scheduler_class._arg_names}
    min_lr, max_lr = single_group(bound.arguments.get("min_lr"), bound.arguments.get("max_lr"))
    return scheduler_class._to_core(args), min_lr, max_lr
