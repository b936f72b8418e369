"""Behaviour of gradkit.MLPClassifier and gradkit.MLPRegressor as scikit-learn estimators."""

from __future__ import annotations

import inspect
import pickle
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils import shuffle as sk_shuffle  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import gradkit  # noqa: E402
from gradkit import MLPClassifier, MLPRegressor  # noqa: E402
from gradkit.neural_network._targets import _core_array  # noqa: E402

# scikit-learn 1.9.1's signatures, in order (MLPRegressor's first positional argument is `loss`).
SKLEARN_PARAMS = [
    ("hidden_layer_sizes", (100,)),
    ("activation", "relu"),
    ("solver", "adam"),
    ("alpha", 0.0001),
    ("batch_size", "auto"),
    ("learning_rate", "constant"),
    ("learning_rate_init", 0.001),
    ("power_t", 0.5),
    ("max_iter", 200),
    ("shuffle", True),
    ("random_state", None),
    ("tol", 1e-4),
    ("verbose", False),
    ("warm_start", False),
    ("momentum", 0.9),
    ("nesterovs_momentum", True),
    ("early_stopping", False),
    ("validation_fraction", 0.1),
    ("beta_1", 0.9),
    ("beta_2", 0.999),
    ("epsilon", 1e-8),
    ("n_iter_no_change", 10),
    ("max_fun", 15000),
]


def blobs(n=120, n_features=5, n_classes=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(n_classes, n_features))
    y = np.arange(n) % n_classes
    X = centers[y] + rng.normal(size=(n, n_features))
    return X.astype(dtype), y


def regression(n=120, n_features=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, n_features))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2 - 0.5 * X[:, 2]
    return X.astype(dtype), y


def quiet_fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


# ---------------------------------------------------------------- the package and its contract


def test_import_gradkit_does_not_import_sklearn():
    code = "import sys, gradkit; assert 'sklearn' not in sys.modules, 'sklearn imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_estimators_without_sklearn_say_how_to_install_it():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import gradkit\n"
        "try:\n    gradkit.MLPClassifier\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "pip install gradkit[sklearn]" in out


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_constructor_is_sklearns(Est):
    params = list(inspect.signature(Est.__init__).parameters.values())[1:]
    # scikit-learn's arguments, then gradkit's own (tests/test_mlp_training_options.py)
    gradkit_params = [("optimizer", None), ("lr_schedule", None), ("callbacks", None), ("progress", False)]
    gradkit_params += [("clip_grad_norm", None), ("on_divergence", "warn")]
    # tests/test_mlp_network_options.py
    gradkit_params += [("negative_slope", 0.01), ("dropout", None)]
    if Est is MLPRegressor:
        gradkit_params += [("huber_delta", 1.0), ("quantile", 0.5)]
    # tests/test_mlp_validation.py
    if Est is MLPClassifier:
        gradkit_params.append(("class_weight", None))
    gradkit_params.append(("restore_best_weights", None))
    expected = ([("loss", "squared_error")] if Est is MLPRegressor else []) + SKLEARN_PARAMS + gradkit_params
    assert [(p.name, p.default) for p in params] == expected
    positional = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional == (["loss"] if Est is MLPRegressor else []) + ["hidden_layer_sizes", "activation"]


@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_clone_pipeline_grid_search_and_cross_val_score():
    X, y = blobs()
    pipe = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0)
    )
    grid = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=3)
    quiet_fit(grid, X, y)
    assert grid.best_score_ > 0.9
    assert clone(pipe).get_params()["mlpclassifier__hidden_layer_sizes"] == (8,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(
            MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0), *regression()
        )
    assert scores.mean() > 0.9


@pytest.mark.parametrize("Est,data", [(MLPClassifier, blobs), (MLPRegressor, regression)])
def test_pickle_round_trip_predicts_alike_and_partial_fit_continues_alike(Est, data):
    X, y = data()
    kwargs = dict(hidden_layer_sizes=(6,), solver="sgd", learning_rate_init=0.05, random_state=0)
    a = Est(**kwargs)
    b = Est(**kwargs)
    if Est is MLPClassifier:
        a.partial_fit(X, y, classes=np.unique(y))
        b.partial_fit(X, y, classes=np.unique(y))
    else:
        a.partial_fit(X, y)
        b.partial_fit(X, y)
    b = pickle.loads(pickle.dumps(b))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    a.partial_fit(X, y)
    b.partial_fit(X, y)  # the velocities came along
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(ca, cb)
    assert np.shares_memory(b.coefs_[0], b._trainer.params)


# ---------------------------------------------------------------- weights, dtypes and zero-copy


def test_coefs_are_views_of_the_trainers_weights_and_edits_reach_predictions():
    X, y = regression()
    reg = quiet_fit(MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
    flat = reg._trainer.params
    assert all(np.shares_memory(c, flat) for c in reg.coefs_ + reg.intercepts_)
    before = reg.predict(X[:3])
    reg.intercepts_[-1][0] += 1.0
    np.testing.assert_allclose(reg.predict(X[:3]), before + 1.0)


def test_assigned_weight_arrays_are_used_and_checked():
    X, y = regression()
    reg = quiet_fit(MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
    reg.coefs_ = [np.zeros_like(c) for c in reg.coefs_]
    np.testing.assert_allclose(reg.predict(X[:4]), np.full(4, reg.intercepts_[-1][0]))
    reg.coefs_ = [np.zeros((2, 2)), reg.coefs_[1]]
    with pytest.raises(ValueError, match=r"coefs_\[0\]: expected shape \(4, 5\)"):
        reg.predict(X)


def test_contiguous_float_input_is_used_in_place_and_others_converted_once():
    X, _ = blobs()
    assert _core_array(X, X.dtype) is X
    assert _core_array(X.astype(np.float32), np.float32).dtype == np.float32
    F = np.asfortranarray(X)
    converted = _core_array(F, X.dtype)
    assert converted.flags.c_contiguous and not np.shares_memory(converted, F)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_arrays_skip_validate_data_and_predict_as_validated_input(dtype, monkeypatch):
    X, y = blobs(dtype=dtype)
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0), X, y)
    reg = quiet_fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0), X, y.astype(dtype))
    others = [X.tolist(), np.asfortranarray(X), X.astype(np.float32 if dtype == np.float64 else np.float64)]
    expected = [(clf.predict_proba(x), reg.predict(x)) for x in others]  # through validate_data
    module = sys.modules[MLPClassifier.__module__]
    calls = []
    monkeypatch.setattr(module, "validate_data", lambda *a, **k: calls.append(a) or a[1])
    proba, pred = clf.predict_proba(X), reg.predict(X)
    assert calls == []  # a C-contiguous float array with the fitted columns skips validate_data
    for (p, r), x in zip(expected, others):
        if np.asarray(x).dtype == dtype:  # the same numbers
            np.testing.assert_array_equal(p, proba)
            np.testing.assert_array_equal(r, pred)
        else:  # X rounded to the model's dtype when it is float32
            np.testing.assert_allclose(p, proba, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(r, pred, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(proba, axis=1)])
    monkeypatch.undo()
    # Every input validate_data refuses still reaches it, and gets scikit-learn's message.
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.predict_proba(bad)
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        reg.predict(bad)
    with pytest.raises(ValueError, match="X has 4 features, but MLPClassifier is expecting 5 features"):
        clf.predict(X[:, :4].copy())
    with pytest.raises(ValueError, match="0 sample"):
        clf.predict_proba(X[:0])
    with pytest.raises(NotFittedError):
        MLPClassifier().predict_proba(X)


def test_float32_trains_and_predicts_in_float32():
    X, y = blobs(dtype=np.float32)
    clf = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.05, max_iter=30, random_state=0), X, y
    )
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X).dtype == np.float32
    assert clf.score(X, y) > 0.9
    X64 = X.astype(np.float64)
    ref = quiet_fit(
        MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.05, max_iter=30, random_state=0), X64, y
    )
    np.testing.assert_allclose(clf.coefs_[0], ref.coefs_[0], rtol=1e-3, atol=1e-4)


def test_read_only_input_trains():
    X, y = blobs()
    X.setflags(write=False)
    quiet_fit(MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0), X, y)


def test_sparse_input_gives_the_dense_results():
    sp = pytest.importorskip("scipy.sparse")
    X, y = blobs()
    X[X < 0.5] = 0.0
    kw = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0)
    dense = quiet_fit(MLPClassifier(**kw), X, y)
    sparse = quiet_fit(MLPClassifier(**kw), sp.csr_matrix(X), y)
    np.testing.assert_array_equal(dense.coefs_[0], sparse.coefs_[0])
    np.testing.assert_array_equal(dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)))


# ---------------------------------------------------------------- the random state


def test_random_state_instance_advances_as_sklearns_draws():
    """Initial weights, then one permutation per epoch, all from the caller's generator."""
    X, y = blobs(n=50)
    rs = np.random.RandomState(3)
    quiet_fit(MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, batch_size=10, random_state=rs), X, y)
    ref = np.random.RandomState(3)
    for fan_in, fan_out in [(5, 4), (4, 3)]:
        ref.uniform(-1, 1, (fan_in, fan_out))
        ref.uniform(-1, 1, fan_out)
    idx = np.arange(50)
    for _ in range(3):
        idx = sk_shuffle(idx, random_state=ref)
    assert rs.randint(1 << 30) == ref.randint(1 << 30)


def test_a_random_state_over_another_bit_generator_is_reproducible():
    X, y = blobs()
    kw = dict(hidden_layer_sizes=(5,), max_iter=4)
    a = quiet_fit(MLPClassifier(random_state=np.random.RandomState(np.random.PCG64(0)), **kw), X, y)
    b = quiet_fit(MLPClassifier(random_state=np.random.RandomState(np.random.PCG64(0)), **kw), X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


def test_same_seed_same_model_and_global_generator_is_used_for_none():
    X, y = blobs()
    kw = dict(hidden_layer_sizes=(5,), max_iter=4)
    a = quiet_fit(MLPClassifier(random_state=7, **kw), X, y)
    b = quiet_fit(MLPClassifier(random_state=7, **kw), X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    np.random.seed(11)  # noqa: NPY002 - random_state=None is sklearn's global RandomState
    c = quiet_fit(MLPClassifier(random_state=None, **kw), X, y)
    np.random.seed(11)  # noqa: NPY002 - random_state=None is sklearn's global RandomState
    d = quiet_fit(MLPClassifier(random_state=None, **kw), X, y)
    np.testing.assert_array_equal(c.coefs_[0], d.coefs_[0])


# ---------------------------------------------------------------- the arguments


def test_warm_start_continues_from_the_weights_and_counts_samples():
    X, y = blobs()
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(6,), max_iter=3, warm_start=True, random_state=0), X, y)
    first = clf.coefs_[0].copy()
    quiet_fit(clf, X, y)
    assert clf.n_iter_ == 3  # sklearn counts the epochs of each fit
    assert clf.t_ == 6 * len(X)
    assert len(clf.loss_curve_) == 6
    assert not np.array_equal(first, clf.coefs_[0])
    cold = quiet_fit(MLPClassifier(hidden_layer_sizes=(6,), max_iter=3, random_state=0), X, y)
    np.testing.assert_array_equal(cold.coefs_[0], first)
    with pytest.raises(ValueError, match="warm_start can only be used"):
        clf.fit(X, (y + 1) % 4)


def test_partial_fit_is_one_epoch_and_only_for_stochastic_solvers():
    X, y = blobs()
    clf = MLPClassifier(hidden_layer_sizes=(6,), random_state=0)
    for i in range(3):
        clf.partial_fit(X, y, classes=[0, 1, 2])
        assert clf.n_iter_ == 1
        assert clf.t_ == (i + 1) * len(X)
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, y + 5)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(*regression())


def test_early_stopping_keeps_the_best_validation_weights():
    X, y = blobs(n=200)
    clf = quiet_fit(
        MLPClassifier(
            hidden_layer_sizes=(6,), early_stopping=True, n_iter_no_change=3, max_iter=100, random_state=0
        ),
        X,
        y,
    )
    assert clf.best_loss_ is None
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPClassifier(early_stopping=True, validation_fraction=0.01).fit(X[:50], y[:50])


def test_tol_and_n_iter_no_change_stop_training():
    X, y = blobs()
    clf = MLPClassifier(hidden_layer_sizes=(6,), tol=1e6, n_iter_no_change=2, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ == 4  # epoch 1 improves on inf; epochs 2, 3, 4 do not: 3 > n_iter_no_change
    never = MLPClassifier(
        hidden_layer_sizes=(6,), tol=1e6, n_iter_no_change=np.inf, max_iter=5, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(5\) reached"):
        never.fit(X, y)
    assert never.n_iter_ == 5


def test_adaptive_divides_the_rate_by_five_and_stops_below_1e6(capsys):
    X, y = blobs()
    clf = MLPClassifier(
        hidden_layer_sizes=(6,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        tol=1e6,
        n_iter_no_change=1,
        max_iter=100,
        verbose=True,
        random_state=0,
    )
    clf.fit(X, y)
    out = capsys.readouterr().out
    assert "Setting learning rate to 0.002000" in out
    assert "Learning rate too small. Stopping." in out
    # The first epoch always improves on best_loss_ = inf; then each second epoch stalls (count > 1):
    # 0.01 / 5**k <= 1e-6 first for k = 6, so six reductions at epochs 3, 5, ..., 13, and a stop at 15.
    assert clf.n_iter_ == 15


def test_verbose_prints_sklearns_lines(capsys):
    X, y = regression()
    quiet_fit(
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, early_stopping=True, verbose=True, random_state=0),
        X,
        y,
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ")
    assert lines[1].startswith("Validation score: ")
    assert lines[2].startswith("Iteration 2, loss = ")


def test_batch_size_larger_than_the_data_is_clipped_with_a_warning():
    X, y = blobs(n=30)
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        quiet_fit(MLPClassifier(hidden_layer_sizes=(3,), batch_size=100, max_iter=2, random_state=0), X, y)


def test_invalid_arguments_are_refused_with_sklearns_messages():
    X, y = blobs()
    with pytest.raises(ValueError, match="'solver' parameter"):
        MLPClassifier(solver="newton").fit(X, y)
    with pytest.raises(ValueError, match="'momentum' parameter"):
        MLPClassifier(momentum=1.5).fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be > 0"):
        MLPClassifier(hidden_layer_sizes=(3, 0)).fit(X, y)
    with pytest.raises(ValueError, match="'loss' parameter"):
        MLPRegressor(loss="quantile").fit(*regression())


def test_lbfgs_trains_full_batch_within_max_iter_and_max_fun():
    X, y = blobs()
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", random_state=0), X, y)
    assert clf.score(X, y) > 0.95
    assert not hasattr(clf, "loss_curve_")
    assert clf.loss_ > 0
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge after 3 iteration"):
        short = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
    assert short.n_iter_ == 3
    with pytest.warns(ConvergenceWarning, match="EVALUATIONS EXCEEDS LIMIT"):
        MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_fun=5, random_state=0).fit(X, y)


def test_poisson_regression_predicts_positive_rates():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    reg = quiet_fit(MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=50, random_state=0), X, y)
    assert reg.out_activation_ == "exp"
    assert (reg.predict(X) > 0).all()


def test_multilabel_and_binary_outputs():
    X, y = blobs(n_classes=2)
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0), X, y + 7)
    assert clf.out_activation_ == "logistic"
    assert list(clf.classes_) == [7, 8]
    assert clf.predict_proba(X).shape == (len(X), 2)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))
    Y = np.stack([y, 1 - y, (X[:, 0] > 0).astype(int)], axis=1)
    multi = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0), X, Y)
    assert multi.predict(X).shape == Y.shape
    assert multi.n_outputs_ == 3


# ---------------------------------------------------------------- divergence and interruption


def test_divergence_raises_naming_the_epoch_and_keeps_the_last_finite_weights(monkeypatch):
    X, y = regression()
    X = X * 1e3
    reg = MLPRegressor(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate_init=10.0,
        max_iter=50,
        random_state=0,
        on_divergence="raise",
    )
    after_epoch = []
    monkeypatch.setattr(
        reg, "_epoch_hook", lambda report: after_epoch.append(reg._trainer.params.copy()) or False
    )
    with pytest.raises(
        ValueError, match=r"Training diverged in epoch (\d+).*smaller learning_rate_init"
    ) as info:
        reg.fit(X, y)
    epoch = int(info.value.args[0].split("epoch ")[1].split(":")[0])
    assert epoch == len(after_epoch) + 1
    assert all(np.isfinite(c).all() for c in reg.coefs_ + reg.intercepts_)
    if after_epoch:
        np.testing.assert_array_equal(reg._trainer.params, after_epoch[-1])
    assert len(reg.loss_curve_) == reg.n_iter_ == epoch - 1


def test_the_epoch_loop_runs_without_the_gil(monkeypatch):
    """Another Python thread runs while an epoch trains (the GIL is taken only between epochs)."""
    # An epoch of tens of milliseconds: a much shorter one may end before the OS wakes the other thread.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 50))
    y = (X[:, 0] > 0).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(256,), max_iter=2, random_state=0)
    counts, stop = [0], threading.Event()

    def spin():
        while not stop.is_set():
            counts[0] += 1

    at_epoch = []
    monkeypatch.setattr(clf, "_epoch_hook", lambda report: at_epoch.append(counts[0]) or False)
    thread = threading.Thread(target=spin)
    thread.start()
    try:
        quiet_fit(clf, X, y)
    finally:
        stop.set()
        thread.join()
    assert at_epoch[1] - at_epoch[0] > 1000, at_epoch


def test_keyboard_interrupt_in_an_epoch_stops_training_with_a_warning(monkeypatch):
    X, y = blobs()
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)

    def hook(report):
        if report["epoch"] == 2:
            raise KeyboardInterrupt
        return False

    monkeypatch.setattr(clf, "_epoch_hook", hook)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf.fit(X, y)
    assert clf.n_iter_ == 2


def test_errors_raised_in_the_epoch_hook_propagate(monkeypatch):
    X, y = blobs()
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)

    def hook(report):
        raise RuntimeError("from the hook")

    monkeypatch.setattr(clf, "_epoch_hook", hook)
    with pytest.raises(RuntimeError, match="from the hook"):
        clf.fit(X, y)


def test_threads_give_the_same_accuracy():
    X, y = blobs(n=300)
    before = gradkit.get_num_threads()
    try:
        scores = []
        for threads in (1, 2):
            gradkit.set_num_threads(threads)
            clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(32,), max_iter=20, random_state=0), X, y)
            scores.append(clf.score(X, y))
    finally:
        gradkit.set_num_threads(before)
    assert scores[0] == pytest.approx(scores[1], abs=0.02)


# ---------------------------------------------------------------- the core's trainer


def test_the_trainer_takes_any_gradkit_optimizer_as_its_step_rule():
    from gradkit import _core

    assert {"SklearnSGD", "SklearnAdam", "SGD", "Adam", "RMSprop"} <= set(
        _core.train.MLPTrainer_float64.step_rules()
    )
    X, y = blobs(n=90)
    Y = np.eye(3)[y]
    trainer = _core.train.MLPTrainer_float64([5, 8, 3], "relu", "softmax")
    trainer.glorot_init(_core.nn.LegacyRandomState(0))
    trainer.set_step_rule("Adam", {"lr": 0.01, "weight_decay": 1e-4})
    trainer.set_rate_policy("constant")
    progress = _core.train.Progress()
    options = _loop_options(batch_size=30, max_iter=30, alpha=0.0)
    reason = trainer.fit_stochastic(
        X, Y, None, None, None, None, _core.nn.LegacyRandomState(1), progress, options, None
    )
    assert reason == "max_iter"
    assert progress.loss_curve[-1] < 0.3 * progress.loss_curve[0]
    assert trainer.rule_state()["name"] == "Adam"
    with pytest.raises(ValueError, match="unknown step rule 'Lamb'"):
        trainer.set_step_rule("Lamb", {})
    with pytest.raises(TypeError, match="X: expected a C-contiguous float64 array"):
        trainer.predict(X.astype(np.float32))


def _labelled_trainer(seed: int = 0):
    from gradkit import _core

    trainer = _core.train.MLPTrainer_float64([5, 8, 3], "relu", "softmax")
    trainer.glorot_init(_core.nn.LegacyRandomState(seed))
    trainer.set_step_rule("SklearnAdam", {"lr": 0.01})
    trainer.set_rate_policy("constant")
    return trainer


def _loop_options(**kwargs):
    from gradkit import _core

    options = _core.train.LoopOptions()
    settings = dict(
        batch_size=16, shuffle=True, max_iter=4, alpha=1e-4, tol=0.0, n_iter_no_change=np.inf,
        incremental=False, score="accuracy",
    )  # fmt: skip
    settings.update(kwargs)
    for name, value in settings.items():
        setattr(options, name, value)
    return options


def _fit_trainer(trainer, X, Y, **kwargs):
    """Fits with the given loop options; returns the Progress and the stop reason."""
    from gradkit import _core

    progress = _core.train.Progress()
    rs = _core.nn.LegacyRandomState(1)
    reason = trainer.fit_stochastic(X, Y, None, None, None, None, rs, progress, _loop_options(**kwargs), None)
    return progress, reason


def test_the_trainer_takes_class_labels_as_their_one_hot_rows():
    # Multiclass estimators hand the core each row's class, not an n × n_classes matrix: the
    # numbers must be the matrix's, bit for bit.
    X, y = blobs(n=90)
    by_matrix, by_label = _labelled_trainer(), _labelled_trainer()
    progress_m, _ = _fit_trainer(by_matrix, X, np.eye(3)[y])
    progress_l, _ = _fit_trainer(by_label, X, y.astype(np.int64))
    assert progress_l.loss_curve == progress_m.loss_curve
    np.testing.assert_array_equal(by_label.params, by_matrix.params)


def test_the_trainer_refuses_class_labels_it_cannot_use_and_changes_nothing():
    X, y = blobs(n=90)
    trainer = _labelled_trainer()
    before = trainer.params.copy()
    bad = y.astype(np.int64)
    bad[7] = 3
    with pytest.raises(ValueError, match=r"Y\[7\] = 3 is not a class of the network's 3 outputs"):
        _fit_trainer(trainer, X, bad)
    with pytest.raises(ValueError, match=r"Y: expected .* int64 class labels of shape \(90,\)"):
        _fit_trainer(trainer, X, y[:50].astype(np.int64))
    np.testing.assert_array_equal(trainer.params, before)
    # Labels mean one-hot rows of a softmax output; a logistic (multilabel) network needs its matrix.
    from gradkit import _core

    multilabel = _core.train.MLPTrainer_float64([5, 8, 3], "relu", "logistic")
    multilabel.set_step_rule("SklearnAdam", {"lr": 0.01})
    multilabel.set_rate_policy("constant")
    with pytest.raises(TypeError, match="Y: expected a C-contiguous float64 array of shape \\(90, 3\\)"):
        _fit_trainer(multilabel, X, y.astype(np.int64))


def test_a_multiclass_fit_keeps_no_label_matrix(monkeypatch):
    # What the core receives for 3+ classes is one int64 per row; with solver='lbfgs' the one-hot
    # matrix is built for the full batch only.
    from gradkit.neural_network import _multilayer_perceptron as mlp

    X, y = blobs(n=90)
    seen = []
    original = mlp._class_targets

    def spy(*args):
        seen.append(original(*args))
        return seen[-1]

    monkeypatch.setattr(mlp, "_class_targets", spy)
    clf = gradkit.MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, np.array(["a", "b", "c"])[y])
    assert seen[-1].dtype == np.int64 and seen[-1].shape == (90,)
    np.testing.assert_array_equal(seen[-1], y)
    assert clf.n_outputs_ == 3 and clf.predict_proba(X).shape == (90, 3)
    lbfgs = gradkit.MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert lbfgs.fit(X, y).score(X, y) > 0.9


def test_the_trainers_progress_pickles_every_field():
    import pickle

    from gradkit import _core

    X, y = blobs(n=90)
    progress, _ = _fit_trainer(_labelled_trainer(), X, np.eye(3)[y])
    back = pickle.loads(pickle.dumps(progress))
    for name in ("n_iter", "t", "loss", "loss_curve", "best_loss", "validation_scores",
                 "best_validation_score", "no_improvement_count"):  # fmt: skip
        assert getattr(back, name) == getattr(progress, name), name
    assert back.n_iter == 4 and len(back.loss_curve) == 4
    blank = _core.train.Progress.__new__(_core.train.Progress)  # as pickle makes it
    with pytest.raises(ValueError, match="the state lacks 't'"):
        blank.__setstate__({"n_iter": 1})
