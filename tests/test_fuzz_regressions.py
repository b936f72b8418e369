"""Bugs tests/test_fuzz.py found, one test each: a refusal must leave everything as it was."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit
from gradkit.optim import SGD
from gradkit.schedules import ConstantLR, LambdaLR


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
