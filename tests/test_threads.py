"""Threads: gradkit honours OMP_NUM_THREADS, threadpoolctl and set_num_threads, and fits from several
Python threads at once give the numbers they give one at a time."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import gradkit
from gradkit import optim
from gradkit.neural_network import MLPClassifier, MLPRegressor


def _in_thread(fn: Callable[[], Any]) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = gradkit.get_num_threads()
    yield
    gradkit.set_num_threads(before)


def test_omp_num_threads_is_honoured_in_every_thread() -> None:
    # dask's nanny starts its workers with OMP_NUM_THREADS=1; their tasks run in worker threads.
    code = (
        "import threading, gradkit; out = []\n"
        "t = threading.Thread(target=lambda: out.append(gradkit.get_num_threads())); t.start(); t.join()\n"
        "print(gradkit.get_num_threads(), out[0])"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["1", "1"]


def test_set_num_threads_bounds_every_thread(restore_threads: None) -> None:
    gradkit.set_num_threads(1)
    assert gradkit.get_num_threads() == 1
    assert _in_thread(gradkit.get_num_threads) == 1  # omp_set_num_threads alone would not reach it
    gradkit.set_num_threads(2)
    assert gradkit.get_num_threads() == 2


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_threadpoolctl_sees_and_limits_gradkits_openmp(restore_threads: None) -> None:
    if not any(info["user_api"] == "openmp" for info in threadpool_info()):
        pytest.skip("the core was built without OpenMP")
    gradkit.set_num_threads(2)
    with threadpool_limits(1, user_api="openmp"):
        assert gradkit.get_num_threads() == 1
        limited = _fit(MLPClassifier, "adam")
    assert gradkit.get_num_threads() == 2
    gradkit.set_num_threads(1)
    one = _fit(MLPClassifier, "adam")
    for a, b in zip(limited, one):
        np.testing.assert_array_equal(a, b)


# Large enough that the products and the optimizer steps split across threads.
_rng = np.random.default_rng(0)
X = _rng.normal(size=(400, 120))
y_class = (X[:, :3].sum(axis=1) > 0).astype(int)
y_reg = X[:, :5] @ np.arange(1.0, 6.0)


def _fit(cls: type, solver: str, **kwargs: Any) -> list[np.ndarray]:
    est = cls(hidden_layer_sizes=(512,), solver=solver, batch_size=400, max_iter=4, random_state=0, **kwargs)
    est.fit(X, y_class if cls is MLPClassifier else y_reg)
    return est.coefs_ + est.intercepts_


def _steps(name: str) -> list[np.ndarray]:
    """Ten steps of an optimizer over arrays large enough for the core to split its loops."""
    rng = np.random.default_rng(1)
    params = [rng.normal(size=(300, 300)), rng.normal(size=1 << 17).astype(np.float32)]
    if name == "Muon":  # matrices only; its Newton-Schulz products are the threaded part
        params = params[:1]
    opts = [getattr(optim, name)([p], lr=1e-2) for p in params]
    for _ in range(10):
        for opt, p in zip(opts, params):
            opt.step([np.sin(p) + 0.1 * p])
    return params


RUNS: list[Callable[[], list[np.ndarray]]] = [
    lambda: _fit(MLPClassifier, "adam"),
    lambda: _fit(MLPClassifier, "sgd"),
    lambda: _fit(MLPRegressor, "lbfgs"),
    lambda: _fit(MLPRegressor, "adam", optimizer="RMSprop", lr_schedule=("CosineAnnealingLR", {"T_max": 4})),
    lambda: _steps("Adam"),
    lambda: _steps("SGD"),
    lambda: _steps("NAdam"),
    lambda: _steps("Muon"),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fits_from_two_python_threads_match_one_at_a_time() -> None:
    alone = [run() for run in RUNS]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda run: run(), RUNS + RUNS))
    for i, got in enumerate(together):
        for a, b in zip(got, alone[i % len(RUNS)]):
            np.testing.assert_array_equal(a, b)
