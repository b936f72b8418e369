"""``optimizer=`` and ``lr_schedule=`` as the core's names and arguments, checked before training.

The estimators take any ``gradkit.optim`` optimizer and ``gradkit.schedules`` schedule by name or
class; the core's trainer takes a step rule and a schedule by name with a dict of arguments. This
module turns the one into the other, with every check made by the optimizer's or the schedule's own
class (so the messages are theirs, and torch's where torch has the class) or by the core, and checks
that a OneCycleLR schedule has the steps a fit will take. Its functions read only their arguments,
never an estimator.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, cast

import numpy as np

from .. import _core, optim, schedules
from ..schedules._rate_bounds import single_group
from ..schedules.lr_scheduler import LRScheduler, _core_schedule_args, _OneGroup
from ._trainer import _TRAINERS


class _MinibatchOptimizer(Protocol):
    """A gradkit.optim class that can train the estimators: every one but the base class and LBFGS,
    each constructed from the params, ``lr`` and its own hyperparameters by name."""

    __name__: str
    _core_algorithm: type  # its class of gradkit._core.optim

    def __call__(self, params: list[np.ndarray], lr: float, **hyper: Any) -> optim.Optimizer: ...


def _optimizer_class(name: Any) -> _MinibatchOptimizer:
    """The gradkit.optim class ``name`` (a name or the class) that can train the estimators."""
    if isinstance(name, str) and name == "LBFGS" or name is optim.LBFGS:
        raise ValueError(
            "optimizer='LBFGS' is a full-batch method, not a minibatch rule: use solver='lbfgs' instead"
        )
    cls = getattr(optim, name, None) if isinstance(name, str) else name
    known = sorted(n for n in optim.__all__ if n[0].isupper() and n not in ("LBFGS", "Optimizer"))
    if not (isinstance(cls, type) and issubclass(cls, optim.Optimizer)) or cls in (
        optim.Optimizer,
        optim.LBFGS,
        optim.Lookahead,
    ):
        raise ValueError(f"optimizer: unknown optimizer {name!r}; expected one of {', '.join(known)}")
    return cast(_MinibatchOptimizer, cls)  # a subclass, which takes lr where the base class does not


# The estimators' Muon: Muon over the coefficient matrices between hidden layers, AdamW over the first
# and last layers' coefficients and every intercept (Keller Jordan's split; torch's Muon documentation
# says the same). These keys of optimizer=("Muon", {...}) configure the split and the AdamW part.
_HYBRID_KEYS = {"adamw": {}, "adamw_lr_ratio": 1.0, "muon_layers": "hidden"}

# The rule the trainer runs: (core name, hyperparameters) or (core name, hyperparameters, options).
_StepRule = tuple[str, dict] | tuple[str, dict, dict]


def _split_spec(spec: Any) -> tuple[Any, dict]:
    if isinstance(spec, tuple):
        if len(spec) != 2 or not isinstance(spec[1], dict):
            raise ValueError(f"optimizer: expected a name or (name, dict of hyperparameters), got {spec!r}")
        return spec[0], dict(spec[1])
    return spec, {}


def _resolve_optimizer(spec: Any, lr: float, dtype: np.dtype) -> _StepRule | None:
    """``optimizer=`` as the core's step rule: (algorithm name, every hyperparameter[, options]), checked
    by the optimizer's own constructor (its defaults fill what the dict leaves out).

    ``("Lookahead", {"optimizer": spec, "k": 5, "alpha": 0.5})`` wraps the rule of ``spec``; Muon runs
    as a hybrid with AdamW (``_HYBRID_KEYS``)."""
    if spec is None:
        return None
    name, hyper = _split_spec(spec)
    if name == "Lookahead" or name is optim.Lookahead:
        inner_spec = hyper.pop("optimizer", None)
        if inner_spec is None:
            raise ValueError(
                "optimizer Lookahead: give the optimizer it wraps, e.g. ('Lookahead', {'optimizer': 'Adam'})"
            )
        if _split_spec(inner_spec)[0] in ("Lookahead", optim.Lookahead):
            raise ValueError("optimizer Lookahead: a Lookahead cannot wrap another Lookahead")
        inner = _resolve_optimizer(inner_spec, lr, dtype)
        unknown = set(hyper) - {"k", "alpha"}
        if unknown:
            raise ValueError(
                f"optimizer Lookahead: unknown hyperparameters {sorted(unknown)}; it takes k and alpha"
            )
        k, alpha = hyper.get("k", 5), hyper.get("alpha", 0.5)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise ValueError(f"optimizer Lookahead: k must be an int, got {k!r}")
        _core.optim.Lookahead.check_hyper(int(k), float(alpha))
        assert inner is not None
        return "Lookahead", {"k": int(k), "alpha": float(alpha)}, {"inner": inner}
    cls = _optimizer_class(name)
    if "lr" in hyper:
        raise ValueError("optimizer: the rate comes from learning_rate_init, not from an 'lr' hyperparameter")
    hybrid = None
    if cls._core_algorithm.__name__ == "Muon":
        hybrid = {key: hyper.pop(key, default) for key, default in _HYBRID_KEYS.items()}
        if not hyper.get("rows_are_inputs", True):
            raise ValueError(
                "optimizer Muon: coefs_ are (n_inputs, n_outputs) matrices, so the estimators always "
                "use rows_are_inputs=True (torch's learning-rate adjustment for an (out, in) weight)"
            )
        hyper["rows_are_inputs"] = True
    try:
        # A matrix: every optimizer takes one (Muon takes nothing else).
        probe = cls([np.zeros((1, 1), dtype=dtype)], lr=lr, **hyper)
    except TypeError as error:
        raise ValueError(f"optimizer {cls.__name__}: {error}") from None
    group = {key: value for key, value in probe.param_groups[0].items() if key != "params"}
    if hybrid is None:
        return cls._core_algorithm.__name__, group
    return cls._core_algorithm.__name__, group, _hybrid_options(hybrid, lr, dtype)


def _hybrid_options(hybrid: dict, lr: float, dtype: np.dtype) -> dict:
    """The trainer's options for Muon's AdamW part: its hyperparameters at ``adamw_lr_ratio * lr``."""
    adamw, ratio, layers = hybrid["adamw"], hybrid["adamw_lr_ratio"], hybrid["muon_layers"]
    if not isinstance(adamw, dict) or "lr" in adamw:
        raise ValueError(
            "optimizer Muon: 'adamw' must be a dict of AdamW's hyperparameters without 'lr' "
            f"(its rate is adamw_lr_ratio * learning_rate_init), got {adamw!r}"
        )
    if not (isinstance(ratio, (int, float)) and np.isfinite(ratio) and ratio > 0):
        raise ValueError(f"optimizer Muon: adamw_lr_ratio must be a positive number, got {ratio!r}")
    if layers not in ("hidden", "all"):
        raise ValueError(f"optimizer Muon: muon_layers must be 'hidden' or 'all', got {layers!r}")
    try:
        probe = optim.AdamW([np.zeros(1, dtype=dtype)], lr=lr * ratio, **adamw)
    except TypeError as error:
        raise ValueError(f"optimizer Muon's adamw: {error}") from None
    others = {key: value for key, value in probe.param_groups[0].items() if key != "params"}
    return {"others": others, "layers": layers}


def _resolve_schedule(spec: Any) -> tuple[str, dict, float | None, float | None, bool] | None:
    """``lr_schedule=`` as the core's schedule: (name, arguments, min_lr, max_lr, per step)."""
    if spec is None:
        return None
    if len(spec) not in (2, 3) or not isinstance(spec[1], dict):
        raise ValueError(
            "lr_schedule: expected (schedule, dict of its arguments) or (schedule, dict, 'batch' or "
            f"'epoch'), got {spec!r}"
        )
    name, kwargs = spec[0], spec[1]
    stepping = spec[2] if len(spec) == 3 else "epoch"
    if stepping not in ("batch", "epoch"):
        raise ValueError(f"lr_schedule: the stepping must be 'batch' or 'epoch', got {stepping!r}")
    cls = getattr(schedules, name, None) if isinstance(name, str) else name
    supported = list(_core.train.MLPTrainer_float64.schedules())
    # The trainer knows a schedule by its core object's name (a subclass of a schedule has its base's).
    core_name = getattr(getattr(cls, "_core_schedule", None), "__name__", None)
    if not (isinstance(cls, type) and issubclass(cls, LRScheduler) and core_name in supported):
        raise ValueError(
            f"lr_schedule: {getattr(name, '__name__', name)!r} cannot drive the estimators' rate; "
            f"expected one of: {', '.join(supported)} (gradkit's step-driven schedules, OneCycleLR "
            "and CyclicLR, and the loss-driven ones, stepped per epoch; "
            "schedules that call Python functions or other schedulers are not supported by lr_schedule=)"
        )
    if "last_epoch" in kwargs or "optimizer" in kwargs:
        raise ValueError("lr_schedule: give the schedule's own arguments, not optimizer or last_epoch")
    if core_name in _LOSS_DRIVEN_SCHEDULES:
        if stepping == "batch":
            raise ValueError(
                f"lr_schedule {cls.__name__}: a loss-driven schedule steps once per epoch, on the "
                "epoch's training loss (loss_curve_); leave out 'batch'"
            )
        args, min_lr, max_lr = _loss_driven_schedule_args(cls, kwargs)
        return core_name, args, min_lr, max_lr, False
    if core_name in _CYCLIC_SCHEDULES:
        # the class by the name the trainer knows it by: OneCycleLR's or CyclicLR's
        args, min_lr = _cyclic_schedule_args(cast(_CyclicScheduleClass, cls), kwargs)
        return core_name, args, min_lr, None, stepping == "batch"
    try:
        args, min_lr, max_lr = _core_schedule_args(cls, kwargs)
    except TypeError as error:
        raise ValueError(f"lr_schedule {cls.__name__}: {error}") from None
    return core_name, args, min_lr, max_lr, stepping == "batch"


# Schedules stepped with each epoch's training loss (the value loss_curve_ records).
_LOSS_DRIVEN_SCHEDULES = ("ReduceLROnPlateau", "AdaptiveLR", "BoldDriverLR")


def _loss_driven_schedule_args(
    cls: type[LRScheduler], kwargs: dict
) -> tuple[dict, float | None, float | None]:
    """A loss-driven schedule's arguments as the trainer reads them, and its bounds, checked by the
    class itself (with torch's messages where torch has the class) on a one-group stand-in."""
    try:
        scheduler = cls(_OneGroup(1.0), **kwargs)
    except (TypeError, ValueError) as error:
        raise ValueError(f"lr_schedule {cls.__name__}: {error}") from None
    if cls._core_schedule is _core.schedules.ReduceLROnPlateau:  # min_lr is torch's floor of a reduction
        plateau = cast(schedules.ReduceLROnPlateau, scheduler)  # by name, as the trainer knows it
        return plateau._core_args(), float(plateau.min_lrs[0]), single_group(None, plateau.max_lr)[1]
    min_lr, max_lr = single_group(scheduler.min_lr, scheduler.max_lr)
    return scheduler._core_args(), min_lr, max_lr


# Schedules whose levels come from their own arguments, not from learning_rate_init (torch's
# constructors set the group's lr); they take only a lower bound, min_lr.
_CYCLIC_SCHEDULES = ("OneCycleLR", "CyclicLR")
_CyclicScheduleClass = type[schedules.OneCycleLR] | type[schedules.CyclicLR]


def _cyclic_schedule_args(cls: _CyclicScheduleClass, kwargs: dict) -> tuple[dict, float | None]:
    """OneCycleLR's or CyclicLR's arguments (by torch's names, checked by the class itself) as the
    trainer reads them, and min_lr."""
    if kwargs.get("scale_fn") is not None:
        raise ValueError(
            f"lr_schedule {cls.__name__}: a custom scale_fn (a Python callable) cannot run inside "
            "the core's training loop; use mode='triangular', 'triangular2' or 'exp_range' (with gamma)"
        )
    try:
        return cls._trainer_args(kwargs)
    except (TypeError, ValueError, ZeroDivisionError) as error:
        raise ValueError(f"lr_schedule {cls.__name__}: {error}") from None


def _batches_per_epoch(
    n_samples: int, batch_size: Any, early_stopping: bool, validation_fraction: float
) -> int:
    """The minibatches of one epoch, as _fit_stochastic will make them (scikit-learn's validation split:
    ceil(validation_fraction * n) rows held out)."""
    n_train = n_samples - math.ceil(validation_fraction * n_samples) if early_stopping else n_samples
    size = min(200, n_train) if batch_size == "auto" else int(np.clip(batch_size, 1, n_train))
    return math.ceil(n_train / size)


def _check_schedule_in_core(
    rule: _StepRule | None,
    schedule: tuple[str, dict, float | None, float | None, bool],
    lr: float,
    dtype: np.dtype,
) -> None:
    """Has the core check a resolved schedule's arguments, on a one-weight scratch trainer with the
    resolved step rule (scikit-learn's plain 'sgd' rule when there is none)."""
    name, args, min_lr, max_lr, per_step = schedule
    scratch = _TRAINERS[np.dtype(dtype)]([1, 1], "identity", "identity")
    scratch.set_step_rule(*(rule or ("SklearnSGD", {"lr": lr, "momentum": 0.0, "nesterov": False})))
    try:
        scratch.set_schedule(name, args, min_lr, max_lr, lr, per_step)
        if name not in _CYCLIC_SCHEDULES + _LOSS_DRIVEN_SCHEDULES:  # checked by their own class
            getattr(_core.schedules, name).curve(args, 3, lr, min_lr=min_lr, max_lr=max_lr)
    except (KeyError, TypeError, ZeroDivisionError) as error:
        raise ValueError(f"lr_schedule {name}: {error}") from None


def _check_one_cycle_steps(total: int, taken: int, epochs: int, batches: int, per_step: bool) -> None:
    """Raises ValueError unless OneCycleLR's total_steps covers a fit of ``epochs`` epochs of
    ``batches`` minibatches (one step an epoch, or one a minibatch when ``per_step``) after the
    ``taken`` steps of earlier partial_fit calls: torch raises on a step past total_steps."""
    needed = epochs * (batches if per_step else 1)
    if taken + needed <= total:
        return
    if per_step:
        plural = "es" if batches != 1 else ""
        steps = f"{epochs} epoch{'s' if epochs != 1 else ''} x {batches} minibatch{plural} = {needed} steps"
    else:
        steps = f"{needed} epoch{'s' if needed != 1 else ''}, one step each"
    after = f" after the {taken} it has taken" if taken else ""
    raise ValueError(
        f"lr_schedule OneCycleLR: total_steps={total} is too few for this fit, which can take "
        f"{steps}{after}; stepping past total_steps is an error (as in torch). Give total_steps "
        f">= {taken + needed} (or epochs and steps_per_epoch), or fewer epochs (max_iter)"
    )
