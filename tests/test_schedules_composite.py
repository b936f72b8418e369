"""LambdaLR, MultiplicativeLR, SequentialLR, ChainedScheduler and ReduceLROnPlateau against torch.

Runs from the composite block of tests/fixtures/make_schedule_fixtures.py (schedules_composite.npz).
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

import gradkit.schedules as gs
from gradkit.optim import SGD

FIXTURE = Path(__file__).parent / "fixtures" / "schedules_composite.npz"
RTOL = 1e-10
RESUME_AT = 150


def _load() -> tuple[list[dict], dict[str, str], dict[str, np.ndarray]]:
    with np.load(FIXTURE) as data:
        arrays = {k: data[k] for k in data.files if k not in ("meta", "lambdas")}
        return json.loads(str(data["meta"])), json.loads(str(data["lambdas"])), arrays


META, LAMBDAS, ARRAYS = _load()
METRICS = ARRAYS["plateau_metrics"]
COMPOSITE = [pytest.param(run, id=run["key"]) for run in META if run["name"] != "ReduceLROnPlateau"]
PLATEAU = [pytest.param(run, id=run["key"]) for run in META if run["name"] == "ReduceLROnPlateau"]


def _lambda(key: str):  # noqa: ANN202
    return eval(LAMBDAS[key], {"math": math})  # noqa: S307 - the generator's recorded code


def _optimizer(lrs: list[float]) -> SGD:
    return SGD([{"params": [np.zeros(2)], "lr": lr} for lr in lrs])


def _build(run: dict, opt: SGD) -> gs.LRScheduler:
    name = run["name"]
    if name in ("LambdaLR", "MultiplicativeLR"):
        spec = run["lr_lambda"]
        fn = [_lambda(k) for k in spec] if isinstance(spec, list) else _lambda(spec)
        return getattr(gs, name)(opt, lr_lambda=fn)
    subs = [getattr(gs, sub)(opt, **kwargs) for sub, kwargs in run["schedulers"]]
    if name == "SequentialLR":
        return gs.SequentialLR(opt, schedulers=subs, milestones=run["milestones"])
    return gs.ChainedScheduler(subs, optimizer=opt if run.get("pass_optimizer") else None)


def _check(opt: SGD, sched: gs.LRScheduler, want: np.ndarray, where: str) -> None:
    got = sched.get_last_lr()
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=where)
    assert [g["lr"] for g in opt.param_groups] == list(got), where


def _zero_step(opt: SGD) -> None:
    opt.step([np.zeros(2) for _ in opt.param_groups])


@pytest.mark.parametrize("run", COMPOSITE)
def test_composite_matches_torch(run: dict) -> None:
    want = ARRAYS[f"{run['key']}_lrs"]
    opt = _optimizer(run["lrs"])
    sched = _build(run, opt)
    _check(opt, sched, want[0], "after construction")
    for step in range(1, len(want)):
        _zero_step(opt)
        sched.step()
        _check(opt, sched, want[step], f"after step {step}")


@pytest.mark.parametrize("run", [r for r in COMPOSITE if r.values[0].get("resume")])
def test_composite_resume_from_state_dicts_matches_torch(run: dict) -> None:
    want = ARRAYS[f"{run['key']}_resume"]
    opt = _optimizer(run["lrs"])
    sched = _build(run, opt)
    for _ in range(RESUME_AT):
        _zero_step(opt)
        sched.step()
    saved = copy.deepcopy((opt.state_dict(), sched.state_dict()))
    assert "optimizer" not in saved[1]
    opt2 = _optimizer(run["lrs"])
    sched2 = _build(run, opt2)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    _check(opt2, sched2, want[0], "after loading")
    for step in range(1, len(want)):
        _zero_step(opt2)
        sched2.step()
        _check(opt2, sched2, want[step], f"after step {RESUME_AT + step}")


def _plateau_state(sched: gs.ReduceLROnPlateau) -> list[float]:
    return [sched.best, sched.num_bad_epochs, sched.cooldown_counter, sched.last_epoch]


@pytest.mark.parametrize("run", PLATEAU)
def test_plateau_matches_torch(run: dict) -> None:
    want, states = ARRAYS[f"{run['key']}_lrs"], ARRAYS[f"{run['key']}_state"]
    metrics = run.get("metric_sign", 1.0) * METRICS
    opt = _optimizer(run["lrs"])
    sched = gs.ReduceLROnPlateau(opt, **run["kwargs"])
    _check(opt, sched, want[0], "after construction")
    assert _plateau_state(sched) == list(states[0])
    for step in range(1, len(want)):
        _zero_step(opt)
        sched.step(float(metrics[step - 1]))
        _check(opt, sched, want[step], f"after step {step}")
        assert _plateau_state(sched) == list(states[step]), f"state after step {step}"


@pytest.mark.parametrize("run", [r for r in PLATEAU if r.values[0].get("resume")])
def test_plateau_resume_from_state_dicts_matches_torch(run: dict) -> None:
    want = ARRAYS[f"{run['key']}_resume"]
    metrics = run.get("metric_sign", 1.0) * METRICS
    opt = _optimizer(run["lrs"])
    sched = gs.ReduceLROnPlateau(opt, **run["kwargs"])
    for step in range(1, RESUME_AT + 1):
        _zero_step(opt)
        sched.step(metrics[step - 1])
    saved = copy.deepcopy((opt.state_dict(), sched.state_dict()))
    assert "optimizer" not in saved[1]
    state_keys = {"best", "num_bad_epochs", "cooldown_counter", "last_epoch", "min_lrs", "mode_worse"}
    assert state_keys <= set(saved[1])
    opt2 = _optimizer(run["lrs"])
    sched2 = gs.ReduceLROnPlateau(opt2, **run["kwargs"])
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    _check(opt2, sched2, want[0], "after loading")
    for step in range(1, len(want)):
        _zero_step(opt2)
        sched2.step(np.float64(metrics[RESUME_AT + step - 1]))
        _check(opt2, sched2, want[step], f"after step {RESUME_AT + step}")


# --- Arguments and messages (torch's) ---------------------------------------------------------


def test_plateau_bad_arguments_raise_torch_messages() -> None:
    opt = _optimizer([0.1, 0.01])
    with pytest.raises(ValueError, match=r"^Factor should be < 1\.0\.$"):
        gs.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match=r"^mode maximum is unknown!$"):
        gs.ReduceLROnPlateau(opt, mode="maximum")
    with pytest.raises(ValueError, match=r"^threshold mode relative is unknown!$"):
        gs.ReduceLROnPlateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match=r"^expected 2 min_lrs, got 3$"):
        gs.ReduceLROnPlateau(opt, min_lr=[0.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        gs.ReduceLROnPlateau(object())


def test_plateau_step_needs_a_metric() -> None:
    sched = gs.ReduceLROnPlateau(_optimizer([0.1]))
    with pytest.raises(TypeError, match="metrics"):
        sched.step()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        sched.step(None)  # type: ignore[arg-type]
    assert sched.last_epoch == 0 and sched.num_bad_epochs == 0


def test_plateau_epoch_argument_warns_and_sets_last_epoch() -> None:
    sched = gs.ReduceLROnPlateau(_optimizer([0.1]))
    with pytest.warns(UserWarning, match="The epoch parameter"):
        sched.step(1.0, epoch=7)
    assert sched.last_epoch == 7 and sched.best == 1.0


def test_plateau_new_param_group_with_list_min_lr_raises_torch_error() -> None:
    opt = _optimizer([0.1])
    sched = gs.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0])
    opt.add_param_group({"params": [np.zeros(2)], "lr": 0.1})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match="differs from when `ReduceLROnPlateau` was initialized"):
        sched.step(2.0)


def test_lambda_lists_must_match_groups() -> None:
    opt = _optimizer([0.1, 0.01])
    for cls in (gs.LambdaLR, gs.MultiplicativeLR):
        with pytest.raises(ValueError, match=r"^Expected 2 lr_lambdas, but got 1$"):
            cls(opt, lr_lambda=[lambda e: 1.0])
    with pytest.raises(TypeError, match=r"^lr_lambda should be a function, but got float$"):
        gs.MultiplicativeLR(opt, lr_lambda=0.5)  # type: ignore[arg-type]


def test_lambda_state_dict_saves_callable_objects_not_functions() -> None:
    class Decay:
        def __init__(self) -> None:
            self.rate = 0.9

        def __call__(self, epoch: int) -> float:
            return self.rate**epoch

    opt = _optimizer([0.1, 0.01])
    sched = gs.LambdaLR(opt, lr_lambda=[Decay(), lambda e: 1.0])
    sched.lr_lambdas[0].rate = 0.5
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    opt2 = _optimizer([0.1, 0.01])
    sched2 = gs.LambdaLR(opt2, lr_lambda=[Decay(), lambda e: 1.0])
    sched2.load_state_dict(state)
    assert sched2.lr_lambdas[0].rate == 0.5
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]  # the caller's dict is left as it was


def test_sequential_checks_raise_torch_messages() -> None:
    opt, other = _optimizer([0.1]), _optimizer([0.1])
    a, b = gs.ConstantLR(opt), gs.ExponentialLR(opt, gamma=0.9)
    with pytest.raises(
        ValueError, match="number of schedulers 2 and the number of milestones to be equal to 2"
    ):
        gs.SequentialLR(opt, schedulers=[a, b], milestones=[3, 5])
    with pytest.raises(
        ValueError, match="^SequentialLR expects at least one scheduler, but got no scheduler.$"
    ):
        gs.SequentialLR(opt, schedulers=[], milestones=[])
    foreign = gs.ExponentialLR(other, gamma=0.9)
    with pytest.raises(
        ValueError, match="SequentialLR expects all schedulers to belong to the same optimizer"
    ):
        gs.SequentialLR(opt, schedulers=[a, foreign], milestones=[3])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        gs.SequentialLR(opt, schedulers=[a, gs.ReduceLROnPlateau(opt)], milestones=[3])
    with pytest.raises(TypeError, match="at index 1 should have `optimizer` as its attribute"):
        gs.SequentialLR(opt, schedulers=[a, object()], milestones=[3])


def test_chained_checks_raise_torch_messages() -> None:
    opt, other = _optimizer([0.1]), _optimizer([0.1])
    a = gs.ConstantLR(opt)
    with pytest.raises(ValueError, match="at least one scheduler to be chained"):
        gs.ChainedScheduler([])
    with pytest.raises(
        ValueError, match="ChainedScheduler expects all schedulers to belong to the same optimizer"
    ):
        gs.ChainedScheduler([a, gs.ExponentialLR(other, gamma=0.9)])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        gs.ChainedScheduler([a, gs.ReduceLROnPlateau(opt)])


def test_sequential_milestone_step_does_not_warn_or_count() -> None:
    opt = _optimizer([1.0])
    decay = gs.ExponentialLR(opt, gamma=0.5)
    sched = gs.SequentialLR(
        opt, schedulers=[gs.ConstantLR(opt, factor=0.1, total_iters=2), decay], milestones=[1]
    )
    count = decay._step_count
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _zero_step(opt)
        sched.step()
    assert decay._step_count == count and decay.last_epoch == 0
    assert sched.get_last_lr() == [1.0]
