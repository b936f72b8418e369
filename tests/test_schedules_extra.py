"""The closed-form schedules torch lacks (gradkit.schedules.extra) and min_lr / max_lr on every scheduler."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gradkit.schedules as gs
from gradkit.optim import SGD

STEPS = 300
RTOL = 1e-12
RESUME_AT = 150


# --- the rules, written from their definitions (Keras, scikit-learn, gradkit's docstrings) -----------


def inverse_time(
    t: int, lr0: float, decay_rate: float, decay_steps: int = 1, staircase: bool = False
) -> float:
    p = t / decay_steps
    if staircase:
        p = math.floor(p)
    return lr0 / (1 + decay_rate * p)


def inv_scaling(t: int, lr0: float, power_t: float = 0.5) -> float:
    return lr0 / (t + 1) ** power_t


def restart(t: int, lr0: float, period: int, gamma: float = 1.0) -> float:
    return lr0 * gamma ** (t % period)


def piecewise_constant(t: int, lr0: float, boundaries: list[float], values: list[float]) -> float:
    if not boundaries or t <= boundaries[0]:
        return values[0]
    for i in range(1, len(boundaries)):
        if boundaries[i - 1] < t <= boundaries[i]:
            return values[i]
    return values[-1]


def warmup_cosine(
    t: int,
    lr0: float,
    warmup_steps: int,
    total_steps: int,
    warmup_start_factor: float = 0.0,
    eta_min: float = 0.0,
) -> float:
    s = warmup_start_factor
    if t < warmup_steps:
        return lr0 * (s + (1 - s) * t / warmup_steps)
    if t >= total_steps:
        return eta_min
    p = (t - warmup_steps) / (total_steps - warmup_steps)
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * p)) / 2


RULES: list[tuple[type, Callable[..., float], dict[str, Any]]] = [
    (gs.InverseTimeLR, inverse_time, {"decay_rate": 0.5}),
    (gs.InverseTimeLR, inverse_time, {"decay_rate": 0.03, "decay_steps": 7}),
    (gs.InverseTimeLR, inverse_time, {"decay_rate": 0.3, "decay_steps": 7, "staircase": True}),
    (gs.InverseTimeLR, inverse_time, {"decay_rate": 0.0, "decay_steps": 3}),
    (gs.InvScalingLR, inv_scaling, {}),
    (gs.InvScalingLR, inv_scaling, {"power_t": 0.25}),
    (gs.InvScalingLR, inv_scaling, {"power_t": 1.0}),
    (gs.InvScalingLR, inv_scaling, {"power_t": 0.0}),
    (gs.RestartLR, restart, {"period": 10, "gamma": 0.8}),
    (gs.RestartLR, restart, {"period": 1, "gamma": 0.5}),
    (gs.RestartLR, restart, {"period": 37}),
    (gs.RestartLR, restart, {"period": 300, "gamma": 0.99}),
    (
        gs.PiecewiseConstantLR,
        piecewise_constant,
        {"boundaries": [10, 100, 200], "values": [0.5, 0.1, 0.01, 1e-3]},
    ),
    (gs.PiecewiseConstantLR, piecewise_constant, {"boundaries": [0], "values": [1.0, 0.2]}),
    (gs.PiecewiseConstantLR, piecewise_constant, {"boundaries": [], "values": [0.3]}),
    (gs.PiecewiseConstantLR, piecewise_constant, {"boundaries": [2.5, 99.5], "values": [0.3, 0.2, 0.1]}),
    (gs.WarmupCosineLR, warmup_cosine, {"warmup_steps": 10, "total_steps": 250}),
    (gs.WarmupCosineLR, warmup_cosine, {"warmup_steps": 0, "total_steps": 100, "eta_min": 1e-4}),
    (
        gs.WarmupCosineLR,
        warmup_cosine,
        {"warmup_steps": 50, "total_steps": 51, "warmup_start_factor": 0.1, "eta_min": 0.001},
    ),
    (gs.WarmupCosineLR, warmup_cosine, {"warmup_steps": 299, "total_steps": 400, "warmup_start_factor": 1.0}),
]
RULE_IDS = [f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(RULES)]


def _opt(*lrs: float, momentum: float = 0.0) -> SGD:
    return SGD([{"params": [np.zeros(2)], "lr": lr} for lr in lrs], momentum=momentum)


def _step(opt: SGD, sched: Any, metric: float | None = None) -> None:
    opt.step([np.zeros(2) for _ in opt.param_groups])
    if metric is None:
        sched.step()
    else:
        sched.step(metric)


def _run(opt: SGD, sched: Any, steps: int) -> np.ndarray:
    """The groups' lrs after construction and after each of steps - 1 steps."""
    out = [[g["lr"] for g in opt.param_groups]]
    for _ in range(steps - 1):
        _step(opt, sched)
        out.append([g["lr"] for g in opt.param_groups])
    return np.array(out)


@pytest.mark.parametrize(("cls", "rule", "kwargs"), RULES, ids=RULE_IDS)
def test_rule_follows_its_formula_for_each_group(cls, rule, kwargs) -> None:
    lrs = (0.1, 0.02)
    opt = _opt(*lrs)
    sched = cls(opt, **kwargs)
    got = _run(opt, sched, STEPS)
    want = np.array([[rule(t, lr0, **kwargs) for lr0 in lrs] for t in range(STEPS)])
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)
    assert sched.last_epoch == STEPS - 1
    assert sched.get_last_lr() == list(got[-1])
    assert sched.base_lrs == list(lrs)


@pytest.mark.parametrize(("cls", "rule", "kwargs"), RULES, ids=RULE_IDS)
def test_lr_curve_is_the_optimizers_trajectory(cls, rule, kwargs) -> None:
    opt = _opt(0.05)
    stepped = _run(opt, cls(opt, **kwargs), STEPS)[:, 0]
    curve = gs.lr_curve(cls, STEPS, lr=0.05, **kwargs)
    assert curve.dtype == np.float64 and curve.shape == (STEPS,)
    np.testing.assert_array_equal(curve, stepped)


@pytest.mark.parametrize(("cls", "rule", "kwargs"), RULES, ids=RULE_IDS)
def test_resume_from_state_dicts_continues_the_run(cls, rule, kwargs) -> None:
    opt = _opt(0.1, 0.3)
    sched = cls(opt, **kwargs)
    whole = _run(opt, sched, STEPS)
    opt = _opt(0.1, 0.3)
    sched = cls(opt, **kwargs)
    _run(opt, sched, RESUME_AT + 1)
    saved = copy.deepcopy((opt.state_dict(), sched.state_dict()))
    for name in cls._arg_names:
        assert name in saved[1]
    opt2 = _opt(0.1, 0.3)
    sched2 = cls(opt2, **kwargs)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    assert sched2.last_epoch == RESUME_AT
    resumed = _run(opt2, sched2, STEPS - RESUME_AT)
    np.testing.assert_array_equal(resumed, whole[RESUME_AT:])


@pytest.mark.parametrize(("cls", "rule", "kwargs"), RULES[::4], ids=RULE_IDS[::4])
def test_step_with_an_epoch_gives_the_formula(cls, rule, kwargs) -> None:
    opt = _opt(0.1)
    sched = cls(opt, **kwargs)
    for epoch in (5, 200, 3, 0):
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched.step(epoch)
        assert sched.last_epoch == epoch
        assert math.isclose(opt.param_groups[0]["lr"], rule(epoch, 0.1, **kwargs), rel_tol=RTOL)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="the step must be non-negative, got -1"):
        sched.step(-1)


def test_piecewise_constant_values_are_absolute_for_every_group() -> None:
    opt = _opt(0.1, 0.001)
    sched = gs.PiecewiseConstantLR(opt, boundaries=[2], values=[0.5, 0.05])
    assert sched.get_last_lr() == [0.5, 0.5]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.001]
    for _ in range(3):
        _step(opt, sched)
    assert sched.get_last_lr() == [0.05, 0.05]


def test_piecewise_constant_boundary_step_keeps_the_earlier_value_as_in_keras() -> None:
    # Keras' docstring: 1.0 for the first 100001 steps (0..100000), then 0.5.
    curve = gs.lr_curve(
        gs.PiecewiseConstantLR, 100_003, boundaries=[100_000, 110_000], values=[1.0, 0.5, 0.1]
    )
    assert curve[100_000] == 1.0 and curve[100_001] == 0.5


def test_warmup_cosine_meets_its_corners_exactly() -> None:
    curve = gs.lr_curve(
        gs.WarmupCosineLR, 30, lr=0.2, warmup_steps=5, total_steps=25, warmup_start_factor=0.5, eta_min=0.01
    )
    assert curve[0] == 0.1  # lr0 * warmup_start_factor
    assert curve[5] == 0.2  # lr0 at the end of the warmup
    assert list(curve[25:]) == [0.01] * 5  # eta_min from total_steps on
    assert np.all(np.diff(curve[:6]) > 0) and np.all(np.diff(curve[5:26]) < 0)


def test_a_hand_set_lr_is_overwritten_by_the_closed_form() -> None:
    opt = _opt(0.1)
    sched = gs.InvScalingLR(opt, power_t=1.0)
    opt.param_groups[0]["lr"] = 7.0
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.05


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (gs.InverseTimeLR, {"decay_rate": -0.5}, "decay_rate must be a non-negative number, got -0.5"),
        (gs.InverseTimeLR, {"decay_rate": math.nan}, "decay_rate must be a non-negative number, got nan"),
        (
            gs.InverseTimeLR,
            {"decay_rate": 0.5, "decay_steps": 0},
            "decay_steps must be a positive integer, got 0",
        ),
        (gs.InvScalingLR, {"power_t": -0.5}, "power_t must be a non-negative number, got -0.5"),
        (gs.RestartLR, {"period": 0}, "period must be a positive integer, got 0"),
        (gs.RestartLR, {"period": 5, "gamma": -1.0}, "gamma must be a non-negative number, got -1.0"),
        (
            gs.PiecewiseConstantLR,
            {"boundaries": [5, 5], "values": [1.0, 0.5, 0.1]},
            "boundaries must be strictly increasing, got boundaries[1] = 5.0 after 5.0",
        ),
        (
            gs.PiecewiseConstantLR,
            {"boundaries": [10, 5], "values": [1.0, 0.5, 0.1]},
            "boundaries must be strictly increasing, got boundaries[1] = 5.0 after 10.0",
        ),
        (
            gs.PiecewiseConstantLR,
            {"boundaries": [5], "values": [1.0, 0.5, 0.1]},
            "values must have one more entry than boundaries, got 1 boundaries and 3 values",
        ),
        (
            gs.PiecewiseConstantLR,
            {"boundaries": [5], "values": [1.0, -0.5]},
            "values must be non-negative rates, got values[1] = -0.5",
        ),
        (
            gs.WarmupCosineLR,
            {"warmup_steps": -1, "total_steps": 10},
            "warmup_steps must be a non-negative integer, got -1",
        ),
        (
            gs.WarmupCosineLR,
            {"warmup_steps": 10, "total_steps": 10},
            "total_steps must be greater than warmup_steps, got total_steps=10 and warmup_steps=10",
        ),
        (
            gs.WarmupCosineLR,
            {"warmup_steps": 1, "total_steps": 10, "warmup_start_factor": 1.5},
            "warmup_start_factor must be between 0 and 1, got 1.5",
        ),
        (
            gs.WarmupCosineLR,
            {"warmup_steps": 1, "total_steps": 10, "warmup_start_factor": -0.1},
            "warmup_start_factor must be between 0 and 1, got -0.1",
        ),
        (
            gs.WarmupCosineLR,
            {"warmup_steps": 1, "total_steps": 10, "eta_min": -0.1},
            "eta_min must be a finite non-negative number, got -0.1",
        ),
    ],
)
def test_bad_arguments_raise_before_the_optimizer_is_touched(cls, kwargs, message) -> None:
    opt = _opt(0.1)
    with pytest.raises(ValueError) as info:
        cls(opt, **kwargs)
    assert str(info.value) == message
    assert opt.param_groups[0] == {**opt.param_groups[0], "lr": 0.1}
    assert "initial_lr" not in opt.param_groups[0]
    with pytest.raises(ValueError) as info:
        gs.lr_curve(cls, 3, **kwargs)
    assert str(info.value) == message


def test_a_fractional_step_count_is_refused_with_the_argument_named() -> None:
    with pytest.raises(TypeError, match="InverseTimeLR argument 'decay_steps': cannot use 2.5 here"):
        gs.InverseTimeLR(_opt(0.1), decay_rate=0.5, decay_steps=2.5)


# --- min_lr / max_lr on every scheduler ------------------------------------------------------------


def _make(name: str, opt: SGD, **bounds: Any) -> Any:
    """A scheduler of each class on opt, with arguments whose curves cross typical bounds."""
    if name == "StepLR":
        return gs.StepLR(opt, step_size=7, gamma=0.7, **bounds)
    if name == "MultiStepLR":
        return gs.MultiStepLR(opt, milestones=[10, 30, 60], gamma=0.5, **bounds)
    if name == "ConstantLR":
        return gs.ConstantLR(opt, factor=0.2, total_iters=40, **bounds)
    if name == "LinearLR":
        return gs.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=80, **bounds)
    if name == "ExponentialLR":
        return gs.ExponentialLR(opt, gamma=0.97, **bounds)
    if name == "PolynomialLR":
        return gs.PolynomialLR(opt, total_iters=90, power=2.0, **bounds)
    if name == "CosineAnnealingLR":
        return gs.CosineAnnealingLR(opt, T_max=40, eta_min=0.001, **bounds)
    if name == "CosineAnnealingWarmRestarts":
        return gs.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=0.001, **bounds)
    if name == "CyclicLR":
        return gs.CyclicLR(
            opt, base_lr=[0.01, 0.002], max_lr=[0.1, 0.03], step_size_up=9, mode="triangular2", **bounds
        )
    if name == "OneCycleLR":
        return gs.OneCycleLR(opt, max_lr=[0.1, 0.05], total_steps=150, **bounds)
    if name == "LambdaLR":
        return gs.LambdaLR(opt, lr_lambda=lambda t: 1 + math.sin(t / 5), **bounds)
    if name == "MultiplicativeLR":
        return gs.MultiplicativeLR(opt, lr_lambda=lambda t: 1.2 if (t // 15) % 2 == 0 else 0.8, **bounds)
    if name == "SequentialLR":
        warm = gs.LinearLR(opt, start_factor=0.1, total_iters=20)
        decay = gs.ExponentialLR(opt, gamma=0.95)
        return gs.SequentialLR(opt, schedulers=[warm, decay], milestones=[20], **bounds)
    if name == "ChainedScheduler":
        chain = [gs.ExponentialLR(opt, gamma=0.97), gs.CosineAnnealingLR(opt, T_max=25)]
        return gs.ChainedScheduler(chain, **bounds)
    if name == "ReduceLROnPlateau":
        return gs.ReduceLROnPlateau(opt, factor=0.5, patience=3, **bounds)
    if name == "InverseTimeLR":
        return gs.InverseTimeLR(opt, decay_rate=0.1, **bounds)
    if name == "InvScalingLR":
        return gs.InvScalingLR(opt, **bounds)
    if name == "RestartLR":
        return gs.RestartLR(opt, period=25, gamma=0.9, **bounds)
    if name == "PiecewiseConstantLR":
        return gs.PiecewiseConstantLR(opt, boundaries=[20, 50, 90], values=[0.3, 0.1, 0.03, 0.003], **bounds)
    if name == "WarmupCosineLR":
        return gs.WarmupCosineLR(opt, warmup_steps=20, total_steps=100, **bounds)
    raise AssertionError(name)


# The loss-driven rules (AdaptiveLR, BoldDriverLR) bound only the lrs they change, from the first
# step(loss) on; tests/test_schedules_loss_driven.py covers their bounds. RandomLR sets no lr.
NOT_HERE = ("LRScheduler", "lr_curve", "AdaptiveLR", "BoldDriverLR", "RandomLR")
ALL = sorted(n for n in gs.__all__ if n not in NOT_HERE)
ONLY_MIN = {"CyclicLR", "OneCycleLR"}  # torch's max_lr argument is their peak
ONLY_MAX = {"ReduceLROnPlateau"}  # torch's min_lr is its lower bound
BOUND_STEPS = 120
LRS = (0.1, 0.04)


def _drive(name: str, opt: SGD, sched: Any) -> None:
    _step(opt, sched, 1.0 if name == "ReduceLROnPlateau" else None)


def _bounds_for(name: str, free: np.ndarray, as_lists: bool) -> dict[str, Any]:
    """Bounds that bind on part of the unbounded run: its 35% and 65% quantiles (per group for lists)."""
    lo = np.quantile(free, 0.35, axis=0) if as_lists else np.quantile(free, 0.35)
    hi = np.quantile(free, 0.65, axis=0) if as_lists else np.quantile(free, 0.65)
    bounds = {
        "min_lr": lo.tolist() if as_lists else float(lo),
        "max_lr": hi.tolist() if as_lists else float(hi),
    }
    if name in ONLY_MIN:
        del bounds["max_lr"]
    if name in ONLY_MAX:
        del bounds["min_lr"]
    return bounds


def _clip(lrs: list[float], bounds: dict[str, Any]) -> list[float]:
    n = len(lrs)
    lo = bounds.get("min_lr", -math.inf)
    hi = bounds.get("max_lr", math.inf)
    los = lo if isinstance(lo, list) else [lo] * n
    his = hi if isinstance(hi, list) else [hi] * n
    return [min(max(lr, a), b) for lr, a, b in zip(lrs, los, his)]


def _lrs(opt: SGD) -> list[float]:
    return [g["lr"] for g in opt.param_groups]


@pytest.mark.parametrize("as_lists", [False, True], ids=["one-bound", "per-group"])
@pytest.mark.parametrize("name", ALL)
def test_bounds_clip_each_step_and_recursions_continue_from_the_clipped_lr(name: str, as_lists: bool) -> None:
    opt = _opt(*LRS, momentum=0.9)
    free_sched = _make(name, opt)
    free = [_lrs(opt)]
    for _ in range(BOUND_STEPS):
        _drive(name, opt, free_sched)
        free.append(_lrs(opt))
    bounds = _bounds_for(name, np.array(free), as_lists)

    # The bounded run, and an unbounded twin put at the bounded lrs before each of its steps: every
    # bounded lr is the twin's clipped exactly, and the bounds make a difference somewhere.
    opt = _opt(*LRS, momentum=0.9)
    sched = _make(name, opt, **bounds)
    twin_opt = _opt(*LRS, momentum=0.9)
    twin = _make(name, twin_opt)
    assert _lrs(opt) == _clip(_lrs(twin_opt), bounds)
    assert sched.get_last_lr() == _lrs(opt)
    differs = int(_lrs(opt) != _lrs(twin_opt))
    for step in range(BOUND_STEPS):
        for group, lr in zip(twin_opt.param_groups, _lrs(opt)):
            group["lr"] = lr
        _drive(name, opt, sched)
        _drive(name, twin_opt, twin)
        want = _clip(_lrs(twin_opt), bounds)
        assert _lrs(opt) == want, f"step {step + 1}"
        assert sched.get_last_lr() == want
        differs += want != _lrs(twin_opt)
    assert differs > 0, "the bounds never bound"


@pytest.mark.parametrize("name", ALL)
def test_no_bounds_leave_the_numbers_identical(name: str) -> None:
    explicit = {"min_lr": None} if name in ONLY_MIN else {"max_lr": None}
    if name not in ONLY_MIN | ONLY_MAX:
        explicit["min_lr"] = None
    opt, opt2 = _opt(*LRS, momentum=0.9), _opt(*LRS, momentum=0.9)
    sched, sched2 = _make(name, opt), _make(name, opt2, **explicit)
    for _ in range(60):
        _drive(name, opt, sched)
        _drive(name, opt2, sched2)
        assert _lrs(opt) == _lrs(opt2)


@pytest.mark.parametrize("name", sorted(set(ALL) - ONLY_MIN))
def test_min_lr_above_max_lr_is_refused_before_anything_changes(name: str) -> None:
    opt = _opt(*LRS, momentum=0.9)
    before = copy.deepcopy(opt.param_groups)
    with pytest.raises(ValueError, match=r"^min_lr \(0\.5\) must not be greater than max_lr \(0\.1\)$"):
        _make(name, opt, min_lr=0.5, max_lr=0.1)
    if name not in ("SequentialLR", "ChainedScheduler"):  # their sub-schedulers were made by _make
        for group, saved in zip(opt.param_groups, before):
            assert {k: v for k, v in group.items() if k != "params"} == {
                k: v for k, v in saved.items() if k != "params"
            }


@pytest.mark.parametrize(
    "name", ["ExponentialLR", "CyclicLR", "WarmupCosineLR", "LambdaLR", "ChainedScheduler"]
)
def test_bad_bounds_are_refused_with_their_message(name: str) -> None:
    opt = _opt(*LRS, momentum=0.9)
    with pytest.raises(ValueError, match=r"^min_lr must be a finite non-negative number, got -0\.1$"):
        _make(name, opt, min_lr=-0.1)
    with pytest.raises(ValueError, match="min_lr has 3 values but the optimizer has 2 param groups"):
        _make(name, opt, min_lr=[0.1, 0.1, 0.1])
    with pytest.raises(TypeError, match="min_lr must be a number, a list of numbers"):
        _make(name, opt, min_lr="0.1")
    if name != "CyclicLR":
        with pytest.raises(
            ValueError, match=r"^param group 1: min_lr \(0\.2\) must not be greater than max_lr"
        ):
            _make(name, opt, min_lr=[0.0, 0.2], max_lr=0.1)
        with pytest.raises(ValueError, match=r"^max_lr must be a non-negative number, got nan$"):
            _make(name, opt, max_lr=math.nan)


def test_cyclic_and_one_cycle_have_torchs_max_lr_and_add_only_min_lr() -> None:
    opt = _opt(0.1, momentum=0.9)
    sched = gs.CyclicLR(opt, base_lr=0.01, max_lr=0.05, step_size_up=2, min_lr=0.02)
    assert sched.max_lrs == [0.05] and not hasattr(sched, "max_lr")
    np.testing.assert_allclose(_run(opt, sched, 5)[:, 0], [0.02, 0.03, 0.05, 0.03, 0.02], rtol=1e-12)
    opt = _opt(0.1, momentum=0.9)
    sched = gs.OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=0.4, anneal_strategy="linear", min_lr=0.1)
    assert opt.param_groups[0]["min_lr"] == 1.0 / 25 / 1e4  # torch's end-of-cycle lr, unchanged
    np.testing.assert_allclose(_run(opt, sched, 5)[:, 0], [0.1, 1.0, 0.666668, 0.333336, 0.1], rtol=1e-6)


def test_recursive_schedule_continues_from_the_clipped_lr() -> None:
    opt = _opt(0.1)
    sched = gs.MultiplicativeLR(opt, lr_lambda=lambda t: 2.0 if t <= 3 else 0.5, max_lr=0.3)
    np.testing.assert_allclose(
        _run(opt, sched, 7)[:, 0], [0.1, 0.2, 0.3, 0.3, 0.15, 0.075, 0.0375], rtol=1e-15
    )
    opt = _opt(0.1)
    sched = gs.ExponentialLR(opt, gamma=0.5, min_lr=0.02)
    assert _run(opt, sched, 5)[:, 0].tolist() == [0.1, 0.05, 0.025, 0.02, 0.02]


def test_plateau_keeps_torchs_min_lr_and_adds_max_lr() -> None:
    opt = _opt(0.1, 0.01)
    sched = gs.ReduceLROnPlateau(opt, factor=0.5, patience=0, min_lr=0.02, max_lr=[0.05, 0.05])
    assert _lrs(opt) == [0.05, 0.01]  # capped at construction; torch's min_lr acts only when reducing
    lrs = []
    for loss in [1.0, 1.0, 1.0, 1.0]:
        sched.step(loss)
        lrs.append(_lrs(opt))
    assert lrs == [[0.05, 0.01], [0.025, 0.01], [0.02, 0.01], [0.02, 0.01]]
    opt.param_groups[0]["lr"] = 0.3  # set by hand: the next step caps it
    sched.step(1.0)
    assert _lrs(opt)[0] == 0.05
    with pytest.raises(ValueError, match=r"min_lr \(0\.2\) must not be greater than max_lr \(0\.1\)"):
        gs.ReduceLROnPlateau(_opt(0.1), min_lr=0.2, max_lr=0.1)
    assert not hasattr(gs.ReduceLROnPlateau(_opt(0.1)), "min_lr")  # torch's attributes: min_lrs


def test_composite_bounds_clamp_the_final_lr() -> None:
    opt = _opt(1.0)
    warm = gs.ConstantLR(opt, factor=0.1, total_iters=2)
    decay = gs.ExponentialLR(opt, gamma=0.5, min_lr=0.2)  # a sub-scheduler's own bound
    sched = gs.SequentialLR(opt, schedulers=[warm, decay], milestones=[2], max_lr=0.6)
    assert _run(opt, sched, 6)[:, 0].tolist() == [0.1, 0.1, 0.6, 0.3, 0.2, 0.2]
    assert sched.get_last_lr() == [0.2]
    opt = _opt(1.0)
    chain = [gs.ConstantLR(opt, factor=0.1, total_iters=2), gs.ExponentialLR(opt, gamma=0.5)]
    sched = gs.ChainedScheduler(chain, min_lr=0.04)
    assert _run(opt, sched, 4)[:, 0].tolist() == [0.1, 0.05, 0.25, 0.125]
    sched.step()
    sched.step()
    assert _lrs(opt) == [0.04] and sched.get_last_lr() == [0.04]


@pytest.mark.parametrize(
    "name",
    [
        "StepLR",
        "LinearLR",
        "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts",
        "CyclicLR",
        "OneCycleLR",
        "InverseTimeLR",
        "PiecewiseConstantLR",
        "WarmupCosineLR",
    ],
)
def test_lr_curve_takes_the_bounds(name: str) -> None:
    bounds = {"min_lr": 0.02} if name in ONLY_MIN else {"min_lr": 0.02, "max_lr": 0.07}
    kwargs = {
        "StepLR": {"step_size": 7, "gamma": 0.7},
        "LinearLR": {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 80},
        "CosineAnnealingLR": {"T_max": 40, "eta_min": 0.001},
        "CosineAnnealingWarmRestarts": {"T_0": 10, "T_mult": 2, "eta_min": 0.001},
        "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 9, "mode": "triangular2"},
        "OneCycleLR": {"max_lr": 0.1, "total_steps": 150},
        "InverseTimeLR": {"decay_rate": 0.1},
        "PiecewiseConstantLR": {"boundaries": [20, 50, 90], "values": [0.3, 0.1, 0.03, 0.003]},
        "WarmupCosineLR": {"warmup_steps": 20, "total_steps": 100},
    }[name]
    opt = _opt(0.1, momentum=0.9)
    stepped = _run(opt, getattr(gs, name)(opt, **kwargs, **bounds), 100)[:, 0]
    curve = gs.lr_curve(getattr(gs, name), 100, lr=0.1, **kwargs, **bounds)
    np.testing.assert_array_equal(curve, stepped)
    assert curve.min() == 0.02 and (name in ONLY_MIN or curve.max() == 0.07)
    if name not in ONLY_MIN:
        with pytest.raises(ValueError, match="must not be greater than max_lr"):
            gs.lr_curve(getattr(gs, name), 3, **kwargs, min_lr=0.5, max_lr=0.1)


@pytest.mark.parametrize(
    "name", ["StepLR", "CosineAnnealingWarmRestarts", "CyclicLR", "LambdaLR", "SequentialLR"]
)
def test_bounds_are_saved_and_restored_by_state_dict(name: str) -> None:
    bounds = {"min_lr": [0.03, 0.01]} if name in ONLY_MIN else {"min_lr": [0.03, 0.01], "max_lr": 0.08}
    opt = _opt(*LRS, momentum=0.9)
    sched = _make(name, opt, **bounds)
    whole = _run(opt, sched, 80)
    opt = _opt(*LRS, momentum=0.9)
    sched = _make(name, opt, **bounds)
    _run(opt, sched, 41)
    state = copy.deepcopy((opt.state_dict(), sched.state_dict()))
    for key, value in bounds.items():
        assert state[1][key] == value
    opt2 = _opt(*LRS, momentum=0.9)
    sched2 = _make(name, opt2)  # made without bounds: they come back with the state
    opt2.load_state_dict(state[0])
    sched2.load_state_dict(state[1])
    for key, value in bounds.items():
        assert getattr(sched2, key) == value
    np.testing.assert_array_equal(_run(opt2, sched2, 40), whole[40:])


def test_a_list_bound_follows_the_number_of_groups() -> None:
    opt = _opt(0.1, 0.2)
    sched = gs.ExponentialLR(opt, gamma=0.5, min_lr=[0.04, 0.01])
    opt.add_param_group({"params": [np.zeros(2)], "lr": 0.3, "initial_lr": 0.3})
    sched.base_lrs.append(0.3)
    with pytest.raises(ValueError, match="min_lr has 2 values but the optimizer has 3 param groups"):
        sched.step()
    assert _lrs(opt) == [0.1, 0.2, 0.3]


# --- lr_curve for every scheduler class --------------------------------------------------------------


def test_lr_curve_of_the_lambda_schedules_is_their_stepped_lr() -> None:
    def decay(t: int) -> float:
        return 0.9**t

    curve = gs.lr_curve(gs.LambdaLR, 5, lr=0.5, lr_lambda=decay)
    np.testing.assert_allclose(curve, [0.5 * 0.9**t for t in range(5)], rtol=1e-15)
    curve = gs.lr_curve(gs.MultiplicativeLR, 4, lr=1.0, lr_lambda=lambda t: 0.5, min_lr=0.3)
    np.testing.assert_array_equal(curve, [1.0, 0.5, 0.3, 0.3])


@pytest.mark.parametrize(
    ("cls", "kwargs", "reason"),
    [
        (gs.ReduceLROnPlateau, {}, "follows a metric"),
        (gs.SequentialLR, {"schedulers": [], "milestones": []}, "scheduler instances"),
        (gs.ChainedScheduler, {"schedulers": []}, "scheduler instances"),
        (gs.AdaptiveLR, {}, "follows the loss"),
        (gs.BoldDriverLR, {}, "follows the loss"),
        (gs.RandomLR, {"low": 0.5, "high": 1.5}, "RandomLR"),
    ],
)
def test_lr_curve_refuses_schedules_without_a_step_driven_curve_and_says_why(
    cls: type, kwargs: dict, reason: str
) -> None:
    with pytest.raises(TypeError, match=reason):
        gs.lr_curve(cls, 5, **kwargs)
