"""Bugs tests/test_fuzz.py found, one test each: a refusal must leave everything as it was."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit
from gradkit.optim import SGD
from gradkit.schedules import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
)


def test_a_schedule_step_that_raises_leaves_last_epoch() -> None:
    # ConstantLR(factor=0) divides by its factor when it ends, as torch's does (ZeroDivisionError)
    opt = SGD([np.zeros(2)], lr=0.1)
    sched = ConstantLR(opt, factor=0.0, total_iters=2)
    sched.step()
    before = (sched.last_epoch, sched._step_count, opt.param_groups[0]["lr"])
    with pytest.raises(ZeroDivisionError):
        sched.step()
    assert (sched.last_epoch, sched._step_count, opt.param_groups[0]["lr"]) == before


def test_a_lambda_that_raises_mid_run_leaves_last_epoch() -> None:
    opt = SGD([np.zeros(2)], lr=0.1)
    sched = LambdaLR(opt, lambda e: 1.0 if e < 1 else 1 / 0)
    with pytest.raises(ZeroDivisionError):
        sched.step()
    assert sched.last_epoch == 0 and opt.param_groups[0]["lr"] == 0.1
    sched.lr_lambdas = [lambda e: 0.5]
    sched.step()
    assert sched.last_epoch == 1 and opt.param_groups[0]["lr"] == 0.05


def test_a_lambda_that_raises_in_the_constructor_leaves_the_optimizer() -> None:
    opt = SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ZeroDivisionError):
        LambdaLR(opt, lambda e: 1 / 0)
    assert "initial_lr" not in opt.param_groups[0]
    LambdaLR(opt, lambda e: 0.5, last_epoch=-1)  # the optimizer is still usable
    assert opt.param_groups[0]["lr"] == 0.05


@pytest.mark.parametrize("cls", [gradkit.MLPClassifier, gradkit.MLPRegressor])
def test_an_empty_validation_split_is_refused_before_any_weight(cls) -> None:
    X, y = np.zeros((1, 3)), np.array([0])
    est = cls(early_stopping=True, validation_fraction=0.0, max_iter=1)
    with pytest.raises(ValueError, match="test_size=0.0"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


def test_partial_fit_with_early_stopping_is_refused_before_any_weight() -> None:
    est = gradkit.MLPClassifier(early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        est.partial_fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]), classes=[0, 1])
    assert not hasattr(est, "coefs_")


def test_clip_grad_value_with_a_nan_bound_gives_nan_as_torch() -> None:
    # torch's clamp_min_/clamp_max_ propagate a NaN bound; the core kept the gradient unchanged
    g = np.array([-3.0, 0.5, 2.0])
    gradkit.optim.clip_grad_value_([g], float("nan"))
    assert np.isnan(g).all()


def test_an_lbfgs_state_with_a_nan_loss_loads_back() -> None:
    # a NaN loss (torch keeps it as prev_loss) made the optimizer refuse its own state
    x = np.array([np.nan])
    opt = gradkit.optim.LBFGS([x], max_iter=2)
    opt.step(lambda: (float(x[0]), [x.copy()]))
    state = opt.state_dict()
    assert np.isnan(state["state"][0]["prev_loss"])
    twin = gradkit.optim.LBFGS([np.array([np.nan])], max_iter=2)
    twin.load_state_dict(state)
    assert np.isnan(twin.state_dict()["state"][0]["prev_loss"])
    with pytest.raises(ValueError, match="n_iter"):  # a NaN count is still refused
        twin.load_state_dict({**state, "state": {0: {**state["state"][0], "n_iter": float("nan")}}})


def test_chained_scheduler_of_a_non_scheduler_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="should have `optimizer`"):
        ChainedScheduler([object()])


@pytest.mark.parametrize("milestones", [["a"], [None]])
def test_sequential_lr_refusing_its_milestones_leaves_everything(milestones: list) -> None:
    # torch compares them only after resetting the lrs and undoing the sub-schedulers' steps
    opt = SGD([np.zeros(2)], lr=0.1)
    subs = [ConstantLR(opt, factor=0.5, total_iters=2), ExponentialLR(opt, gamma=0.9)]
    groups, states = [dict(g) for g in opt.param_groups], [s.state_dict() for s in subs]
    with pytest.raises(TypeError, match="milestones"):
        SequentialLR(opt, subs, milestones=milestones)
    assert [dict(g) for g in opt.param_groups] == groups
    assert [s.state_dict() for s in subs] == states


def test_sequential_lr_with_a_nan_last_epoch_is_refused() -> None:
    opt = SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="last_epoch"):
        SequentialLR(opt, [ExponentialLR(opt, gamma=0.9)], milestones=[], last_epoch=float("nan"))


@pytest.mark.parametrize("composite", ["SequentialLR", "ChainedScheduler"])
def test_a_composite_step_that_raises_midway_leaves_everything(composite: str) -> None:
    # the first sub-scheduler had stepped (and SequentialLR counted the epoch) when the next one raised
    opt = SGD([np.zeros(2)], lr=0.1)
    first = ExponentialLR(opt, gamma=0.5)
    failing = LambdaLR(opt, lambda e: 1.0 if e < 1 else 1 / 0)
    if composite == "SequentialLR":
        sched = SequentialLR(opt, [first, failing], milestones=[1])
        sched.step()  # the milestone: LambdaLR starts at its epoch 0
    else:
        sched = ChainedScheduler([first, failing])
    before = (sched.state_dict(), [dict(g) for g in opt.param_groups])
    with pytest.raises(ZeroDivisionError):
        sched.step()
    assert (sched.state_dict(), [dict(g) for g in opt.param_groups]) == before


def test_one_cycle_lr_past_its_total_steps_refuses_without_counting() -> None:
    # torch's ValueError came after last_epoch and _step_count had advanced
    opt = SGD([np.zeros(2)], lr=0.1, momentum=0.5)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=1)
    sched.step()
    before = (sched.state_dict(), [dict(g) for g in opt.param_groups])
    with pytest.raises(ValueError, match="Tried to step 2 times"):
        sched.step()
    assert (sched.state_dict(), [dict(g) for g in opt.param_groups]) == before


def test_cyclic_lr_with_a_nan_step_size_is_refused_as_torch() -> None:
    # accepted, with a NaN cycle length its own state_dict could not load back; torch fails at its first step
    opt = SGD([np.zeros(2)], lr=0.1, momentum=0.5)
    with pytest.raises(ValueError, match="NaN"):
        CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_down=float("nan"))
    assert "initial_lr" not in opt.param_groups[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: CyclicLR(opt, base_lr=float("nan"), max_lr=0.1),
        lambda opt: CyclicLR(opt, base_lr=0.01, max_lr=float("nan")),
        lambda opt: OneCycleLR(opt, max_lr=float("nan"), total_steps=3),
    ],
)
def test_a_cyclic_schedule_with_a_nan_rate_is_refused(make) -> None:
    # accepted, with a base_lrs/max_lrs of NaN its own state_dict could not load back
    opt = SGD([np.zeros(2)], lr=0.1, momentum=0.5)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        make(opt)
    assert "initial_lr" not in opt.param_groups[0]


def test_a_huge_int_in_a_schedulers_state_loads_back() -> None:
    # cycle_momentum is torch's truthiness; a Python int past int64 broke the state check's NaN test
    opt = SGD([np.zeros(2)], lr=0.1, momentum=0.5)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=3, cycle_momentum=-(2**63) - 1)
    sched.load_state_dict(sched.state_dict())
    assert sched.cycle_momentum == -(2**63) - 1


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: ConstantLR(opt, factor=float("nan")),
        lambda opt: PolynomialLR(opt, power=float("nan")),
        lambda opt: ReduceLROnPlateau(opt, eps=float("nan")),
        lambda opt: CosineAnnealingWarmRestarts(opt, T_0=2, eta_min=float("nan")),
    ],
)
def test_a_nan_argument_torch_accepts_leaves_a_state_that_loads_back(make) -> None:
    # the state check refused NaN in any number: the scheduler could not load its own state
    opt = SGD([np.zeros(2)], lr=0.1, momentum=0.5)
    sched = make(opt)
    state = sched.state_dict()
    sched.load_state_dict(state)
    with pytest.raises(ValueError, match="base_lrs"):  # a NaN base rate is still refused
        sched.load_state_dict({**state, "base_lrs": [float("nan")]})


def test_one_cycle_lr_with_a_nan_div_factor_is_refused() -> None:
    opt = SGD([np.zeros(2)], lr=0.1, momentum=0.5)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        OneCycleLR(opt, max_lr=1.0, total_steps=3, div_factor=float("nan"))
    assert "initial_lr" not in opt.param_groups[0]
