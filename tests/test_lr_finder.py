"""gradkit.lr_find: the learning-rate range test on the MLP estimators."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

import gradkit  # noqa: E402
from gradkit import MLPClassifier, MLPRegressor, lr_find  # noqa: E402
from gradkit.lr_finder import LRFinderResult  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return np.ascontiguousarray(X / 16.0), y


@pytest.fixture(scope="module")
def regression():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(400, 5))
    y = np.sin(X @ np.array([1.0, -2.0, 0.5, 0.3, 1.5])) + 0.1 * rng.normal(size=400)
    return X, y


def _sklearn_init(layer_units, activation, seed):
    """scikit-learn's Glorot-uniform initial weights from RandomState(seed), computed here in NumPy."""
    rs = np.random.RandomState(seed)
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(rs.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rs.uniform(-bound, bound, fan_out))
    return coefs, intercepts


def _numpy_loss(coefs, intercepts, X, Y, alpha, output):
    """scikit-learn's MLP loss of a relu network on one batch (log loss of softmax, or half squared error),
    with its L2 penalty 0.5 * alpha * sum(W**2) / n."""
    a = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        a = np.maximum(a @ W + b, 0.0)
    out = a @ coefs[-1] + intercepts[-1]
    if output == "softmax":
        out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
        eps = np.finfo(out.dtype).eps
        loss = -np.sum(Y * np.log(np.clip(out, eps, 1 - eps))) / X.shape[0]
    else:
        loss = ((Y - out) ** 2).mean() / 2
    return loss + 0.5 * alpha * sum(np.sum(W * W) for W in coefs) / X.shape[0]


# ---------------------------------------------------------------- the rates


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_rates_are_geometric_from_start_to_end(digits, dtype, solver):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, random_state=0)
    result = lr_find(clf, X.astype(dtype), y, start_lr=1e-5, end_lr=1e-2, num=25)
    assert isinstance(result, LRFinderResult)
    assert not result.diverged
    assert result.lrs.shape == result.losses.shape == result.smoothed_losses.shape == (25,)
    assert result.lrs.dtype == result.losses.dtype == np.float64
    np.testing.assert_allclose(result.lrs, np.geomspace(1e-5, 1e-2, 25), rtol=1e-12)
    assert result.lrs[0] == 1e-5
    assert np.isfinite(result.losses).all()


def test_two_rates_are_start_and_end(regression):
    X, y = regression
    result = lr_find(
        MLPRegressor(hidden_layer_sizes=(8,), random_state=0), X, y, start_lr=1e-4, end_lr=1e-3, num=2
    )
    np.testing.assert_allclose(result.lrs, [1e-4, 1e-3], rtol=1e-14)


def test_more_steps_than_one_pass_go_over_the_data_again(regression):
    X, y = regression  # 400 rows, batches of 50: 8 steps per pass
    reg = MLPRegressor(hidden_layer_sizes=(8,), batch_size=50, random_state=0)
    result = lr_find(reg, X, y, start_lr=1e-5, end_lr=1e-3, num=30)
    assert len(result.lrs) == 30 and np.isfinite(result.losses).all()


# ---------------------------------------------------------------- the losses are the trainer's


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_first_loss_is_the_initial_networks_on_the_first_minibatch(digits, dtype):
    X, y = digits
    clf = MLPClassifier(
        hidden_layer_sizes=(20,), solver="sgd", batch_size=64, shuffle=False, alpha=1e-3, random_state=3
    )
    result = lr_find(clf, X.astype(dtype), y, start_lr=1e-3, end_lr=1e-1, num=5)
    coefs, intercepts = _sklearn_init([64, 20, 10], "relu", 3)
    Y = np.eye(10)[y[:64]]
    expected = _numpy_loss(coefs, intercepts, X[:64], Y, 1e-3, "softmax")
    np.testing.assert_allclose(result.losses[0], expected, rtol=1e-12 if dtype == np.float64 else 1e-5)


def test_regressor_first_loss_is_the_initial_networks(regression):
    X, y = regression
    reg = MLPRegressor(hidden_layer_sizes=(12,), solver="adam", batch_size=100, shuffle=False, random_state=1)
    result = lr_find(reg, X, y, start_lr=1e-4, end_lr=1e-2, num=4)
    coefs, intercepts = _sklearn_init([5, 12, 1], "relu", 1)
    expected = _numpy_loss(coefs, intercepts, X[:100], y[:100, None], 1e-4, "identity")
    np.testing.assert_allclose(result.losses[0], expected, rtol=1e-12)


def test_every_loss_is_that_of_an_estimator_stepped_by_hand(digits):
    # Plain SGD (no momentum) keeps no state between steps, so one warm-started fit of one epoch on
    # one minibatch, at lrs[i], is step i of the range test: its loss_ is losses[i].
    X, y = digits
    bs, num = 100, 30  # 17 full batches per pass over 1797 rows: the test goes round once more
    kwargs = dict(
        hidden_layer_sizes=(24,), solver="sgd", momentum=0.0, batch_size=bs, shuffle=False, random_state=0
    )
    result = lr_find(
        MLPClassifier(**kwargs), X, y, start_lr=1e-3, end_lr=1.0, num=num, diverge_threshold=np.inf
    )
    assert len(result.lrs) == num
    by_hand = MLPClassifier(**kwargs, warm_start=True, max_iter=1)
    losses = []
    n_batches = len(y) // bs
    for i, lr in enumerate(result.lrs):
        rows = slice((i % n_batches) * bs, (i % n_batches + 1) * bs)
        # the first batches hold every class, so the label binarizer is the same as with classes=
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            by_hand.set_params(learning_rate_init=lr).fit(X[rows], y[rows])
        losses.append(by_hand.loss_)
    np.testing.assert_allclose(result.losses, losses, rtol=1e-12)


def test_optimizer_state_carries_over_and_the_optimizer_is_respected(digits):
    X, y = digits
    base = dict(hidden_layer_sizes=(16,), batch_size=100, shuffle=False, random_state=0)
    settings = {
        "sgd": dict(solver="sgd", momentum=0.0),
        "momentum": dict(solver="sgd", momentum=0.9, nesterovs_momentum=False),
        "adam": dict(solver="adam"),
        "AdamW": dict(solver="sgd", optimizer="AdamW"),
    }
    runs = {
        name: lr_find(MLPClassifier(**kw, **base), X, y, 1e-3, 1e-1, num=10) for name, kw in settings.items()
    }
    firsts = {name: r.losses[0] for name, r in runs.items()}
    assert len(set(firsts.values())) == 1  # the same initial network and first minibatch
    # the first step of (heavy-ball) momentum SGD is plain SGD's (no velocity yet); after it they differ
    assert runs["sgd"].losses[1] == runs["momentum"].losses[1]
    assert runs["sgd"].losses[2] != runs["momentum"].losses[2]
    assert runs["adam"].losses[1] != runs["sgd"].losses[1]
    assert runs["AdamW"].losses[2] != runs["adam"].losses[2]


def test_shuffle_draws_the_minibatches_from_random_state(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", random_state=0)
    a, b = (lr_find(clf, X, y, 1e-4, 1e-1, num=12) for _ in range(2))
    np.testing.assert_array_equal(a.losses, b.losses)
    c = lr_find(clf.set_params(random_state=1), X, y, 1e-4, 1e-1, num=12)
    assert not np.array_equal(a.losses, c.losses)


# ---------------------------------------------------------------- smoothing and the suggestion


def test_smoothed_losses_are_the_bias_corrected_moving_average(regression):
    X, y = regression
    for beta in (0.98, 0.5, 0.0):
        result = lr_find(
            MLPRegressor(hidden_layer_sizes=(8,), random_state=0), X, y, 1e-4, 1e-1, num=20, beta=beta
        )
        average, expected = 0.0, []
        for i, loss in enumerate(result.losses):
            average = beta * average + (1 - beta) * loss
            expected.append(average / (1 - beta ** (i + 1)))
        np.testing.assert_allclose(result.smoothed_losses, expected, rtol=1e-13)
        assert result.smoothed_losses[0] == pytest.approx(result.losses[0], rel=1e-14)
        slope = np.gradient(result.smoothed_losses, np.log(result.lrs))
        assert result.suggested_lr == result.lrs[np.argmin(slope)]


def test_suggested_rate_trains_digits_well(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    clf = MLPClassifier(hidden_layer_sizes=(64,), solver="sgd", random_state=0)
    result = lr_find(clf, X_train, y_train)  # the defaults: 1e-6 to 1, 100 steps
    assert 1e-6 <= result.suggested_lr <= 1.0
    assert result.suggested_lr in result.lrs
    # where the loss falls fastest: it is still falling there, and the rate is far from both ends
    assert 1e-4 < result.suggested_lr < 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tuned = clf.set_params(learning_rate_init=result.suggested_lr, max_iter=40).fit(X_train, y_train)
    assert tuned.score(X_test, y_test) > 0.95


# ---------------------------------------------------------------- early stop


def test_stops_early_when_the_smoothed_loss_passes_four_times_the_best(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", random_state=0)
    result = lr_find(clf, X, y, start_lr=1e-3, end_lr=1e6, num=100)
    assert result.diverged
    n = len(result.lrs)
    assert 2 <= n < 100
    np.testing.assert_allclose(result.lrs, np.geomspace(1e-3, 1e6, 100)[:n], rtol=1e-12)
    best = result.smoothed_losses.min()
    assert result.smoothed_losses[-1] > 4 * best  # the step that passed the threshold is recorded
    assert (result.smoothed_losses[:-1] <= 4 * np.minimum.accumulate(result.smoothed_losses)[:-1]).all()
    assert result.lrs[0] <= result.suggested_lr <= result.lrs[-1]


def test_stops_when_the_trainer_finds_a_non_finite_loss(regression):
    X, y = regression
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", random_state=0)
    result = lr_find(reg, X, y, start_lr=1e-3, end_lr=1e30, num=100, diverge_threshold=np.inf)
    assert result.diverged
    assert len(result.lrs) < 100
    assert np.isfinite(result.losses).all()  # the diverged step is not recorded


def test_a_larger_threshold_runs_longer(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", random_state=0)
    strict = lr_find(clf, X, y, start_lr=1e-3, end_lr=1e6, num=100, diverge_threshold=1.5)
    lenient = lr_find(clf, X, y, start_lr=1e-3, end_lr=1e6, num=100)
    assert len(strict.lrs) < len(lenient.lrs)
    np.testing.assert_array_equal(strict.losses, lenient.losses[: len(strict.losses)])


def test_divergence_at_the_first_steps_gives_no_suggestion(regression):
    X, y = regression
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", momentum=0.0, random_state=0)
    with pytest.warns(RuntimeWarning, match="too few for a suggestion"):
        result = lr_find(reg, X.astype(np.float32), y, start_lr=1e36, end_lr=1e37, num=10)
    assert result.diverged and len(result.lrs) < 2
    assert np.isnan(result.suggested_lr)


# ---------------------------------------------------------------- the estimator is not changed


def test_the_estimator_passed_in_is_not_changed_nor_fitted(digits):
    X, y = digits
    rs = np.random.RandomState(7)
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.05, random_state=rs)
    params = clf.get_params(deep=False)
    rs_state = rs.get_state(legacy=False)
    lr_find(clf, X, y, num=20)
    assert clf.get_params(deep=False).keys() == params.keys()
    for key, value in clf.get_params(deep=False).items():
        assert value is params[key]
    after = rs.get_state(legacy=False)
    np.testing.assert_array_equal(after["state"]["key"], rs_state["state"]["key"])
    assert after["state"]["pos"] == rs_state["state"]["pos"]
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert not hasattr(clf, "coefs_")


def test_a_fitted_estimator_keeps_its_weights_and_history(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(hidden_layer_sizes=(16,), solver="adam", max_iter=3, random_state=0).fit(X, y)
    coefs = [c.copy() for c in clf.coefs_]
    intercepts = [b.copy() for b in clf.intercepts_]
    state = pickle.dumps(clf)
    lr_find(clf, X, y, start_lr=1e-4, end_lr=10.0, num=30)
    for a, b in zip(clf.coefs_ + clf.intercepts_, coefs + intercepts):
        np.testing.assert_array_equal(a, b)
    assert clf.loss_curve_ == pickle.loads(state).loss_curve_
    assert clf.n_iter_ == 3 and clf.learning_rate_init == 0.001 and clf.lr_schedule is None


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"start_lr": 0.0}, ValueError, "start_lr must be a finite positive number"),
        ({"start_lr": -1e-3}, ValueError, "start_lr must be a finite positive number"),
        ({"start_lr": float("nan")}, ValueError, "start_lr must be a finite positive number"),
        ({"end_lr": float("inf")}, ValueError, "end_lr must be a finite positive number"),
        ({"start_lr": 1.0, "end_lr": 1.0}, ValueError, "start_lr must be smaller than end_lr"),
        ({"start_lr": 0.1, "end_lr": 0.01}, ValueError, "start_lr must be smaller than end_lr"),
        ({"start_lr": "1e-6"}, TypeError, "start_lr must be a real number"),
        ({"end_lr": None}, TypeError, "end_lr must be a real number"),
        ({"num": 1}, ValueError, "num must be at least 2"),
        ({"num": 0}, ValueError, "num must be at least 2"),
        ({"num": 10.0}, TypeError, "num must be an integer"),
        ({"num": True}, TypeError, "num must be an integer"),
        ({"beta": 1.0}, ValueError, r"beta must be in \[0, 1\)"),
        ({"beta": -0.1}, ValueError, r"beta must be in \[0, 1\)"),
        ({"diverge_threshold": 1.0}, ValueError, "diverge_threshold must be greater than 1"),
        ({"diverge_threshold": float("nan")}, ValueError, "diverge_threshold must be greater than 1"),
    ],
)
def test_bad_arguments_raise_and_change_nothing(digits, kwargs, error, match):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", random_state=0)
    params = clf.get_params()
    with pytest.raises(error, match=match):
        lr_find(clf, X, y, **kwargs)
    assert clf.get_params() == params
    assert not hasattr(clf, "coefs_")


def test_only_gradkit_minibatch_estimators(digits):
    X, y = digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.neural_network import MLPClassifier as SklearnMLP

    for est in (SklearnMLP(), SGDClassifier(), "MLPClassifier"):
        with pytest.raises(TypeError, match="must be a gradkit.MLPClassifier or gradkit.MLPRegressor"):
            lr_find(est, X, y)
    clf = MLPClassifier(solver="lbfgs")
    with pytest.raises(ValueError, match="solver='lbfgs' is a full-batch method"):
        lr_find(clf, X, y)
    assert not hasattr(clf, "coefs_")


def test_bad_data_and_parameters_are_the_estimators_errors(digits):
    X, y = digits
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd")
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        lr_find(clf, X, y[:-1])
    for bad in (MLPClassifier(batch_size="big"), MLPClassifier(batch_size=0), MLPClassifier(activation="x")):
        with pytest.raises(ValueError, match="parameter of MLPClassifier must be"):
            lr_find(bad, X, y, num=5)
        assert not hasattr(bad, "coefs_")
    bad = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", optimizer="NoSuchOptimizer")
    with pytest.raises(ValueError, match="unknown optimizer"):
        lr_find(bad, X, y, num=5)
    assert not hasattr(bad, "coefs_") and bad.optimizer == "NoSuchOptimizer"


# ---------------------------------------------------------------- the result


def test_result_is_frozen_and_read_only(regression):
    X, y = regression
    result = lr_find(MLPRegressor(hidden_layer_sizes=(8,), random_state=0), X, y, num=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.suggested_lr = 1.0
    with pytest.raises(ValueError, match="read-only"):
        result.losses[0] = 0.0


def test_plot_returns_the_axes(regression):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    X, y = regression
    result = lr_find(MLPRegressor(hidden_layer_sizes=(8,), random_state=0), X, y, 1e-5, 1.0, num=40)
    fig, ax = plt.subplots()
    try:
        assert result.plot(ax) is ax
        assert ax.get_xscale() == "log"
        assert len(ax.lines) == 4  # loss, smoothed loss, the suggestion's line and its point
        np.testing.assert_array_equal(ax.lines[1].get_xdata(), result.lrs)
        np.testing.assert_array_equal(ax.lines[3].get_xdata(), [result.suggested_lr])
        assert f"{result.suggested_lr:.3g}" in ax.get_legend().get_texts()[-1].get_text()
        low, high = ax.get_ylim()
        assert low < result.losses.min() and high > result.smoothed_losses.max()
    finally:
        plt.close(fig)
    try:
        assert isinstance(result.plot(), Axes)  # on plt.gca()
    finally:
        plt.close("all")


def test_plot_without_matplotlib_says_how_to_install_it(regression, monkeypatch):
    X, y = regression
    result = lr_find(MLPRegressor(hidden_layer_sizes=(8,), random_state=0), X, y, num=5)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        result.plot()


# ---------------------------------------------------------------- the package


def test_lr_find_is_gradkits_and_import_gradkit_still_does_not_import_sklearn():
    assert gradkit.lr_find is lr_find
    assert "lr_find" in dir(gradkit)
    code = "import sys, gradkit, gradkit.lr_finder; assert 'sklearn' not in sys.modules, 'sklearn imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lr_find_without_sklearn_says_how_to_install_it():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import gradkit\n"
        "try:\n    gradkit.lr_find\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "gradkit.lr_find needs scikit-learn" in out and "pip install gradkit[sklearn]" in out
