"""The estimators beyond scikit-learn: optimizer=, lr_schedule=, callbacks=, progress= and lr_history_."""

from __future__ import annotations

import pickle
import sys
import types

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from gradkit import MLPClassifier, MLPRegressor, _core
from gradkit.optim import SGD, Adam, clip_grad_norm_
from gradkit.schedules import (
    AdaptiveLR,
    BoldDriverLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    InverseTimeLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    StepLR,
    WarmupCosineLR,
    lr_curve,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    """The seed-004 split: digits scaled to [0, 1], train_test_split(random_state=0)."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, random_state=0)


def _regression(n: int = 64, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.randn(n)


def _flat(est) -> np.ndarray:
    return np.concatenate([a.ravel() for a in list(est.coefs_) + list(est.intercepts_)])


# ---------------------------------------------------------------------------------------- optimizer=
def _one_full_batch_step(X, y, optimizer) -> MLPRegressor:
    """A (3, 5, 1) tanh regressor after one full-batch step of optimizer=, at lr 0.05 and alpha 1e-3,
    set to go on from there (warm start), as the tests' hand-written loops go on from its weights."""
    return MLPRegressor(
        hidden_layer_sizes=(5,),
        activation="tanh",
        solver="sgd",
        optimizer=optimizer,
        learning_rate_init=0.05,
        alpha=1e-3,
        batch_size=X.shape[0],
        shuffle=False,
        max_iter=1,
        warm_start=True,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X, y)


def test_optimizer_step_is_gradkit_optim_on_the_core_gradients():
    X, y = _regression()
    est = _one_full_batch_step(X, y, ("Adam", {"weight_decay": 0.01, "amsgrad": True}))
    before = _flat(est)
    loss, grads, _ = _core.nn.mlp_backprop(
        [3, 5, 1], "tanh", "identity", before, X, y.reshape(-1, 1), None, 1e-3
    )
    by_hand = before.copy()
    Adam([by_hand], lr=0.05, weight_decay=0.01, amsgrad=True).step([grads])
    est.fit(X, y)  # warm start: a fresh optimizer from these weights, one full-batch step
    np.testing.assert_allclose(_flat(est), by_hand, rtol=1e-12, atol=1e-15)
    assert est.loss_curve_[-1] == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("optimizer", ["AdamW", ("SGD", {"momentum": 0.9, "nesterov": True})])
def test_optimizer_trains_digits(digits, optimizer):
    X_train, X_test, y_train, y_test = digits
    lr = 5e-3 if optimizer == "AdamW" else 0.05
    clf = MLPClassifier((32,), optimizer=optimizer, learning_rate_init=lr, max_iter=20, random_state=0)
    assert clf.fit(X_train, y_train).score(X_test, y_test) >= 0.95


@pytest.mark.parametrize(
    ("optimizer", "match"),
    [
        ("Adamm", "unknown optimizer 'Adamm'"),
        ("LBFGS", "solver='lbfgs'"),
        (("SGD", {"momentum": -0.5}), "momentum"),
        (("SGD", {"bogus": 1}), "bogus"),
        (("Adam", {"lr": 0.1}), "learning_rate_init"),
        (("Adam",), "name, dict"),
    ],
)
def test_bad_optimizer_is_refused_before_the_fit_changes_anything(optimizer, match):
    X, y = _regression()
    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    weights = _flat(est).copy()
    with pytest.raises(ValueError, match=match):
        est.set_params(optimizer=optimizer).fit(X, y)
    np.testing.assert_array_equal(_flat(est), weights)


def test_optimizer_refuses_lbfgs_solver_and_sklearn_rate_modes():
    X, y = _regression()
    with pytest.raises(ValueError, match="minibatch solver"):
        MLPRegressor(solver="lbfgs", optimizer="Adam").fit(X, y)
    with pytest.raises(ValueError, match="learning_rate='adaptive'"):
        MLPRegressor(solver="sgd", learning_rate="adaptive", optimizer="Adam").fit(X, y)


def test_clip_grad_norm_scales_each_gradient_as_torch_clip_grad_norm_():
    X, y = _regression()
    est = MLPRegressor(
        hidden_layer_sizes=(5,),
        activation="tanh",
        optimizer="SGD",
        learning_rate_init=0.1,
        clip_grad_norm=0.05,
        batch_size=X.shape[0],
        shuffle=False,
        max_iter=1,
        warm_start=True,
        random_state=0,
    ).fit(X, y)
    before = _flat(est)
    _, grads, _ = _core.nn.mlp_backprop(
        [3, 5, 1], "tanh", "identity", before, X, y.reshape(-1, 1), None, 1e-4
    )
    assert np.linalg.norm(grads) > 0.05  # the clipping acts
    clip_grad_norm_([grads], 0.05)
    est.fit(X, y)  # one full-batch step from `before`
    np.testing.assert_allclose(_flat(est), before - 0.1 * grads, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="clip_grad_norm"):
        est.set_params(clip_grad_norm=np.inf).fit(X, y)
    with pytest.raises(ValueError, match="clip_grad_norm"):
        est.set_params(clip_grad_norm=-1.0).fit(X, y)


# -------------------------------------------------------------------------------------- lr_schedule=
def _fit_scheduled(schedule, kwargs, max_iter: int = 10, lr: float = 0.1) -> MLPRegressor:
    """An MLPRegressor trained by plain SGD at learning_rate_init=lr with lr_schedule=(schedule, kwargs),
    max_iter epochs without scikit-learn's stall stop."""
    X, y = _regression()
    return MLPRegressor(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate_init=lr,
        lr_schedule=(schedule.__name__, kwargs),
        max_iter=max_iter,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X, y)


SCHEDULES = [
    (StepLR, {"step_size": 3, "gamma": 0.5}),
    (MultiStepLR, {"milestones": [2, 5], "gamma": 0.3}),
    (ExponentialLR, {"gamma": 0.9, "min_lr": 0.03}),
    (LinearLR, {"start_factor": 0.25, "total_iters": 4}),
    (PolynomialLR, {"total_iters": 6, "power": 2.0}),
    (CosineAnnealingLR, {"T_max": 5, "eta_min": 0.01}),
    (InverseTimeLR, {"decay_rate": 0.5, "decay_steps": 2, "staircase": True}),
    (WarmupCosineLR, {"warmup_steps": 3, "total_steps": 10}),
    (CosineAnnealingWarmRestarts, {"T_0": 3, "eta_min": 0.01}),
    (CosineAnnealingWarmRestarts, {"T_0": 2, "T_mult": 2, "eta_min": 0.01, "min_lr": 0.02}),
]


@pytest.mark.parametrize(("schedule", "kwargs"), SCHEDULES, ids=lambda s: getattr(s, "__name__", ""))
def test_per_epoch_schedule_rates_are_lr_curve(schedule, kwargs):
    est = _fit_scheduled(schedule, kwargs)
    np.testing.assert_array_equal(est.lr_history_, lr_curve(schedule, 10, lr=0.1, **kwargs))


def test_per_batch_schedule_steps_after_every_minibatch():
    X, y = _regression(n=64)
    kwargs = {"T_max": 7}
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        optimizer="SGD",
        batch_size=16,  # 4 steps per epoch
        learning_rate_init=0.1,
        lr_schedule=(CosineAnnealingLR, kwargs, "batch"),
        max_iter=5,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X, y)
    np.testing.assert_array_equal(est.lr_history_, lr_curve(CosineAnnealingLR, 20, lr=0.1, **kwargs)[::4])


@pytest.mark.parametrize(
    ("schedule", "last_lr"),
    [
        (("StepLR", {"step_size": 10, "gamma": 0.5}), 0.025),
        (("ExponentialLR", {"gamma": 0.9}), 0.1 * 0.9**29),
    ],
)
def test_seed_004_digits_with_step_and_exponential_decay(digits, schedule, last_lr):
    X_train, X_test, y_train, y_test = digits
    clf = MLPClassifier(
        hidden_layer_sizes=(100,),
        solver="sgd",
        learning_rate_init=0.1,
        lr_schedule=schedule,
        max_iter=30,
        random_state=0,
    ).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.95
    assert clf.lr_history_[0] == 0.1
    assert clf.lr_history_[-1] == pytest.approx(last_lr, rel=1e-12)


@pytest.mark.parametrize(
    ("lr_schedule", "match"),
    [
        (("LambdaLR", {"lr_lambda": abs}), "Python functions"),
        (("NoSuchLR", {}), "step-driven"),
        (("StepLR", {}), "step_size"),
        (("StepLR", {"step_size": 0}), "by zero"),
        (("ExponentialLR", {"gamma": -1.0}), "gamma"),
        (("StepLR", {"step_size": 2, "last_epoch": 3}), "last_epoch"),
        (("StepLR", {"step_size": 2}, "step"), "'batch' or 'epoch'"),
        (("StepLR", {"step_size": 2, "min_lr": 1.0, "max_lr": 0.5}), "min_lr"),
        (("ReduceLROnPlateau", {}, "batch"), "once per epoch"),
        (("ReduceLROnPlateau", {"factor": 2.0}), "Factor should be < 1.0"),
        (("ReduceLROnPlateau", {"mode": "up"}), "mode up is unknown"),
        (("AdaptiveLR", {"factor": 0.0}), "factor"),
        (("BoldDriverLR", {"increase": 0.5}), "increase"),
        (("BoldDriverLR", {"min_lr": 1.0, "max_lr": 0.5}), "min_lr"),
    ],
)
def test_bad_schedule_is_refused_before_the_fit_changes_anything(lr_schedule, match):
    X, y = _regression()
    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    weights = _flat(est).copy()
    with pytest.raises(ValueError, match=match):
        est.set_params(lr_schedule=lr_schedule).fit(X, y)
    np.testing.assert_array_equal(_flat(est), weights)


def test_schedule_with_an_sklearn_rate_mode_is_two_schedules():
    X, y = _regression()
    with pytest.raises(ValueError, match="two schedules"):
        MLPRegressor(solver="sgd", learning_rate="invscaling", lr_schedule=("StepLR", {"step_size": 2})).fit(
            X, y
        )


def test_pickle_and_clone_carry_the_schedule():
    X, y = _regression()
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        optimizer=("SGD", {"momentum": 0.5}),
        learning_rate_init=0.05,
        lr_schedule=("StepLR", {"step_size": 2, "gamma": 0.5}),
        random_state=0,
    )
    for _ in range(3):
        est.partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    for _ in range(3):
        est.partial_fit(X, y)
        copy.partial_fit(X, y)
    np.testing.assert_array_equal(copy.lr_history_, est.lr_history_)
    np.testing.assert_array_equal(est.lr_history_, lr_curve(StepLR, 6, lr=0.05, step_size=2, gamma=0.5))
    np.testing.assert_array_equal(_flat(copy), _flat(est))
    assert clone(est).get_params()["lr_schedule"] == ("StepLR", {"step_size": 2, "gamma": 0.5})


# ------------------------------------------------------------------- lr_schedule= OneCycleLR, CyclicLR
CYCLIC = [
    (OneCycleLR, {"max_lr": 0.2, "total_steps": 10, "cycle_momentum": False}),
    (
        OneCycleLR,
        {
            "max_lr": [0.3],
            "epochs": 2,
            "steps_per_epoch": 6,
            "pct_start": 0.25,
            "anneal_strategy": "linear",
            "div_factor": 10,
            "final_div_factor": 50.0,
            "three_phase": True,
            "cycle_momentum": False,
            "min_lr": 0.02,
        },
    ),
    (CyclicLR, {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "cycle_momentum": False}),
    (
        CyclicLR,
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 3,
            "step_size_down": 1,
            "mode": "triangular2",
            "cycle_momentum": False,
        },
    ),
    (
        CyclicLR,
        {
            "base_lr": [0.02],
            "max_lr": 0.2,
            "step_size_up": 2,
            "mode": "exp_range",
            "gamma": 0.8,
            "cycle_momentum": False,
            "min_lr": 0.05,
        },
    ),
]


def _scheduler_rates(schedule, kwargs, steps):
    """The Python scheduler's rates over steps, stepped on a one-parameter optimizer (torch's loop)."""
    opt = SGD([np.zeros(1)], lr=0.5)
    scheduler = schedule(opt, **kwargs)
    rates = []
    for k in range(steps):
        if k > 0:
            scheduler.step()
        rates.append(opt.param_groups[0]["lr"])
    return rates


@pytest.mark.parametrize(("schedule", "kwargs"), CYCLIC, ids=lambda s: getattr(s, "__name__", ""))
def test_per_epoch_cyclic_schedule_rates_are_lr_curve_and_the_scheduler(schedule, kwargs):
    est = _fit_scheduled(schedule, kwargs, lr=0.5)  # lr unused: the cycle's levels are its own
    np.testing.assert_array_equal(est.lr_history_, lr_curve(schedule, 10, lr=0.5, **kwargs))
    np.testing.assert_array_equal(est.lr_history_, _scheduler_rates(schedule, kwargs, 10))


@pytest.mark.parametrize(("schedule", "kwargs"), [CYCLIC[1], CYCLIC[3]], ids=["OneCycleLR", "CyclicLR"])
def test_per_batch_cyclic_schedule_steps_after_every_minibatch(schedule, kwargs):
    X, y = _regression(n=64)
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        optimizer="Adam",
        batch_size=22,  # 3 steps per epoch, the last one 20 rows
        learning_rate_init=0.01,
        lr_schedule=(schedule, kwargs, "batch"),
        max_iter=4,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X, y)
    rates = _scheduler_rates(schedule, kwargs, 13)
    np.testing.assert_array_equal(est.lr_history_, rates[:12:3])
    assert est._trainer.lr == rates[12]
    assert est._trainer.schedule_steps == 12


def test_one_cycle_on_digits_trains_well(digits):
    X_train, X_test, y_train, y_test = digits
    kwargs = {"max_lr": 0.2, "total_steps": 20 * 7, "cycle_momentum": False}  # 1347 rows, minibatches of 200
    clf = MLPClassifier(
        hidden_layer_sizes=(100,),
        solver="sgd",
        lr_schedule=("OneCycleLR", kwargs, "batch"),
        max_iter=20,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.95
    np.testing.assert_array_equal(clf.lr_history_, lr_curve(OneCycleLR, 140, **kwargs)[::7])
    assert clf.lr_history_[0] == pytest.approx(0.2 / 25)  # cos annealing from max_lr, as torch


@pytest.mark.parametrize(
    ("lr_schedule", "match"),
    [
        (("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "max_momentum": [0.9, 0.8]}), "max_momentum"),
        (("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "base_momentum": [0.8, 0.7]}), "base_momentum"),
        (
            (
                "CyclicLR",
                {"base_lr": 0.01, "max_lr": 0.1, "scale_fn": lambda x: 1.0, "cycle_momentum": False},
            ),
            "scale_fn",
        ),
        (("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "mode": "sine", "cycle_momentum": False}), "mode"),
        (("OneCycleLR", {"max_lr": 0.1, "cycle_momentum": False}), "total_steps OR"),
        (("OneCycleLR", {"max_lr": 0.1, "total_steps": 0, "cycle_momentum": False}), "total_steps"),
        (
            ("OneCycleLR", {"max_lr": 0.1, "total_steps": 9, "pct_start": 1, "cycle_momentum": False}),
            "pct_start",
        ),
        (("OneCycleLR", {"max_lr": 0.1, "total_steps": 9, "cycle_momentum": False, "gamma": 2}), "gamma"),
        (("OneCycleLR", {"max_lr": [0.1, 0.2], "total_steps": 9, "cycle_momentum": False}), "param_groups"),
        (("OneCycleLR", {"max_lr": 0.1, "total_steps": 9, "div_factor": 0, "cycle_momentum": False}), "zero"),
        (("OneCycleLR", {"max_lr": 0.1, "total_steps": 9, "cycle_momentum": False, "max_lr_": 1}), "max_lr_"),
        (
            ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "cycle_momentum": False, "max_momentum": [1, 2]}),
            None,
        ),
        (("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 0, "cycle_momentum": False}), "zero"),
        # 3 epochs of one step each, or of 2 minibatches each, are more than total_steps.
        (
            ("OneCycleLR", {"max_lr": 0.1, "total_steps": 2, "cycle_momentum": False}),
            "total_steps=2 .* 3 epochs",
        ),
        (
            ("OneCycleLR", {"max_lr": 0.1, "total_steps": 5, "cycle_momentum": False}, "batch"),
            r"total_steps=5 .* 3 epochs x 2 minibatches = 6 steps.*total_steps >= 6",
        ),
    ],
)
def test_bad_cyclic_schedule_is_refused_before_the_fit_changes_anything(lr_schedule, match):
    X, y = _regression()
    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, batch_size=32, random_state=0).fit(X, y)
    weights = _flat(est).copy()
    if match is None:  # momentum arguments are unused without cycle_momentum, as in torch
        est.set_params(lr_schedule=lr_schedule).fit(X, y)
        return
    with pytest.raises(ValueError, match=match):
        est.set_params(lr_schedule=lr_schedule).fit(X, y)
    np.testing.assert_array_equal(_flat(est), weights)


@pytest.mark.parametrize("cycle_momentum", [False, True])
def test_one_cycle_step_count_is_kept_by_partial_fit_and_pickle(cycle_momentum):
    X, y = _regression(n=64)
    kwargs = {"max_lr": 0.1, "total_steps": 8, "cycle_momentum": cycle_momentum}
    est = MLPRegressor(
        hidden_layer_sizes=(4,), solver="adam", lr_schedule=("OneCycleLR", kwargs), random_state=0
    )
    for _ in range(3):
        est.partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    assert copy._trainer.schedule_steps == 3
    for _ in range(5):
        est.partial_fit(X, y)
        copy.partial_fit(X, y)
    np.testing.assert_array_equal(copy.lr_history_, est.lr_history_)
    np.testing.assert_array_equal(est.lr_history_, lr_curve(OneCycleLR, 8, **kwargs))
    np.testing.assert_array_equal(_flat(copy), _flat(est))
    # The ninth partial_fit would step to 9 of total_steps=8: refused before training.
    weights = _flat(est).copy()
    with pytest.raises(ValueError, match=r"total_steps=8 .* after the 8 it has taken.*>= 9"):
        est.partial_fit(X, y)
    np.testing.assert_array_equal(_flat(est), weights)
    assert est.n_iter_ == 1 and len(est.lr_history_) == 8


@pytest.mark.parametrize(
    ("schedule", "kwargs", "optimizer"),
    [
        (OneCycleLR, {"max_lr": 0.2, "total_steps": 12, "pct_start": 0.4}, (SGD, {"momentum": 0.9})),
        (
            OneCycleLR,
            {"max_lr": 0.2, "total_steps": 12, "three_phase": True, "base_momentum": 0.5},
            (SGD, {"momentum": 0.9, "nesterov": True}),
        ),
        (CyclicLR, {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3}, (Adam, {})),
        (
            CyclicLR,
            {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "mode": "triangular2", "max_momentum": 0.95},
            (SGD, {"momentum": 0.5}),
        ),
    ],
    ids=["OneCycleLR-SGD", "OneCycleLR-three-phase-Nesterov", "CyclicLR-Adam-betas", "CyclicLR-SGD"],
)
def test_cycled_momentum_is_the_python_schedulers_on_gradkit_optim(schedule, kwargs, optimizer):
    """cycle_momentum=True (torch's default): each step's momentum (SGD) or beta1 (Adam's betas) is
    the one the Python scheduler sets on a gradkit.optim optimizer stepped by hand."""
    X, y = _regression()
    cls, hyper = optimizer
    est = _one_full_batch_step(X, y, (cls.__name__, hyper))
    before = _flat(est).copy()
    est.set_params(lr_schedule=(schedule, kwargs, "batch"), max_iter=10).fit(X, y)

    by_hand = before.copy()
    opt = cls([by_hand], lr=0.05, **hyper)
    scheduler = schedule(opt, **kwargs)
    momenta = []
    for _ in range(10):
        group = opt.param_groups[0]
        momenta.append(group["betas"][0] if "betas" in group else group["momentum"])
        _, grads, _ = _core.nn.mlp_backprop(
            [3, 5, 1], "tanh", "identity", by_hand, X, y.reshape(-1, 1), None, 1e-3
        )
        opt.step([grads])
        scheduler.step()
    assert len(set(momenta)) > 3  # the momentum did move
    np.testing.assert_allclose(_flat(est), by_hand, rtol=1e-12, atol=1e-15)


def test_cycled_momentum_needs_an_optimizer_with_momentum_or_beta1():
    X, y = _regression()
    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, batch_size=32, random_state=0).fit(X, y)
    weights = _flat(est).copy()
    with pytest.raises(ValueError, match=r"optimizer must support momentum or beta1 .*Adagrad has neither"):
        est.set_params(
            optimizer="Adagrad", lr_schedule=("OneCycleLR", {"max_lr": 0.1, "total_steps": 9})
        ).fit(X, y)
    np.testing.assert_array_equal(_flat(est), weights)
    kwargs = {"max_lr": 0.1, "total_steps": 9, "cycle_momentum": False}
    est.set_params(lr_schedule=("OneCycleLR", kwargs)).fit(X, y)  # the rate alone: any optimizer


@pytest.mark.parametrize("stepping", ["epoch", "batch"])
def test_one_cycle_refused_inside_the_loop_leaves_a_consistent_estimator(monkeypatch, stepping):
    """Should the check before training miss (here it is switched off), the core's refusal of the step
    past total_steps ends fit with a ValueError and a record of the steps that were taken."""
    from gradkit.neural_network._base import _BaseMLP

    monkeypatch.setattr(_BaseMLP, "_check_schedule_length", lambda *args, **kwargs: None)
    X, y = _regression(n=64)
    kwargs = {"max_lr": 0.1, "total_steps": 5, "cycle_momentum": False}
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        solver="sgd",
        batch_size=32,
        lr_schedule=("OneCycleLR", kwargs, stepping),
        max_iter=10,
        n_iter_no_change=100,
        random_state=0,
    )
    with pytest.raises(
        ValueError, match="OneCycleLR: Tried to step 6 times. The specified number of total steps is 5"
    ):
        est.fit(X, y)
    epochs = 6 if stepping == "epoch" else 2  # 6 epochs ran; or 2 full ones (the 6th step is in the 3rd)
    assert est.n_iter_ == epochs
    assert len(est.loss_curve_) == len(est.lr_history_) == epochs
    assert est._trainer.schedule_steps == 5
    if stepping == "epoch":
        np.testing.assert_array_equal(est.lr_history_, lr_curve(OneCycleLR, 6, **kwargs))
    assert np.isfinite(_flat(est)).all()
    assert est.predict(X).shape == (64,)


# -------------------------------------------------------------------------- callbacks=, progress=
def test_callbacks_see_every_epoch_and_can_stop_training():
    X, y = _regression()
    seen = []

    def stop_at_three(info):
        seen.append(info)
        return info["epoch"] == 3

    est = MLPRegressor(
        hidden_layer_sizes=(4,), learning_rate_init=0.01, callbacks=[stop_at_three, lambda info: None]
    )
    est.set_params(max_iter=50, random_state=0).fit(X, y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    assert [info["epoch"] for info in seen] == [1, 2, 3]
    assert [info["loss"] for info in seen] == est.loss_curve_
    assert all(info["lr"] == 0.01 and info["validation_score"] is None for info in seen)
    assert est.lr_history_ == [0.01, 0.01, 0.01]


def test_callbacks_must_be_callable():
    X, y = _regression()
    with pytest.raises(ValueError, match=r"callbacks\[0\]"):
        MLPRegressor(callbacks=["print"]).fit(X, y)


def test_progress_bar_counts_epochs(monkeypatch):
    bars = []

    class FakeBar:
        def __init__(self, total, unit):
            self.total, self.n, self.closed = total, 0, False
            bars.append(self)

        def update(self, n):
            self.n += n

        def set_postfix(self, **kwargs):
            pass

        def close(self):
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm.auto", types.SimpleNamespace(tqdm=FakeBar))
    X, y = _regression()
    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=7, n_iter_no_change=100, progress=True).fit(X, y)
    assert len(bars) == 1 and bars[0].total == 7 and bars[0].n == est.n_iter_ == 7 and bars[0].closed


def test_progress_bar_shows_the_epoch_it_counts(monkeypatch):
    shown = []

    class FakeBar:
        def __init__(self, total, unit):
            self.postfix = None

        def update(self, n):  # the redraw: what the user sees for this epoch
            shown.append(self.postfix)

        def set_postfix(self, refresh=True, **kwargs):
            self.postfix = kwargs

        def close(self):
            pass

    monkeypatch.setitem(sys.modules, "tqdm.auto", types.SimpleNamespace(tqdm=FakeBar))
    X, y = _regression()
    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, n_iter_no_change=100, progress=True).fit(X, y)
    assert [float(p["loss"]) for p in shown] == pytest.approx(est.loss_curve_, rel=1e-5)


def test_progress_without_tqdm_warns_and_trains(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    X, y = _regression()
    with pytest.warns(UserWarning, match="tqdm"):
        est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, progress=True).fit(X, y)
    assert est.n_iter_ == 3


# --------------------------------------------------------------- loss-driven schedules, per epoch
LOSS_DRIVEN = [
    (ReduceLROnPlateau, {"factor": 0.5, "patience": 0, "threshold": 0.15}),
    (ReduceLROnPlateau, {"factor": 0.5, "patience": 0, "threshold": 0.2, "cooldown": 2, "max_lr": 0.08}),
    (AdaptiveLR, {"patience": 1, "tol": 0.15}),
    (BoldDriverLR, {"increase": 1.1, "decrease": 0.5, "max_lr": 0.12}),
]


def _rates_stepped_with(schedule, kwargs, losses) -> list[float]:
    """The lr of each epoch when the Python scheduler is stepped with the losses of the epochs before."""
    opt = SGD([np.zeros(1)], lr=0.1)
    scheduler = schedule(opt, **kwargs)
    rates = [opt.param_groups[0]["lr"]]
    for loss in losses[:-1]:
        scheduler.step(loss)
        rates.append(opt.param_groups[0]["lr"])
    return rates


@pytest.mark.parametrize(("schedule", "kwargs"), LOSS_DRIVEN, ids=lambda s: getattr(s, "__name__", ""))
def test_loss_driven_schedule_acts_as_the_python_scheduler_stepped_with_loss_curve_(schedule, kwargs):
    est = _fit_scheduled(schedule, kwargs, max_iter=15)
    expected = _rates_stepped_with(schedule, kwargs, est.loss_curve_)
    assert est.lr_history_ == expected
    assert len(set(expected)) > 1  # the schedule acted during the fit


def test_loss_driven_schedule_state_goes_on_over_partial_fit():
    X, y = _regression()
    kwargs = {"factor": 0.5, "patience": 0, "threshold": 0.15}
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate_init=0.1,
        lr_schedule=("ReduceLROnPlateau", kwargs),
        random_state=0,
    )
    for _ in range(12):
        est.partial_fit(X, y)
    expected = _rates_stepped_with(ReduceLROnPlateau, kwargs, est.loss_curve_)
    assert est.lr_history_ == expected and len(set(expected)) > 1


@pytest.mark.parametrize(("schedule", "kwargs"), LOSS_DRIVEN, ids=lambda s: getattr(s, "__name__", ""))
def test_loss_driven_schedule_state_goes_through_pickle(schedule, kwargs):
    X, y = _regression()
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate_init=0.1,
        lr_schedule=(schedule.__name__, kwargs),
        random_state=0,
    )
    for _ in range(6):
        est.partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    assert copy._trainer.schedule_state == est._trainer.schedule_state != []
    for _ in range(9):
        est.partial_fit(X, y)
        copy.partial_fit(X, y)
    assert copy.lr_history_ == est.lr_history_ == _rates_stepped_with(schedule, kwargs, est.loss_curve_)
    np.testing.assert_array_equal(_flat(copy), _flat(est))
    with pytest.raises(ValueError, match="numbers of state, got 1"):
        copy._trainer.schedule_state = [0.0]
    assert copy._trainer.schedule_state == est._trainer.schedule_state
