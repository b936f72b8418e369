"""scikit-learn's searches over gradkit estimators on joblib's "dask" backend give the n_jobs=1 results.

One LocalCluster of 2 worker processes with 1 thread each serves the module; the searches are small
(digits' first 360 rows, a few epochs) so that the module runs in well under a minute.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import gradkit
from gradkit.neural_network import MLPClassifier, MLPRegressor, optimizer_grid, schedule_grid

distributed = pytest.importorskip(
    "dask.distributed", reason="dask[distributed] is not installed (pip install gradkit[dask])"
)
joblib = pytest.importorskip("joblib")
from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402, F401
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def client():
    # The nanny sets its pre-spawn variables (OMP_NUM_THREADS=1, ...) in this process's environment
    # and leaves them there; later tests start subprocesses that must not inherit them.
    environ = dict(os.environ)
    try:
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
    finally:
        os.environ.clear()
        os.environ.update(environ)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:360] / 16.0, y[:360]


def _run_both(search_factory, X, y):
    """The search fitted with n_jobs=1 and again on the dask backend (each from a fresh factory call);
    checks that both workers ran some of the fits."""
    serial = search_factory(n_jobs=1).fit(X, y)
    with distributed.get_task_stream() as tasks, joblib.parallel_backend("dask"):
        on_dask = search_factory(n_jobs=None).fit(X, y)
    assert len({task["worker"] for task in tasks.data}) == 2
    return serial, on_dask


def _assert_same_search(serial, on_dask):
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_array_equal(on_dask.cv_results_[key], serial.cv_results_[key])
    assert on_dask.cv_results_["params"] == serial.cv_results_["params"]
    assert on_dask.best_params_ == serial.best_params_
    # the refit best model is the same network, weight for weight
    for a, b in zip(on_dask.best_estimator_.coefs_, serial.best_estimator_.coefs_):
        np.testing.assert_array_equal(a, b)


def test_grid_search_over_optimizers_and_schedules_on_dask_equals_n_jobs_1(client, digits):
    X, y = digits
    param_grid = {
        "optimizer": optimizer_grid("Adam", betas=[(0.9, 0.999), (0.8, 0.99)])
        + optimizer_grid("SGD", momentum=[0.9], nesterov=[True]),
        "learning_rate_init": [3e-3, 3e-2],
        "lr_schedule": [None, *schedule_grid("StepLR", step_size=[4], gamma=[0.5])],
    }
    estimator = MLPClassifier(hidden_layer_sizes=(16,), max_iter=8, random_state=0)

    def factory(n_jobs):
        return GridSearchCV(estimator, param_grid, cv=3, n_jobs=n_jobs)

    serial, on_dask = _run_both(factory, X, y)
    assert len(serial.cv_results_["params"]) == 12
    # the workers ran their fits on one thread each (the nanny's OMP_NUM_THREADS=1)
    assert set(client.run(gradkit.get_num_threads).values()) == {1}
    _assert_same_search(serial, on_dask)
    # and the search learned something: the best beats chance by far
    assert serial.best_score_ > 0.5


def test_randomized_search_on_dask_equals_n_jobs_1(client, digits):
    X, y = digits
    distributions = {
        "optimizer": optimizer_grid("AdamW", weight_decay=[0.0, 1e-3, 1e-2]) + optimizer_grid("RMSprop"),
        "learning_rate_init": np.geomspace(1e-3, 1e-1, 9).tolist(),
        "lr_schedule": [None, *schedule_grid("CosineAnnealingLR", "batch", T_max=[40, 80])],
        "alpha": [1e-4, 1e-2],
    }
    estimator = MLPClassifier(hidden_layer_sizes=(16,), max_iter=6, random_state=0)

    def factory(n_jobs):
        return RandomizedSearchCV(estimator, distributions, n_iter=6, cv=3, random_state=7, n_jobs=n_jobs)

    _assert_same_search(*_run_both(factory, X, y))


def test_halving_search_over_max_iter_on_dask_equals_n_jobs_1(client):
    X, y = make_regression(n_samples=240, n_features=8, noise=0.1, random_state=0)
    y = y / y.std()
    distributions = {
        "optimizer": optimizer_grid("Adam") + optimizer_grid("SGD", momentum=[0.9]),
        "learning_rate_init": [1e-3, 1e-2, 3e-2],
        "lr_schedule": [None, ("ExponentialLR", {"gamma": 0.95})],
    }
    estimator = MLPRegressor(hidden_layer_sizes=(16,), random_state=0)

    def factory(n_jobs):
        return HalvingRandomSearchCV(
            estimator,
            distributions,
            resource="max_iter",
            min_resources=3,
            max_resources=27,
            factor=3,
            cv=3,
            random_state=0,
            n_jobs=n_jobs,
        )

    serial, on_dask = _run_both(factory, X, y)
    assert serial.n_iterations_ == 3 and list(serial.n_resources_) == [3, 9, 27]
    _assert_same_search(serial, on_dask)
    np.testing.assert_array_equal(on_dask.cv_results_["param_max_iter"], serial.cv_results_["param_max_iter"])


def _fit_in_place(X, y):
    """Fit on X, and report how X is laid out and whether fit handed the core that very buffer (the
    core's binding takes only aligned C-contiguous arrays of the work's dtype, read where they lie)."""
    from gradkit.neural_network import _base

    handed = []
    original = _base._BaseMLP._fit_stochastic

    def spy(self, X_arg, *args, **kwargs):
        handed.append(X_arg)
        return original(self, X_arg, *args, **kwargs)

    _base._BaseMLP._fit_stochastic = spy
    try:
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    finally:
        _base._BaseMLP._fit_stochastic = original
    [X_fit] = handed
    return {
        "pid": os.getpid(),
        "c_contiguous": X.flags.c_contiguous,
        "aligned": X.flags.aligned,
        "dtype": str(X.dtype),
        "same_buffer": X_fit.ctypes.data == X.ctypes.data,
        "fit_aligned": X_fit.flags.aligned and X_fit.flags.c_contiguous and X_fit.dtype == X.dtype,
    }


def _fit_after_aligning(X, y):
    """On a worker: align the received X once (np.require), then fit reads that array in place."""
    return _fit_in_place(np.require(X, requirements=["C_CONTIGUOUS", "ALIGNED"]), y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scattered_X_on_the_worker(client, digits, dtype):
    X, y = digits
    X = np.ascontiguousarray(X, dtype=dtype)
    [X_future] = client.scatter([X], broadcast=True)
    report = client.submit(_fit_in_place, X_future, y, pure=False).result()
    assert report["pid"] != os.getpid()  # a worker process, not this one
    # What dask hands the worker: a C-contiguous array of X's dtype that is a view into the received
    # message, right after its header, so not aligned to the element size (distributed 2026.8 reads a
    # lone array into the buffer of its header). The core reads aligned rows only, so fit trains on one
    # aligned copy (np.require) instead; it stays the same dtype (float32 is not widened).
    assert report["c_contiguous"] and report["dtype"] == np.dtype(dtype).name and report["fit_aligned"]
    assert report["same_buffer"] == report["aligned"]
    # Aligned once on the worker, it is read in place by every fit there.
    aligned = client.submit(_fit_after_aligning, X_future, y, pure=False).result()
    assert aligned["aligned"] and aligned["same_buffer"]


def test_fit_reads_a_read_only_C_contiguous_X_in_place(digits):
    """A read-only aligned C-contiguous float array (a memory-mapped .npy, a shared buffer) is trained
    on where it lies."""
    X, y = digits
    X = np.ascontiguousarray(X)
    X.flags.writeable = False
    report = _fit_in_place(X, y)
    assert report["same_buffer"] and report["pid"] == os.getpid()
