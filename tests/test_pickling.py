"""Optimizers, schedulers and estimators cross process boundaries: pickle and cloudpickle, and back.

Each case is stepped, pickled (parameters, optimizer and scheduler together, as a checkpoint or a
dask task holds them), unpickled here and in a fresh interpreter, and stepped on: the parameters
must equal bit for bit those of the run that was never pickled.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pytest

from gradkit import optim, schedules
from gradkit.neural_network import MLPClassifier, MLPRegressor

# The same driver runs here and in the child interpreter: one step from a gradient that depends on the
# parameters, the scheduler stepped after it (with the loss if it is loss-driven).
DRIVER = """
import numpy as np

def drive(params, opt, sched, n):
    for _ in range(n):
        def closure():
            return float(sum((p.astype(np.float64) ** 2).sum() for p in params)), [
                np.sin(p) + 0.1 * p for p in params
            ]
        loss, grads = closure()
        opt.step(closure if getattr(opt, "_needs_closure", False) else grads)
        if sched is not None:
            if getattr(sched, "_loss_driven", False):
                sched.step(loss)
            else:
                sched.step()
"""
_namespace: dict[str, Any] = {}
exec(DRIVER, _namespace)
drive: Callable[..., None] = _namespace["drive"]


def halve(epoch: int) -> float:
    return 0.5 ** (epoch // 2)


def shrink(epoch: int) -> float:
    return 0.9


def _params(dtype: type = np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=4).astype(dtype)]


def _opt(name: str, params: list[np.ndarray]) -> Any:
    if name == "Muon":
        return optim.Muon(params[:1], lr=0.02)
    if name == "LBFGS":
        opt = optim.LBFGS(params, lr=0.5, max_iter=3, history_size=4, line_search_fn="strong_wolfe")
        opt._needs_closure = True  # read by the driver only
        return opt
    if name == "Lookahead":
        return optim.Lookahead(optim.Adam(params, lr=0.05), k=3, alpha=0.5)
    if name == "SGD-groups":
        opt = optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.02}], lr=0.05, momentum=0.9)
        opt.set_lr_scale([np.full(params[0].shape, 0.5, params[0].dtype), None])
        return opt
    opt = getattr(optim, name)(params, lr=0.01)
    if name.startswith("ScheduleFree"):
        opt.train()
    return opt


OPTIMIZERS = [
    "SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop",
    "ASGD", "LBFGS", "Lion", "Adafactor", "Prodigy", "Muon", "ScheduleFreeSGD", "ScheduleFreeAdamW",
    "Lookahead", "SGD-groups",
]  # fmt: skip


def _sched(name: str, params: list[np.ndarray]) -> tuple[Any, Any]:
    S = schedules
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    builders: dict[str, Callable[[], Any]] = {
        "StepLR": lambda: S.StepLR(opt, step_size=2, gamma=0.5),
        "MultiStepLR": lambda: S.MultiStepLR(opt, [2, 4]),
        "ConstantLR": lambda: S.ConstantLR(opt),
        "LinearLR": lambda: S.LinearLR(opt),
        "ExponentialLR": lambda: S.ExponentialLR(opt, 0.9),
        "PolynomialLR": lambda: S.PolynomialLR(opt, total_iters=8),
        "CosineAnnealingLR": lambda: S.CosineAnnealingLR(opt, T_max=6),
        "CosineAnnealingWarmRestarts": lambda: S.CosineAnnealingWarmRestarts(opt, T_0=3),
        "CyclicLR": lambda: S.CyclicLR(opt, 0.01, 0.1, step_size_up=3),
        "CyclicLR-scale_fn": lambda: S.CyclicLR(opt, 0.01, 0.1, step_size_up=3, scale_fn=halve),
        "OneCycleLR": lambda: S.OneCycleLR(opt, 0.1, total_steps=20),
        "LambdaLR": lambda: S.LambdaLR(opt, halve),
        "MultiplicativeLR": lambda: S.MultiplicativeLR(opt, shrink),
        "SequentialLR": lambda: S.SequentialLR(
            opt, [S.ConstantLR(opt, factor=0.5, total_iters=2), S.ExponentialLR(opt, 0.9)], [3]
        ),
        "ChainedScheduler": lambda: S.ChainedScheduler([S.ExponentialLR(opt, 0.9), S.StepLR(opt, 2)]),
        "ReduceLROnPlateau": lambda: S.ReduceLROnPlateau(opt, patience=1, factor=0.5, threshold=0.5),
        "AdaptiveLR": lambda: S.AdaptiveLR(opt, patience=1, tol=0.5),
        "BoldDriverLR": lambda: S.BoldDriverLR(opt),
        "RandomLR": lambda: S.RandomLR(opt, 0.5, 1.5, seed=3),
        "InverseTimeLR": lambda: S.InverseTimeLR(opt, 0.5),
        "InvScalingLR": lambda: S.InvScalingLR(opt),
        "RestartLR": lambda: S.RestartLR(opt, period=3, gamma=0.5),
        "PiecewiseConstantLR": lambda: S.PiecewiseConstantLR(opt, [2, 4], [0.1, 0.05, 0.01]),
        "WarmupCosineLR": lambda: S.WarmupCosineLR(opt, warmup_steps=2, total_steps=10),
    }
    sched = builders[name]()
    sched._loss_driven = name in ("ReduceLROnPlateau", "AdaptiveLR", "BoldDriverLR")
    return opt, sched


SCHEDULERS = [
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "CyclicLR-scale_fn", "OneCycleLR",
    "LambdaLR", "MultiplicativeLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau",
    "AdaptiveLR", "BoldDriverLR", "RandomLR", "InverseTimeLR", "InvScalingLR", "RestartLR",
    "PiecewiseConstantLR", "WarmupCosineLR",
]  # fmt: skip


def _stepped(opt: Any) -> list[np.ndarray]:
    """The arrays ``opt`` updates, in param-group order."""
    return [p for group in opt.param_groups for p in group["params"]]


def _case(kind: str, name: str, dtype: type = np.float64) -> tuple[list[np.ndarray], Any, Any]:
    params = _params(dtype)
    if kind == "optimizer":
        opt, sched = _opt(name, params), None
    else:
        opt, sched = _sched(name, params)
    return _stepped(opt), opt, sched


CASES = [("optimizer", n) for n in OPTIMIZERS] + [("scheduler", n) for n in SCHEDULERS]


def _reference(kind: str, name: str, dtype: type, first: int, then: int) -> tuple[bytes, list[np.ndarray]]:
    """The pickle after ``first`` steps, and the parameters after ``first + then`` steps unpickled never."""
    params, opt, sched = _case(kind, name, dtype)
    drive(params, opt, sched, first)
    blob = pickle.dumps((params, opt, sched))  # the functions of this module are pickled by reference
    assert pickle.loads(pickle.dumps((params, opt, sched))) is not None  # plain pickle too (no lambdas)
    drive(params, opt, sched, then)
    return blob, params


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("kind", "name"), CASES)
def test_unpickled_continues_bit_for_bit(kind: str, name: str, dtype: type) -> None:
    params, opt, sched = _case(kind, name, dtype)
    drive(params, opt, sched, 4)
    reference, ref_opt, ref_sched = _case(kind, name, dtype)  # never pickled: runs all 9 steps
    drive(reference, ref_opt, ref_sched, 9)
    for dumps in (pickle.dumps, cloudpickle.dumps):
        p2, opt2, sched2 = pickle.loads(dumps((params, opt, sched)))
        assert all(a.dtype == dtype and a.flags.writeable and a.flags.c_contiguous for a in p2)
        assert all(a is b for a, b in zip(_stepped(opt2), p2))  # the arrays stay the parameters
        if sched2 is not None:
            assert sched2.optimizer is opt2  # pickle's memo keeps the scheduler on its optimizer
        drive(p2, opt2, sched2, 5)
        for a, b in zip(p2, reference):
            np.testing.assert_array_equal(a, b)
        assert opt2.param_groups[0]["lr"] == ref_opt.param_groups[0]["lr"]
        assert type(opt2).__repr__(opt2) == type(ref_opt).__repr__(ref_opt)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_unpickled_in_another_process_continues_bit_for_bit() -> None:
    blobs, expected = {}, {}
    for kind, name in CASES:
        blobs[name], expected[name] = _reference(kind, name, np.float64, 4, 5)
    # A lambda goes by value with cloudpickle, and the child needs only cloudpickle to load it.
    params = _params(np.float32)
    opt = optim.Adam(params, lr=0.05)
    sched = schedules.LambdaLR(opt, lambda epoch: 0.8**epoch)
    drive(params, opt, sched, 4)
    blobs["LambdaLR-lambda"] = cloudpickle.dumps((params, opt, sched))
    drive(params, opt, sched, 5)
    expected["LambdaLR-lambda"] = params
    # Estimators: predictions, and one more partial_fit, in the child.
    est = MLPClassifier(hidden_layer_sizes=(6,), max_iter=3, random_state=0, optimizer="NAdam")
    est.fit(X, y_class)
    estimator_blob = pickle.dumps(est)
    predicted = est.predict_proba(X)
    est.partial_fit(X, y_class)
    child = (
        DRIVER
        + """
import pickle, sys, warnings
blobs, estimator_blob, X, y = pickle.load(sys.stdin.buffer)
out = {}
for name, blob in blobs.items():
    params, opt, sched = pickle.loads(blob)
    drive(params, opt, sched, 5)
    out[name] = params
est = pickle.loads(estimator_blob)
predicted = est.predict_proba(X)
est.partial_fit(X, y)
pickle.dump((out, predicted, est.coefs_ + est.intercepts_), sys.stdout.buffer)
"""
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", child],
        input=pickle.dumps((blobs, estimator_blob, X, y_class)),
        capture_output=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr.decode()
    got, got_predicted, got_weights = pickle.loads(done.stdout)
    assert sorted(got) == sorted(expected)
    for name, params in expected.items():
        for a, b in zip(got[name], params):
            np.testing.assert_array_equal(a, b, err_msg=name)
    np.testing.assert_array_equal(got_predicted, predicted)
    for a, b in zip(got_weights, est.coefs_ + est.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_out_of_band_buffers() -> None:
    """Protocol 5 with buffers sent apart (as dask sends arrays): writeable ones stay the parameters,
    read-only ones are copied, and either way stepping continues bit for bit."""
    params, opt, sched = _case("scheduler", "CosineAnnealingLR")
    drive(params, opt, sched, 3)
    buffers: list[pickle.PickleBuffer] = []
    blob = pickle.dumps((params, opt, sched), protocol=5, buffer_callback=buffers.append)
    assert buffers  # the arrays did go out of band
    reference, ref_opt, ref_sched = _case("scheduler", "CosineAnnealingLR")
    drive(reference, ref_opt, ref_sched, 6)
    p2, opt2, sched2 = pickle.loads(blob, buffers=[bytearray(b.raw()) for b in buffers])
    assert all(a is b for a, b in zip(_stepped(opt2), p2))
    p3, opt3, sched3 = pickle.loads(blob, buffers=[bytes(b.raw()) for b in buffers])
    assert not p3[0].flags.writeable
    for got, o, s in ((p2, opt2, sched2), (_stepped(opt3), opt3, sched3)):
        drive(got, o, s, 3)
        for a, b in zip(got, reference):
            np.testing.assert_array_equal(a, b)


def test_modes_survive_pickling() -> None:
    """Lookahead and Schedule-Free pickled in eval mode unpickle in eval mode, and train() goes back."""
    params = _params()
    opt = optim.Lookahead(optim.ScheduleFreeAdamW(params, lr=0.05), k=2)
    opt.train()
    drive(params, opt, None, 5)
    opt.eval()
    p2, opt2 = pickle.loads(pickle.dumps((params, opt)))
    for a, b in zip(p2, params):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="eval mode"):
        opt2.step([np.ones_like(p) for p in p2])
    opt.train()
    opt2.train()
    assert opt2.param_groups is opt2.optimizer.param_groups
    drive(params, opt, None, 3)
    drive(p2, opt2, None, 3)
    for a, b in zip(p2, params):
        np.testing.assert_array_equal(a, b)


def test_lambda_needs_cloudpickle_and_the_error_names_it() -> None:
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    sched = schedules.LambdaLR(opt, lambda epoch: 0.9**epoch)
    with pytest.raises(pickle.PicklingError, match=r"LambdaLR\.lr_lambdas\[0\].*cloudpickle"):
        pickle.dumps(sched)
    drive(params, opt, sched, 3)
    p2, opt2, sched2 = pickle.loads(cloudpickle.dumps((params, opt, sched)))
    drive(params, opt, sched, 3)
    drive(p2, opt2, sched2, 3)
    for a, b in zip(p2, params):
        np.testing.assert_array_equal(a, b)
    cyclic = schedules.CyclicLR(opt, 0.01, 0.1, scale_fn=lambda x: 1.0)
    with pytest.raises(pickle.PicklingError, match=r"CyclicLR\.scale_fn"):
        pickle.dumps(cyclic)


def test_an_unpicklable_state_of_another_format_is_refused() -> None:
    opt = optim.Adam(_params(), lr=0.1)
    state = opt.__getstate__()
    fresh = optim.Adam.__new__(optim.Adam)
    with pytest.raises(ValueError, match="format"):
        fresh.__setstate__({**state, "format": 99})
    with pytest.raises(ValueError, match="format"):
        fresh.__setstate__({"param_groups": []})


def test_copy_and_deepcopy_of_an_optimizer() -> None:
    import copy

    params = _params()
    opt = optim.Adam(params, lr=0.1)
    drive(params, opt, None, 2)
    deep = copy.deepcopy(opt)
    assert deep.param_groups[0]["params"][0] is not params[0]
    np.testing.assert_array_equal(deep.param_groups[0]["params"][0], params[0])
    sched = schedules.LambdaLR(opt, lambda epoch: 1.0)  # deepcopy of a lambda is allowed, as ever
    assert copy.deepcopy(sched).optimizer is not opt


# Estimators: fitted and unfitted, with gradkit's optimizer= and lr_schedule=, through both picklers.

X = np.random.default_rng(1).normal(size=(60, 5))
y_class = (X[:, 0] + X[:, 1] > 0).astype(int)
y_reg = X @ np.arange(5.0)

ESTIMATORS = [
    lambda: MLPClassifier(hidden_layer_sizes=(7,), max_iter=5, random_state=0),
    lambda: MLPClassifier(
        hidden_layer_sizes=(6,), max_iter=5, random_state=0, optimizer=("AdamW", {"weight_decay": 0.01}),
        lr_schedule=("CosineAnnealingLR", {"T_max": 5}),
    ),
    lambda: MLPRegressor(hidden_layer_sizes=(5,), solver="sgd", max_iter=5, random_state=0),
    lambda: MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=5, random_state=0),
]  # fmt: skip


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps], ids=["pickle", "cloudpickle"])
@pytest.mark.parametrize("make", ESTIMATORS)
def test_estimators_pickle_fitted_and_unfitted(
    make: Callable[[], Any], dumps: Callable[[Any], bytes]
) -> None:
    est = make()
    y = y_class if isinstance(est, MLPClassifier) else y_reg
    unfitted = pickle.loads(dumps(est))
    assert unfitted.get_params() == est.get_params()
    est.fit(X, y)
    np.testing.assert_array_equal(unfitted.fit(X, y).predict(X), est.predict(X))
    fitted = pickle.loads(dumps(est))
    np.testing.assert_array_equal(fitted.predict(X), est.predict(X))
    if est.solver != "lbfgs":  # identical continuation
        est.partial_fit(X, y)
        fitted.partial_fit(X, y)
        for a, b in zip(fitted.coefs_, est.coefs_):
            np.testing.assert_array_equal(a, b)


def _stop(report: Any) -> bool:
    return False


def test_estimator_with_a_lambda_callback_names_it() -> None:
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, callbacks=[_stop, lambda report: False])
    with pytest.raises(pickle.PicklingError, match=r"MLPClassifier\.callbacks\[1\].*cloudpickle"):
        pickle.dumps(est)
    again = pickle.loads(cloudpickle.dumps(est))
    assert again.callbacks[0] is _stop and callable(again.callbacks[1])
    assert pickle.loads(pickle.dumps(MLPClassifier(callbacks=[_stop]))).callbacks == [_stop]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimator_fitted_with_a_progress_bar_pickles() -> None:
    pytest.importorskip("tqdm")
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0, progress=True)
    est.fit(X, y_class)
    assert not any("tqdm" in type(v).__module__ for v in vars(est).values())
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))


def test_gradkit_import_does_not_import_cloudpickle() -> None:
    code = "import sys, gradkit; gradkit.optim.Adam; print('cloudpickle' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
