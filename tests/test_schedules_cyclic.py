"""gradkit's cyclic schedules against torch: runs from make_schedule_fixtures.py's main_cyclic."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

import gradkit.schedules as gs
from gradkit.optim import SGD, Adagrad, Adam

FIXTURE = Path(__file__).parent / "fixtures" / "schedules_cyclic.npz"
RTOL = 1e-10
RESUME_AT = 150


def _inv_cycle(x: float) -> float:
    return 1 / x


def _slow_decay(x: float) -> float:
    return 0.99**x


SCALE_FNS = {"inv_cycle": _inv_cycle, "slow_decay": _slow_decay}


def _load() -> tuple[list[dict], dict[str, np.ndarray]]:
    with np.load(FIXTURE) as data:
        return json.loads(str(data["meta"])), {k: data[k] for k in data.files if k != "meta"}


META, ARRAYS = _load()
RUNS = [pytest.param(run, id=run["key"]) for run in META]


def _kwargs(run: dict) -> dict:
    kwargs = dict(run["kwargs"])
    if "scale_fn" in kwargs:
        kwargs["scale_fn"] = SCALE_FNS[kwargs["scale_fn"]]
    return kwargs


def _optimizer(run: dict, initial: bool = True):
    groups = [{"params": [np.zeros(2)], "lr": lr} for lr in run["lrs"]]
    if initial:
        for group, lr in zip(groups, run.get("initial_lrs", [])):
            group["initial_lr"] = lr
    if run["opt"] == "adam":
        return Adam(groups)
    return SGD(groups, momentum=0.9 if run["opt"] == "sgd_momentum" else 0)


def _scheduler(run: dict, opt, last_epoch: int = -1) -> gs.LRScheduler:
    return getattr(gs, run["name"])(opt, **_kwargs(run), last_epoch=last_epoch)


def _momenta(opt) -> list[float]:
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _step(opt, sched, epoch=None) -> None:
    opt.step([np.zeros(2) for _ in opt.param_groups])
    if epoch is None:
        sched.step()
    else:
        sched.step(epoch)


def _check(opt, sched, want_lr, want_m, where: str) -> None:
    got = sched.get_last_lr()
    np.testing.assert_allclose(got, want_lr, rtol=RTOL, atol=0, err_msg=where)
    assert [g["lr"] for g in opt.param_groups] == got, where
    np.testing.assert_allclose(_momenta(opt), want_m, rtol=RTOL, atol=0, err_msg=f"momentum {where}")


@pytest.mark.parametrize("run", RUNS)
def test_run_matches_torch(run: dict) -> None:
    want, want_m = ARRAYS[f"{run['key']}_lrs"], ARRAYS[f"{run['key']}_momenta"]
    opt = _optimizer(run)
    sched = _scheduler(run, opt, run.get("last_epoch", -1))
    epochs = run.get("epochs") or [None] * (len(want) - 1)
    _check(opt, sched, want[0], want_m[0], "after construction")
    for step in range(1, len(want)):
        _step(opt, sched, epochs[step - 1])
        _check(opt, sched, want[step], want_m[step], f"after step {step}")


@pytest.mark.parametrize("run", [r for r in RUNS if r.values[0].get("resume")])
def test_resume_from_state_dicts_matches_torch(run: dict) -> None:
    want, want_m = ARRAYS[f"{run['key']}_resume"], ARRAYS[f"{run['key']}_resume_momenta"]
    opt = _optimizer(run)
    sched = _scheduler(run, opt)
    for _ in range(RESUME_AT):
        _step(opt, sched)
    saved = copy.deepcopy((opt.state_dict(), sched.state_dict()))
    assert "optimizer" not in saved[1]
    opt2 = _optimizer(run, initial=False)
    sched2 = _scheduler(run, opt2)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    _check(opt2, sched2, want[0], want_m[0], "after loading")
    for step in range(1, len(want)):
        _step(opt2, sched2)
        _check(opt2, sched2, want[step], want_m[step], f"after step {RESUME_AT + step}")


@pytest.mark.parametrize(
    "run",
    [
        r
        for r in RUNS
        if "last_epoch" not in r.values[0]
        and "epochs" not in r.values[0]
        and not any(isinstance(v, list) for v in r.values[0]["kwargs"].values())
    ],
)
def test_lr_curve_is_the_fixture_trajectory(run: dict) -> None:
    want = ARRAYS[f"{run['key']}_lrs"][:, 0]
    got = gs.lr_curve(getattr(gs, run["name"]), len(want), lr=run["lrs"][0], **_kwargs(run))
    assert got.dtype == np.float64 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


def test_one_cycle_raises_torchs_error_past_total_steps() -> None:
    opt = SGD([np.zeros(1)], lr=0.1, momentum=0.9)
    sched = gs.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError) as info:
        sched.step()
    assert str(info.value) == "Tried to step 4 times. The specified number of total steps is 3"
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        gs.lr_curve(gs.OneCycleLR, 5, max_lr=0.1, total_steps=3)
    assert gs.lr_curve(gs.OneCycleLR, 4, max_lr=0.1, total_steps=3).shape == (4,)


def test_cyclic_sets_group_lr_and_momentum_levels_as_torch() -> None:
    opt = Adam([{"params": [np.zeros(1)], "lr": 0.5}, {"params": [np.zeros(1)], "lr": 0.5}])
    sched = gs.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4, base_momentum=0.8)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.02]
    assert [g["betas"] for g in opt.param_groups] == [(0.9, 0.999), (0.9, 0.999)]
    assert [g["base_momentum"] for g in opt.param_groups] == [0.8, 0.8]
    assert sched.base_lrs == [0.01, 0.02] and sched.max_lrs == [0.1, 0.1]
    assert sched.scale_mode == "cycle"


def test_cyclic_state_dict_keeps_a_callable_objects_state_but_not_a_function() -> None:
    class Scale:
        def __init__(self) -> None:
            self.k = 2.0

        def __call__(self, x: float) -> float:
            return 1 / (self.k * x)

    opt = SGD([np.zeros(1)], lr=0.1, momentum=0.9)
    fn = Scale()
    sched = gs.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=fn)
    assert sched.state_dict()["_scale_fn_custom"] == {"k": 2.0}
    fn.k = 3.0
    state = sched.state_dict()
    fn.k = 5.0
    sched.load_state_dict(state)
    assert fn.k == 3.0
    sched2 = gs.CyclicLR(opt, base_lr=0.01, max_lr=0.1, scale_fn=_inv_cycle)
    assert sched2.state_dict()["_scale_fn_custom"] is None


def test_warm_restarts_state_and_step_with_an_epoch() -> None:
    opt = SGD([np.zeros(1)], lr=0.1)
    sched = gs.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
    assert (sched.T_cur, sched.T_i, sched.last_epoch) == (0, 3, 0)
    for _ in range(4):
        sched.step()
    assert (sched.T_cur, sched.T_i, sched.last_epoch) == (1, 6, 4)
    assert isinstance(sched.T_cur, int)
    sched.step(10)  # n = 2 restarts: T_cur = 10 - 3 * (2**2 - 1) = 1.0 (a float, as in torch) of T_i = 12
    assert (sched.T_cur, sched.T_i, sched.last_epoch) == (1.0, 12, 10)
    sched.step(2.5)
    assert (sched.T_cur, sched.T_i, sched.last_epoch) == (2.5, 3, 2)
    with pytest.raises(ValueError, match=r"^Expected non-negative epoch, but got -1$"):
        sched.step(-1)


def _adagrad():
    return Adagrad([np.zeros(1)], lr=0.1)


def _sgd():
    return SGD([np.zeros(1)], lr=0.1, momentum=0.9)


MOMENTUM_ERROR = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"


@pytest.mark.parametrize(
    ("make", "cls", "kwargs", "message"),
    [
        (_sgd, gs.CosineAnnealingWarmRestarts, {"T_0": 0}, "Expected positive integer T_0, but got 0"),
        (_sgd, gs.CosineAnnealingWarmRestarts, {"T_0": -3}, "Expected positive integer T_0, but got -3"),
        (_sgd, gs.CosineAnnealingWarmRestarts, {"T_0": 2.5}, "Expected positive integer T_0, but got 2.5"),
        (
            _sgd,
            gs.CosineAnnealingWarmRestarts,
            {"T_0": 5, "T_mult": 0},
            "Expected integer T_mult >= 1, but got 0",
        ),
        (
            _sgd,
            gs.CosineAnnealingWarmRestarts,
            {"T_0": 5, "T_mult": 1.5},
            "Expected integer T_mult >= 1, but got 1.5",
        ),
        (
            _sgd,
            gs.CosineAnnealingWarmRestarts,
            {"T_0": 5, "eta_min": "0"},
            "Expected float or int eta_min, but got 0 of type <class 'str'>",
        ),
        (
            _sgd,
            gs.CyclicLR,
            {"base_lr": 0.01, "max_lr": 0.1, "mode": "square"},
            "mode is invalid and scale_fn is None",
        ),
        (_adagrad, gs.CyclicLR, {"base_lr": 0.01, "max_lr": 0.1}, MOMENTUM_ERROR),
        (
            _sgd,
            gs.CyclicLR,
            {"base_lr": [0.01, 0.02], "max_lr": 0.1},
            "base_lr must have the same length as optimizer.param_groups. "
            "base_lr has 2 values, param_groups has 1.",
        ),
        (
            _sgd,
            gs.OneCycleLR,
            {"max_lr": 0.1},
            "You must define either total_steps OR (epochs AND steps_per_epoch)",
        ),
        (
            _sgd,
            gs.OneCycleLR,
            {"max_lr": 0.1, "epochs": 3},
            "You must define either total_steps OR (epochs AND steps_per_epoch)",
        ),
        (
            _sgd,
            gs.OneCycleLR,
            {"max_lr": 0.1, "total_steps": 0},
            "Expected positive integer total_steps, but got 0",
        ),
        (
            _sgd,
            gs.OneCycleLR,
            {"max_lr": 0.1, "total_steps": 10.0},
            "Expected positive integer total_steps, but got 10.0",
        ),
        (
            _sgd,
            gs.OneCycleLR,
            {"max_lr": 0.1, "epochs": 0, "steps_per_epoch": 3},
            "Expected positive integer epochs, but got 0",
        ),
        (
            _sgd,
            gs.OneCycleLR,
            {"max_lr": 0.1, "epochs": 2, "steps_per_epoch": -1},
            "Expected positive integer steps_per_epoch, but got -1",
        ),
        (
            _sgd,
            gs.OneCycleLR,
            {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5},
            "Expected float between 0 and 1 pct_start, but got 1.5",
        ),
        (
            _sgd,
            gs.OneCycleLR,
            {"max_lr": 0.1, "total_steps": 10, "pct_start": 1},
            "Expected float between 0 and 1 pct_start, but got 1",
        ),
        (
            _sgd,
            gs.OneCycleLR,
            {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "exp"},
            "anneal_strategy must be one of 'cos' or 'linear', instead got exp",
        ),
        (_adagrad, gs.OneCycleLR, {"max_lr": 0.1, "total_steps": 10}, MOMENTUM_ERROR),
    ],
)
def test_bad_arguments_raise_torchs_message_and_leave_the_optimizer_alone(make, cls, kwargs, message) -> None:
    opt = make()
    before = copy.deepcopy({k: v for k, v in opt.param_groups[0].items() if k != "params"})
    with pytest.raises(ValueError) as info:
        cls(opt, **kwargs)
    assert str(info.value) == message
    assert {k: v for k, v in opt.param_groups[0].items() if k != "params"} == before
    if make is _sgd:
        with pytest.raises(ValueError) as info:
            gs.lr_curve(cls, 3, **kwargs)
        assert str(info.value) == message


def test_cycle_momentum_off_needs_no_momentum() -> None:
    opt = _adagrad()
    sched = gs.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False)
    sched.step()
    assert sched.get_last_lr() == [pytest.approx(0.055)]
    gs.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)
