"""Resource stability and determinism across thread counts (benchmarks/reliability.py measures more).

Resources: repeated fit / predict / pickle cycles keep the resident set flat and leave no thread or
file descriptor behind. Determinism: the optimizers' steps give the same bits on 1 and 2 threads
(Muon's matrix products excepted), and the estimators give the same bits for the same thread count,
and within rounding of each other on 1 and 2 threads.
"""

from __future__ import annotations

import os
import pickle
import threading
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import gradkit
from gradkit import MLPClassifier, optim, schedules

linux_only = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc/self")


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _resources():
    """(RSS in kB, OS threads, Python threads, open file descriptors)."""
    return _status("VmRSS"), _status("Threads"), threading.active_count(), len(os.listdir("/proc/self/fd"))


@pytest.fixture
def threads():
    """Restores the core's thread count after a test sets it."""
    before = gradkit.get_num_threads()
    yield
    gradkit.set_num_threads(before)


# ------------------------------------------------------------------ resources
@linux_only
def test_fit_predict_pickle_cycles_keep_memory_threads_and_files_flat():
    rng = np.random.RandomState(0)
    X = rng.randn(400, 20)
    y = (X[:, 0] > 0).astype(int)

    def cycle(i):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # a workspace of ~1 MB per fit: a leaked one per cycle would show as ~60 MB
            model = MLPClassifier(hidden_layer_sizes=(128,), max_iter=2, random_state=i).fit(X, y)
        twin = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(twin.predict_proba(X), model.predict_proba(X))
        w = np.ones(1000)
        opt = optim.Adam([w])
        scheduler = schedules.StepLR(opt, step_size=1)
        opt.step([w.copy()])
        scheduler.step()
        opt.load_state_dict(opt.state_dict())

    for i in range(5):  # warm-up: allocator pools, first-use imports
        cycle(i)
    before = _resources()
    for i in range(60):
        cycle(i)
    after = _resources()
    grown = (after[0] - before[0]) / 1024
    assert grown < 20, f"RSS grew by {grown:.1f} MB in 60 cycles"
    assert after[1:] == before[1:]  # OS threads, Python threads, open file descriptors


# ------------------------------------------------------------------ determinism
def _optimizer(name, params):
    if name == "Lookahead":
        return optim.Lookahead(optim.Adam(params))
    if name == "SGD":
        return optim.SGD(params, lr=0.01, momentum=0.9)
    return getattr(optim, name)(params)


_ELEMENTWISE = [n for n in optim.__all__ if n[0].isupper() and n not in ("Optimizer", "LBFGS", "Muon")]


def _steps(name, dtype, n_threads):
    gradkit.set_num_threads(n_threads)
    rng = np.random.RandomState(0)
    # 40,000 values each: the element-wise loops split them between 2 threads (parallel_chunks)
    params = [rng.randn(200, 200).astype(dtype), rng.randn(40_000).astype(dtype)]
    opt = _optimizer(name, params)
    if hasattr(opt, "train"):
        opt.train()
    for _ in range(3):
        opt.step([(2 * (p - 0.5) + 0.3 * np.sin(3 * p)).astype(dtype) for p in params])
    return params


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", _ELEMENTWISE)
def test_optimizer_steps_give_the_same_bits_on_one_and_two_threads(threads, name, dtype):
    one, two = _steps(name, dtype, 1), _steps(name, dtype, 2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_lbfgs_gives_the_same_bits_on_one_and_two_threads(threads):
    def run(n_threads):
        gradkit.set_num_threads(n_threads)
        params = [np.random.RandomState(0).randn(80_000)]

        def closure():
            p = params[0]
            return float(np.sum((p - 0.5) ** 2 + 0.1 * np.sin(3 * p))), [2 * (p - 0.5) + 0.3 * np.cos(3 * p)]

        optim.LBFGS(params, max_iter=10).step(closure)
        return params[0]

    np.testing.assert_array_equal(run(1), run(2))


def _fit(n_threads, hidden, n_features, dtype=np.float64, **kwargs):
    gradkit.set_num_threads(n_threads)
    rng = np.random.RandomState(0)
    X = rng.randn(1000, n_features).astype(dtype)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=hidden, max_iter=4, random_state=0, **kwargs).fit(X, y)
    return [a.copy() for a in model.coefs_ + model.intercepts_]


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_a_small_network_gives_the_same_bits_on_one_and_two_threads(threads, solver):
    # 10 features, hidden (16,): too little work per batch to split it, so scikit-learn's numbers
    # come out whatever the thread count.
    for a, b in zip(_fit(1, (16,), 10, solver=solver), _fit(2, (16,), 10, solver=solver)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_split_batch_is_within_rounding_on_two_threads_and_repeats_bit_for_bit(threads, dtype):
    # 64 features, hidden (128,): backprop cuts each batch of 200 rows into one range per thread, and
    # adds the ranges' gradient sums in another order than one pass over the rows would.
    one = _fit(1, (128,), 64, dtype)
    two = _fit(2, (128,), 64, dtype)
    again = _fit(2, (128,), 64, dtype)
    tolerance = 1e-9 if dtype == np.float64 else 1e-2
    for a, b, c in zip(one, two, again):
        np.testing.assert_array_equal(b, c)
        assert np.max(np.abs(a - b)) <= tolerance * np.max(np.abs(a))
