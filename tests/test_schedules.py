"""gradkit.schedules against torch.optim.lr_scheduler: runs from tests/fixtures/make_schedule_fixtures.py."""

from __future__ import annotations

import copy
import inspect
import json
from pathlib import Path

import numpy as np
import pytest

import gradkit.schedules as gs
from gradkit import _core
from gradkit.optim import SGD

FIXTURE = Path(__file__).parent / "fixtures" / "schedules.npz"
RTOL = 1e-10
RESUME_AT = 150


def _load() -> tuple[list[dict], dict[str, np.ndarray]]:
    with np.load(FIXTURE) as data:
        return json.loads(str(data["meta"])), {k: data[k] for k in data.files if k != "meta"}


META, ARRAYS = _load()
RUNS = [pytest.param(run, id=run["key"]) for run in META]
NAMES = sorted({run["name"] for run in META})


def _optimizer(run: dict) -> SGD:
    groups = [{"params": [np.zeros(2)], "lr": lr} for lr in run["lrs"]]
    for group, initial in zip(groups, run.get("initial_lrs", [])):
        group["initial_lr"] = initial
    return SGD(groups)


def _scheduler(run: dict, opt: SGD) -> gs.LRScheduler:
    return getattr(gs, run["name"])(opt, **run["kwargs"], last_epoch=run.get("last_epoch", -1))


def _step(opt: SGD, sched: gs.LRScheduler) -> None:
    opt.step([np.zeros(2) for _ in opt.param_groups])
    sched.step()


def _check(opt: SGD, sched: gs.LRScheduler, want: np.ndarray, where: str) -> None:
    got = sched.get_last_lr()
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=where)
    assert [g["lr"] for g in opt.param_groups] == got, where


@pytest.mark.parametrize("run", RUNS)
def test_run_matches_torch(run: dict) -> None:
    want = ARRAYS[f"{run['key']}_lrs"]
    opt = _optimizer(run)
    sched = _scheduler(run, opt)
    _check(opt, sched, want[0], "after construction")
    for step in range(1, len(want)):
        _step(opt, sched)
        _check(opt, sched, want[step], f"after step {step}")
    assert sched.last_epoch == run.get("last_epoch", -1) + len(want)


@pytest.mark.parametrize("run", [r for r in RUNS if r.values[0].get("resume")])
def test_resume_from_state_dicts_matches_torch(run: dict) -> None:
    want = ARRAYS[f"{run['key']}_resume"]
    opt = _optimizer(run)
    sched = _scheduler(run, opt)
    for _ in range(RESUME_AT):
        _step(opt, sched)
    saved = copy.deepcopy((opt.state_dict(), sched.state_dict()))
    assert "optimizer" not in saved[1]
    opt2 = _optimizer({"lrs": run["lrs"]})
    sched2 = _scheduler({**run, "last_epoch": -1}, opt2)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    _check(opt2, sched2, want[0], "after loading")
    for step in range(1, len(want)):
        _step(opt2, sched2)
        _check(opt2, sched2, want[step], f"after step {RESUME_AT + step}")


@pytest.mark.parametrize(
    "run", [r for r in RUNS if len(r.values[0]["lrs"]) == 1 and "last_epoch" not in r.values[0]]
)
def test_lr_curve_is_the_fixture_trajectory(run: dict) -> None:
    want = ARRAYS[f"{run['key']}_lrs"][:, 0]
    got = gs.lr_curve(getattr(gs, run["name"]), len(want), lr=run["lrs"][0], **run["kwargs"])
    assert got.dtype == np.float64 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


@pytest.mark.parametrize("run", RUNS)
def test_core_closed_form_matches_torch(run: dict) -> None:
    want = ARRAYS[f"{run['key']}_closed"]
    cls = getattr(gs, run["name"])
    closed_form = cls._core_schedule.closed_form
    defaults = inspect.signature(cls.__init__).parameters
    args = cls._to_core({n: run["kwargs"].get(n, defaults[n].default) for n in cls._arg_names})
    bases = run.get("initial_lrs", run["lrs"])
    first = run.get("last_epoch", -1) + 1
    for step in range(len(want)):
        got = [closed_form(args, first + step, base) for base in bases]
        np.testing.assert_allclose(got, want[step], rtol=RTOL, atol=0, err_msg=f"step {step}")


@pytest.mark.parametrize("run", [r for r in RUNS if "last_epoch" not in r.values[0]])
def test_step_with_an_epoch_uses_torchs_closed_form(run: dict) -> None:
    want = ARRAYS[f"{run['key']}_closed"]
    opt = _optimizer(run)
    sched = _scheduler(run, opt)
    for epoch in (5, 200, 3, 300, 0):
        with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
            sched.step(epoch)
        assert sched.last_epoch == epoch
        _check(opt, sched, want[epoch], f"after step({epoch})")


def test_initial_lr_and_base_lrs_per_group() -> None:
    opt = SGD([{"params": [np.zeros(1)], "lr": 0.1}, {"params": [np.zeros(1)], "lr": 0.02}])
    sched = gs.ExponentialLR(opt, gamma=0.5)
    assert sched.base_lrs == [0.1, 0.02]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]
    assert sched.last_epoch == 0
    sched.step()
    assert sched.get_last_lr() == [0.05, 0.01]
    assert sched.base_lrs == [0.1, 0.02]


def test_resuming_with_last_epoch_needs_initial_lr() -> None:
    opt = SGD([np.zeros(1)], lr=0.1)
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\]"):
        gs.StepLR(opt, step_size=3, last_epoch=4)
    assert "initial_lr" not in opt.param_groups[0]


def test_state_dict_has_every_attribute_but_the_optimizer() -> None:
    opt = SGD([np.zeros(1)], lr=0.1)
    sched = gs.MultiStepLR(opt, milestones=[3, 1, 3], gamma=0.5)
    state = sched.state_dict()
    assert "optimizer" not in state
    assert state["milestones"] == {3: 2, 1: 1}  # torch keeps a Counter
    for key in ("gamma", "base_lrs", "last_epoch", "_step_count", "_last_lr"):
        assert key in state


def test_changes_to_lr_between_steps_carry_over_as_in_torch() -> None:
    opt = SGD([np.zeros(1)], lr=1.0)
    sched = gs.StepLR(opt, step_size=2, gamma=0.5)
    opt.param_groups[0]["lr"] = 0.4
    sched.step()
    sched.step()
    assert sched.get_last_lr() == [0.2]


def test_not_an_optimizer_is_refused() -> None:
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        gs.StepLR([np.zeros(1)], step_size=1)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (gs.ConstantLR, {"factor": 1.5}, "Constant multiplicative factor expected to be between 0 and 1."),
        (gs.ConstantLR, {"factor": -0.5}, "Constant multiplicative factor expected to be between 0 and 1."),
        (
            gs.LinearLR,
            {"start_factor": 0.0},
            "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.",
        ),
        (
            gs.LinearLR,
            {"start_factor": 1.5},
            "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.",
        ),
        (gs.LinearLR, {"end_factor": 1.5}, "Ending multiplicative factor expected to be between 0 and 1."),
        (gs.LinearLR, {"end_factor": -0.1}, "Ending multiplicative factor expected to be between 0 and 1."),
    ],
)
def test_bad_arguments_raise_torchs_message_and_leave_the_optimizer_alone(cls, kwargs, message) -> None:
    opt = SGD([np.zeros(1)], lr=0.1)
    with pytest.raises(ValueError) as info:
        cls(opt, **kwargs)
    assert str(info.value) == message
    assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]
    with pytest.raises(ValueError, match="multiplicative factor"):
        gs.lr_curve(cls, 3, **kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (gs.StepLR, {"step_size": 2, "gamma": -0.1}, "gamma must be a non-negative number, got -0.1"),
        (gs.ExponentialLR, {"gamma": -0.5}, "gamma must be a non-negative number, got -0.5"),
        (gs.ExponentialLR, {"gamma": float("nan")}, "gamma must be a non-negative number, got nan"),
        (gs.MultiStepLR, {"milestones": [2], "gamma": -1.0}, "gamma must be a non-negative number, got -1.0"),
        (gs.MultiStepLR, {"milestones": []}, "milestones must not be empty"),
    ],
)
def test_arguments_torch_lets_through_to_a_later_failure_are_refused_at_once(cls, kwargs, message) -> None:
    # torch accepts these; a negative rate would then be refused by the optimizer's next step, and an
    # empty milestone list is a constant rate by mistake. gradkit says which argument is wrong.
    opt = SGD([np.zeros(1)], lr=0.1)
    with pytest.raises(ValueError) as info:
        cls(opt, **kwargs)
    assert str(info.value) == message
    assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]
    with pytest.raises(ValueError, match=message[:10]):
        gs.lr_curve(cls, 3, **kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (gs.StepLR, {"step_size": 0}, "integer modulo by zero"),
        (gs.CosineAnnealingLR, {"T_max": 0}, "integer modulo by zero"),
    ],
)
def test_zero_periods_fail_at_the_first_step_as_in_torch(cls, kwargs, message) -> None:
    opt = SGD([np.zeros(1)], lr=0.1)
    sched = cls(opt, **kwargs)  # torch does not check these
    assert sched.get_last_lr() == [0.1]
    with pytest.raises(ZeroDivisionError, match=message):
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.1


def test_lr_curve_arguments() -> None:
    np.testing.assert_array_equal(gs.lr_curve(gs.ExponentialLR, 3, lr=1.0, gamma=0.5), [1.0, 0.5, 0.25])
    assert gs.lr_curve(gs.StepLR, 0, step_size=1).shape == (0,)
    with pytest.raises(TypeError, match="step_size"):
        gs.lr_curve(gs.StepLR, 3)
    with pytest.raises(TypeError, match="last_epoch"):
        gs.lr_curve(gs.StepLR, 3, step_size=1, last_epoch=4)
    with pytest.raises(TypeError, match="scheduler class"):
        gs.lr_curve(SGD, 3)
    with pytest.raises(ValueError, match="steps must be non-negative"):
        gs.lr_curve(gs.StepLR, -1, step_size=1)


@pytest.mark.parametrize("name", NAMES)
def test_every_schedule_is_exported_with_a_curve(name: str) -> None:
    assert name in gs.__all__
    core_schedule = getattr(gs, name)._core_schedule
    assert core_schedule is getattr(_core.schedules, name)
    for function in ("check", "next_lr", "closed_form", "curve"):
        assert hasattr(core_schedule, function)
