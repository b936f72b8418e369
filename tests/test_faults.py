"""Faults: Ctrl-C during a fit, a callback or a schedule function that raises, and a tampered state.

Each leaves what a user holds usable and consistent: an interrupted or failed fit keeps the weights
of its last finished epoch with records (n_iter_, loss_curve_, history_, lr_history_) that agree with
them, and can be predicted with and fitted further; a state that does not fit is refused with a
clear error and changes nothing (compared bit for bit).
"""

from __future__ import annotations

import copy
import os
import pickle
import signal
import threading
import time
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from gradkit import MLPClassifier, MLPRegressor, optim, schedules


def _data(n=600, d=20, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def _assert_consistent(model, epochs):
    assert model.n_iter_ == epochs
    assert len(model.loss_curve_) == epochs
    assert len(model.lr_history_) == epochs
    assert all(len(column) == epochs for column in model.history_.values())
    assert model.history_["epoch"] == list(range(1, epochs + 1))
    assert model.history_["loss"] == model.loss_curve_
    assert model.loss_ == model.loss_curve_[-1]
    for coef in model.coefs_:
        assert np.isfinite(coef).all()


def _weights(model):
    return [a.copy() for a in model.coefs_ + model.intercepts_]


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x, y)


@pytest.fixture
def sigint_raises():
    """SIGINT raises KeyboardInterrupt in the main thread (Python's default), whatever the runner set."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


# ------------------------------------------------------------------ Ctrl-C
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ctrl_c_during_fit_returns_within_an_epoch_and_leaves_a_usable_model(sigint_raises, dtype):
    # Epochs of tens of milliseconds; the signal is sent from another thread after the third one.
    X, y = _data(n=4000, d=40)
    X = X.astype(dtype)
    epoch_ends = []
    third = threading.Event()

    def record(info):
        epoch_ends.append(time.perf_counter())
        if info["epoch"] == 3:
            third.set()

    sent = []

    def interrupt():
        third.wait(30)
        time.sleep(0.02)  # inside the fourth epoch's C++ loop
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    model = MLPClassifier(
        hidden_layer_sizes=(128,), max_iter=10_000, tol=0, n_iter_no_change=10_000, random_state=0
    )
    model.set_params(callbacks=[record])
    sender = threading.Thread(target=interrupt)
    sender.start()
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        model.fit(X, y)
    returned = time.perf_counter()
    sender.join()

    epoch = np.median(np.diff(epoch_ends))
    assert returned - sent[0] < 2 * epoch + 0.5, (returned - sent[0], epoch)  # the epoch it came in
    assert 3 <= model.n_iter_ < 10_000
    _assert_consistent(model, model.n_iter_)
    assert model.coefs_[0].dtype == dtype
    assert model.predict(X[:10]).shape == (10,)
    model.set_params(callbacks=None)
    model.partial_fit(X, y)  # continues from the interrupted weights
    assert len(model.loss_curve_) == len(epoch_ends) + 1
    model.set_params(max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    _assert_consistent(model, 2)


def test_keyboard_interrupt_in_a_callback_keeps_that_epochs_weights():
    # Ctrl-C while Python code of the epoch hook runs: the same as a signal caught between epochs.
    X, y = _data()

    def interrupt(info):
        if info["epoch"] == 3:
            raise KeyboardInterrupt

    interrupted = MLPClassifier(max_iter=50, random_state=0, callbacks=[interrupt])
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        interrupted.fit(X, y)
    _assert_consistent(interrupted, 3)
    with pytest.warns(ConvergenceWarning):
        three = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    _assert_same(_weights(interrupted), _weights(three))
    assert interrupted.loss_curve_ == three.loss_curve_


# ------------------------------------------------------------------ a callback that raises
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_a_callback_that_raises_propagates_and_keeps_the_finished_epochs(Estimator):
    X, y = _data()

    class Broken(RuntimeError):
        pass

    def fail(info):
        if info["epoch"] == 4:
            raise Broken("callback failed")

    model = Estimator(max_iter=50, random_state=0, callbacks=[fail], early_stopping=False)
    with pytest.raises(Broken, match="callback failed"):
        model.fit(X, y)
    _assert_consistent(model, 4)
    with pytest.warns(ConvergenceWarning):
        four = Estimator(max_iter=4, random_state=0).fit(X, y)
    _assert_same(_weights(model), _weights(four))
    np.testing.assert_array_equal(model.predict(X), four.predict(X))
    # usable: a further partial_fit goes on from the fourth epoch, as it does after a 4-epoch fit
    model.set_params(callbacks=None)
    model.partial_fit(X, y)
    four.partial_fit(X, y)
    _assert_same(_weights(model), _weights(four))


def test_a_callback_that_raises_with_validation_data_keeps_the_curves_aligned():
    X, y = _data()

    def fail(info):
        if info["epoch"] == 2:
            raise ValueError("stop here")

    model = MLPClassifier(max_iter=50, random_state=0, early_stopping=True, callbacks=[fail])
    with pytest.raises(ValueError, match="stop here"):
        model.fit(X, y)
    _assert_consistent(model, 2)
    assert len(model.validation_scores_) == 2
    assert len(model.validation_loss_curve_) == 2


# ------------------------------------------------------------------ a schedule's function that raises
def test_an_exception_in_lambdalr_mid_training_propagates_and_changes_nothing():
    rng = np.random.RandomState(0)
    w = rng.randn(50)
    opt = optim.Adam([w], lr=0.1)

    def factor(epoch):
        if epoch == 5:
            raise ArithmeticError("no rate for epoch 5")
        return 0.9**epoch

    scheduler = schedules.LambdaLR(opt, factor)
    for _ in range(4):
        opt.step([2 * w])
        scheduler.step()
    opt.step([2 * w])
    before = (w.copy(), copy.deepcopy(opt.state_dict()), scheduler.state_dict(), scheduler.get_last_lr())
    with pytest.raises(ArithmeticError, match="no rate for epoch 5"):
        scheduler.step()
    # nothing moved: the weights, the optimizer's state and rate, the scheduler's counts
    np.testing.assert_array_equal(w, before[0])
    after = opt.state_dict()
    assert after["param_groups"] == before[1]["param_groups"]
    for key, value in before[1]["state"][0].items():
        np.testing.assert_array_equal(after["state"][0][key], value)
    assert scheduler.state_dict() == before[2]
    assert scheduler.get_last_lr() == before[3]
    assert scheduler.last_epoch == 4
    # and training goes on once the function can answer
    scheduler.lr_lambdas[0] = lambda epoch: 0.5
    scheduler.step()
    assert scheduler.last_epoch == 5 and opt.param_groups[0]["lr"] == pytest.approx(0.05)


# ------------------------------------------------------------------ tampered optimizer states
def _adam_after_steps():
    rng = np.random.RandomState(0)
    w = rng.randn(6)
    opt = optim.Adam([w], lr=0.01)
    for _ in range(3):
        opt.step([w.copy()])
    return w, opt


def _snapshot(opt):
    return pickle.dumps(opt.state_dict())


def _tampered(kind):
    _, opt = _adam_after_steps()
    sd = copy.deepcopy(opt.state_dict())
    entry = sd["state"][0]
    if kind == "nan step":
        entry["step"] = float("nan")
    elif kind == "negative step":
        entry["step"] = -2.0
    elif kind == "fractional step":
        entry["step"] = 2.5
    elif kind == "wrong shape":
        entry["exp_avg"] = np.zeros(5)
    elif kind == "wrong type":
        entry["exp_avg_sq"] = "zeros"
    elif kind == "missing buffer":
        del entry["exp_avg_sq"]
    elif kind == "missing groups":
        del sd["param_groups"]
    elif kind == "not a dict":
        return [sd]
    elif kind == "another optimizer":
        other = optim.SGD([np.zeros(6)], lr=0.1, momentum=0.9)
        other.step([np.ones(6)])
        return other.state_dict()
    elif kind == "two groups":
        sd["param_groups"].append(dict(sd["param_groups"][0]))
    elif kind == "nan lr":
        sd["param_groups"][0]["lr"] = float("nan")
    return sd


@pytest.mark.parametrize(
    "kind",
    [
        "nan step",
        "negative step",
        "fractional step",
        "wrong shape",
        "wrong type",
        "missing buffer",
        "missing groups",
        "not a dict",
        "another optimizer",
        "two groups",
        "nan lr",
    ],
)
def test_a_tampered_optimizer_state_is_refused_and_changes_nothing(kind):
    w, opt = _adam_after_steps()
    weights, state = w.copy(), _snapshot(opt)
    with pytest.raises((ValueError, TypeError, KeyError)):
        opt.load_state_dict(_tampered(kind))
    assert _snapshot(opt) == state
    np.testing.assert_array_equal(w, weights)
    # and the optimizer steps exactly as an untouched one does
    w2, twin = _adam_after_steps()
    opt.step([w.copy()])
    twin.step([w2.copy()])
    np.testing.assert_array_equal(w, w2)


# ------------------------------------------------------------------ tampered scheduler states
def _scheduler(name):
    opt = optim.SGD([np.zeros(3)], lr=0.1, momentum=0.9)
    if name == "StepLR":
        scheduler = schedules.StepLR(opt, step_size=2, gamma=0.5)
    elif name == "OneCycleLR":
        scheduler = schedules.OneCycleLR(opt, max_lr=1.0, total_steps=20)
    elif name == "ReduceLROnPlateau":
        scheduler = schedules.ReduceLROnPlateau(opt, patience=1)
    elif name == "SequentialLR":
        scheduler = schedules.SequentialLR(
            opt,
            [
                schedules.LinearLR(opt, start_factor=0.5, total_iters=2),
                schedules.ExponentialLR(opt, gamma=0.9),
            ],
            milestones=[2],
        )
    else:
        scheduler = schedules.LambdaLR(opt, lambda epoch: 0.9**epoch)
    for i in range(3):
        opt.step([np.ones(3)])
        scheduler.step(1.0 / (i + 1)) if name == "ReduceLROnPlateau" else scheduler.step()
    return opt, scheduler


_SCHEDULER_TAMPERING = {
    "nan step count": lambda sd: sd.update(last_epoch=float("nan")),
    "float step count": lambda sd: sd.update(last_epoch=3.0),
    "missing key": lambda sd: sd.pop("last_epoch"),
    "base_lrs of another length": lambda sd: sd.update(base_lrs=[0.1, 0.1]),
    "nan base lr": lambda sd: sd.update(base_lrs=[float("nan")]),
    "unknown key": lambda sd: sd.update(step_size_v2=3),
}


@pytest.mark.parametrize("name", ["StepLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "LambdaLR"])
@pytest.mark.parametrize("kind", list(_SCHEDULER_TAMPERING))
def test_a_tampered_scheduler_state_is_refused_and_changes_nothing(name, kind):
    opt, scheduler = _scheduler(name)
    sd = copy.deepcopy(scheduler.state_dict())
    if kind in ("missing key", "float step count", "nan step count") and "last_epoch" not in sd:
        pytest.skip(f"{name} keeps no last_epoch")
    _SCHEDULER_TAMPERING[kind](sd)
    before, lrs = pickle.dumps(scheduler.state_dict()), [g["lr"] for g in opt.param_groups]
    with pytest.raises((ValueError, TypeError, KeyError)):
        scheduler.load_state_dict(sd)
    assert pickle.dumps(scheduler.state_dict()) == before
    assert [g["lr"] for g in opt.param_groups] == lrs


def test_another_schedulers_state_and_a_non_dict_are_refused():
    _, step = _scheduler("StepLR")
    _, cycle = _scheduler("OneCycleLR")
    before = pickle.dumps(step.state_dict())
    with pytest.raises(ValueError, match="not StepLR's"):
        step.load_state_dict(cycle.state_dict())
    with pytest.raises(TypeError, match="expected a dict"):
        step.load_state_dict([("last_epoch", 3)])
    assert pickle.dumps(step.state_dict()) == before
    _, sequential = _scheduler("SequentialLR")
    sd = copy.deepcopy(sequential.state_dict())
    sd["_schedulers"][1]["last_epoch"] = float("nan")  # a sub-scheduler's state tampered
    before = pickle.dumps(sequential.state_dict())
    with pytest.raises(TypeError):
        sequential.load_state_dict(sd)
    assert pickle.dumps(sequential.state_dict()) == before


def test_an_untampered_scheduler_state_still_loads():
    for name in ("StepLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "LambdaLR"):
        _, scheduler = _scheduler(name)
        _, fresh = _scheduler(name)
        fresh.load_state_dict(scheduler.state_dict())


# ------------------------------------------------------------------ tampered estimator states
def _fitted(dtype=np.float64):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X.astype(dtype), y), X


def _estimator_tampering(kind, state):
    if kind == "coefs_ of the wrong shape":
        state["coefs_"] = [c.T.copy() for c in state["coefs_"]]
    elif kind == "truncated coefs_":
        state["coefs_"] = state["coefs_"][:1]
    elif kind == "coefs_ not arrays of floats":
        state["coefs_"] = [c.astype(np.int64) for c in state["coefs_"]]
    elif kind == "mixed dtypes":
        state["intercepts_"] = [b.astype(np.float32) for b in state["intercepts_"]]
    elif kind == "nan optimizer step":
        state["_optimizer_state"]["params"][0]["scalars"]["step"] = float("nan")
    elif kind == "optimizer buffer of the wrong size":
        buffers = state["_optimizer_state"]["params"][0]["buffers"]
        key = next(iter(buffers))
        buffers[key] = buffers[key][:-1]
    elif kind == "another optimizer's state":
        state["_optimizer_state"]["name"] = "SklearnSGD"
    elif kind == "missing coefs_":
        del state["coefs_"]
    elif kind == "network of another version":
        state["_network"] = state["_network"][:3]
    elif kind == "negative dropout steps":
        state["_dropout_steps"] = -1
    return state


@pytest.mark.parametrize(
    "kind",
    [
        "coefs_ of the wrong shape",
        "truncated coefs_",
        "coefs_ not arrays of floats",
        "mixed dtypes",
        "nan optimizer step",
        "optimizer buffer of the wrong size",
        "another optimizer's state",
        "missing coefs_",
        "network of another version",
        "negative dropout steps",
    ],
)
def test_a_tampered_estimator_state_is_refused_and_changes_nothing(kind):
    model, X = _fitted()
    other, _ = _fitted(np.float32)
    state = _estimator_tampering(kind, copy.deepcopy(model.__getstate__()))
    before = pickle.dumps(other)
    prediction = other.predict_proba(X)
    with pytest.raises((ValueError, TypeError, KeyError)):
        other.__setstate__(state)
    assert pickle.dumps(other) == before
    np.testing.assert_array_equal(other.predict_proba(X), prediction)


def test_an_estimators_state_still_round_trips():
    model, X = _fitted()
    twin = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(twin.predict_proba(X), model.predict_proba(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.partial_fit(X, model.predict(X))
        twin.partial_fit(X, twin.predict(X))
    _assert_same(_weights(model), _weights(twin))


def _lookahead():
    w = np.random.RandomState(0).randn(6)
    opt = optim.Lookahead(optim.Adam([w], lr=0.01), k=3)
    for _ in range(4):
        opt.step([w.copy()])
    return opt


def _lbfgs():
    w = np.random.RandomState(0).randn(6)
    opt = optim.LBFGS([w], max_iter=3)
    opt.step(lambda: (float(np.sum(w**2)), [2 * w]))
    return opt


@pytest.mark.parametrize(
    ("make", "tamper"),
    [
        (_lookahead, lambda sd: sd["fast_state"][0].update(step=float("nan"))),
        (_lookahead, lambda sd: sd.update(counter=7)),
        (_lookahead, lambda sd: sd["slow_state"][0].update(slow_param=np.zeros(5))),
        (_lbfgs, lambda sd: sd["state"][0].update(n_iter=float("nan"))),
        (_lbfgs, lambda sd: sd["state"][0].pop("d")),
    ],
)
def test_a_tampered_wrapper_or_lbfgs_state_is_refused_and_changes_nothing(make, tamper):
    opt = make()
    sd = copy.deepcopy(opt.state_dict())
    tamper(sd)
    before = _snapshot(opt)
    with pytest.raises((ValueError, TypeError, KeyError)):
        opt.load_state_dict(sd)
    assert _snapshot(opt) == before


def test_a_scheduler_state_with_inf_or_a_float_for_an_int_default_loads():
    # ReduceLROnPlateau's best is inf before its first step; eta_min=0 (an int) may be saved as 1e-3.
    stepped = schedules.ReduceLROnPlateau(optim.SGD([np.zeros(3)], lr=0.1))
    stepped.step(1.0)
    stepped.load_state_dict(schedules.ReduceLROnPlateau(optim.SGD([np.zeros(3)], lr=0.1)).state_dict())
    assert stepped.best == np.inf
    cosine = schedules.CosineAnnealingLR(optim.SGD([np.zeros(3)], lr=0.1), T_max=5)
    saved = schedules.CosineAnnealingLR(optim.SGD([np.zeros(3)], lr=0.1), T_max=5, eta_min=1e-3)
    saved.step()
    cosine.load_state_dict(saved.state_dict())
    assert cosine.eta_min == 1e-3 and cosine.last_epoch == 1
