"""The network options beyond scikit-learn: torch's hidden activations, MLPRegressor's regression
losses (absolute_error, huber, pinball) and dropout, through the core's backprop and the estimators."""

from __future__ import annotations

import pickle
import warnings
from contextlib import contextmanager

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import mean_absolute_error, mean_pinball_loss  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

import gradkit  # noqa: E402
from gradkit import MLPClassifier, MLPRegressor, _core  # noqa: E402

NEW_ACTIVATIONS = ["leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus"]
NEW_LOSSES = [
    ("absolute_error", {}),
    ("huber", {"huber_delta": 0.4}),
    ("pinball", {"quantile": 0.8}),
]


def _problem(units, dtype=np.float64, seed=0, n=11, outputs="regression"):
    rng = np.random.default_rng(seed)
    n_params = sum(a * b + b for a, b in zip(units[:-1], units[1:]))
    params = (0.6 * rng.normal(size=n_params)).astype(dtype)
    X = rng.normal(size=(n, units[0])).astype(dtype)
    if outputs == "regression":
        y = rng.normal(size=(n, units[-1])).astype(dtype)
    else:
        y = np.eye(units[-1], dtype=dtype)[np.arange(n) % units[-1]]
    sw = rng.uniform(0.2, 3.0, n).astype(dtype)
    return params, X, y, sw


def _fd_gradient(f, params, h=1e-6):
    out = np.empty_like(params)
    for i in range(params.size):
        up, down = params.copy(), params.copy()
        up[i] += h
        down[i] -= h
        out[i] = (f(up) - f(down)) / (2 * h)
    return out


# ---------------------------------------------------------------- the core's backprop


@pytest.mark.parametrize("activation", NEW_ACTIVATIONS)
@pytest.mark.parametrize("out", ["softmax", "identity"])
def test_network_gradient_matches_finite_differences_for_each_activation(activation, out):
    units = [3, 5, 4, 3]
    params, X, y, sw = _problem(units, outputs="classes" if out == "softmax" else "regression")
    kw = {"negative_slope": 0.2}

    def loss(p):
        return _core.nn.mlp_backprop(units, activation, out, p, X, y, sw, 0.1, **kw)[0]

    _, grads, _ = _core.nn.mlp_backprop(units, activation, out, params, X, y, sw, 0.1, **kw)
    # sklearn's squared_error gradient is k times its loss's derivative (k outputs); the others are exact.
    scale = units[-1] if out == "identity" else 1
    expected = _fd_gradient(loss, params)
    n_coefs = sum(a * b for a, b in zip(units[:-1], units[1:]))
    data = expected.copy()
    if scale != 1:  # the L2 term is not scaled: take it out before scaling the data term
        penalty = np.zeros_like(params)
        penalty[:n_coefs] = 0.1 * params[:n_coefs] / sw.sum()
        data = (expected - penalty) * scale + penalty
    np.testing.assert_allclose(grads, data, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("loss", "kw"), NEW_LOSSES)
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_losses_values_are_sklearns_metrics(loss, kw, weighted):
    units = [4, 6, 2]  # two outputs
    params, X, y, sw = _problem(units, seed=3, n=17)
    w = sw if weighted else None
    value, _, activations = _core.nn.mlp_backprop(
        units, "tanh", "identity", params, X, y, w, 0.0, loss=loss, **kw
    )
    p = activations[-1]
    if loss == "absolute_error":
        expected = mean_absolute_error(y, p, sample_weight=w)
    elif loss == "pinball":
        expected = mean_pinball_loss(y, p, alpha=kw["quantile"], sample_weight=w)
    else:
        r = np.abs(y - p)
        d = kw["huber_delta"]
        per_row = np.where(r <= d, 0.5 * r**2, d * (r - 0.5 * d)).mean(axis=1)
        expected = np.average(per_row, weights=w)
    assert value == pytest.approx(expected, rel=1e-12)
    # The L2 term is sklearn's: 0.5 alpha ||W||² / sum of weights.
    with_l2 = _core.nn.mlp_backprop(units, "tanh", "identity", params, X, y, w, 0.5, loss=loss, **kw)[0]
    n_coefs = 4 * 6 + 6 * 2
    total = sw.sum() if weighted else len(y)
    assert with_l2 - value == pytest.approx(0.25 * np.sum(params[:n_coefs] ** 2) / total, rel=1e-9)


@pytest.mark.parametrize(("loss", "kw"), NEW_LOSSES)
def test_regression_losses_gradient_is_exact_in_float64_and_float32(loss, kw):
    units = [4, 6, 2]
    params, X, y, sw = _problem(units, seed=5, n=13)
    args = (units, "tanh", "identity")

    def value(p):
        return _core.nn.mlp_backprop(*args, p, X, y, sw, 0.2, loss=loss, **kw)[0]

    _, grads, _ = _core.nn.mlp_backprop(*args, params, X, y, sw, 0.2, loss=loss, **kw)
    np.testing.assert_allclose(grads, _fd_gradient(value, params), rtol=1e-6, atol=1e-8)
    f32 = [a.astype(np.float32) for a in (params, X, y, sw)]
    _, grads32, _ = _core.nn.mlp_backprop(*args, *f32[:3], f32[3], 0.2, loss=loss, **kw)
    assert grads32.dtype == np.float32
    np.testing.assert_allclose(grads32, grads, rtol=2e-4, atol=2e-5)


def test_dropout_gradient_with_a_fixed_mask_matches_finite_differences():
    units = [3, 6, 5, 3]
    params, X, y, sw = _problem(units, outputs="classes", n=9)
    kw = {"dropout": [0.3, 0.5], "dropout_seed": 11, "dropout_step": 4}

    def loss(p):
        return _core.nn.mlp_backprop(units, "gelu", "softmax", p, X, y, sw, 0.1, **kw)[0]

    _, grads, activations = _core.nn.mlp_backprop(units, "gelu", "softmax", params, X, y, sw, 0.1, **kw)
    np.testing.assert_allclose(grads, _fd_gradient(loss, params), rtol=1e-6, atol=1e-8)
    assert (activations[0] == 0).any()  # the first hidden layer's output after dropout
    plain = _core.nn.mlp_backprop(units, "gelu", "softmax", params, X, y, sw, 0.1)[0]
    assert loss(params) != plain


def test_dropout_masks_do_not_depend_on_the_thread_count():
    # A batch large enough for backprop to split its rows among two threads.
    units = [20, 64, 5]
    params, X, y, _ = _problem(units, outputs="classes", n=1001)
    before = gradkit.get_num_threads()
    masks = []
    try:
        for threads in (1, 2):
            gradkit.set_num_threads(threads)
            _, _, activations = _core.nn.mlp_backprop(
                units,
                "tanh",
                "softmax",
                params,
                X,
                y,
                None,
                0.0,
                dropout=[0.4],
                dropout_seed=3,
                dropout_step=2,
            )
            masks.append(activations[0] == 0)
    finally:
        gradkit.set_num_threads(before)
    np.testing.assert_array_equal(masks[0], masks[1])
    assert masks[0].mean() == pytest.approx(0.4, abs=0.01)


# ---------------------------------------------------------------- the estimators


def _blobs(n=150, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(3, 4))
    y = np.arange(n) % 3
    X = (centers[y] + rng.normal(size=(n, 4))).astype(dtype)
    return X, y


def _noisy_line(n=400, seed=0, outliers=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 1))
    y = 1.5 * X[:, 0] + rng.normal(scale=0.5, size=n)
    if outliers:
        y[:outliers] += 60.0
    return X, y


@contextmanager
def _no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _quiet(est, *args, **kwargs):
    with _no_convergence_warnings():
        return est.fit(*args, **kwargs)


@pytest.mark.parametrize("activation", NEW_ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_each_activation_trains_both_estimators(activation, dtype):
    X, y = _blobs(dtype=dtype)
    clf = MLPClassifier((16,), activation=activation, learning_rate_init=0.01, max_iter=60, random_state=0)
    _quiet(clf, X, y)
    assert clf.coefs_[0].dtype == dtype
    assert clf.score(X, y) > 0.9
    Xr, yr = _noisy_line()
    reg = _quiet(
        MLPRegressor(
            hidden_layer_sizes=(16,), activation=activation, learning_rate_init=0.01, random_state=0
        ),
        Xr.astype(dtype),
        yr.astype(dtype),
    )
    assert reg.score(Xr.astype(dtype), yr.astype(dtype)) > 0.8


def test_leaky_relu_slope_is_used_and_zero_slope_is_relu():
    X, y = _blobs()
    relu = _quiet(MLPClassifier((8,), activation="relu", max_iter=5, random_state=0), X, y)
    leaky0 = _quiet(
        MLPClassifier((8,), activation="leaky_relu", negative_slope=0.0, max_iter=5, random_state=0), X, y
    )
    leaky = _quiet(MLPClassifier((8,), activation="leaky_relu", max_iter=5, random_state=0), X, y)
    np.testing.assert_array_equal(leaky0.coefs_[0], relu.coefs_[0])
    assert not np.array_equal(leaky.coefs_[0], relu.coefs_[0])
    # negative_slope changes nothing for other activations
    a = _quiet(MLPClassifier((8,), activation="tanh", max_iter=5, random_state=0), X, y)
    b = _quiet(MLPClassifier((8,), activation="tanh", negative_slope=0.3, max_iter=5, random_state=0), X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


def test_pinball_loss_estimates_its_quantile():
    X, y = _noisy_line(n=2000, seed=1)
    for q in (0.1, 0.9):
        reg = _quiet(
            MLPRegressor(
                loss="pinball", quantile=q, hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0
            ),
            X,
            y,
        )
        below = np.mean(y <= reg.predict(X))
        assert below == pytest.approx(q, abs=0.04)


def test_absolute_error_and_huber_are_robust_to_outliers():
    X, y = _noisy_line(n=400, seed=2, outliers=40)
    Xt, yt = _noisy_line(n=400, seed=3)  # clean
    errors = {}
    for loss in ("squared_error", "absolute_error", "huber"):
        reg = MLPRegressor(
            loss=loss, hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=300, random_state=0
        )
        _quiet(reg, X, y)
        errors[loss] = np.median(np.abs(reg.predict(Xt) - 1.5 * Xt[:, 0]))
    assert errors["absolute_error"] < errors["squared_error"] / 3
    assert errors["huber"] < errors["squared_error"] / 3


@pytest.mark.parametrize(("loss", "kw"), NEW_LOSSES)
def test_lbfgs_minimises_the_regression_losses(loss, kw):
    X, y = _noisy_line(n=300, seed=4)
    reg = _quiet(MLPRegressor(loss=loss, solver="lbfgs", hidden_layer_sizes=(8,), random_state=0, **kw), X, y)
    assert reg.out_activation_ == "identity"
    assert reg.score(X, y) > 0.8
    # The loss it reports is the loss's value at its weights (through the core's backprop).
    params = np.concatenate([a.ravel() for a in reg.coefs_ + reg.intercepts_])
    value = _core.nn.mlp_backprop(
        [1, 8, 1], "relu", "identity", params, X, y.reshape(-1, 1), None, reg.alpha, loss=loss, **kw
    )[0]
    assert reg.loss_ == pytest.approx(value, rel=1e-9)


def test_classifier_has_no_loss_parameter_and_regressor_has_its_losses():
    assert "loss" not in MLPClassifier().get_params()
    params = MLPRegressor().get_params()
    assert params["huber_delta"] == 1.0 and params["quantile"] == 0.5
    assert params["negative_slope"] == 0.01 and params["dropout"] is None


# ---------------------------------------------------------------- dropout


def test_dropout_zero_is_no_dropout_bit_for_bit():
    X, y = _blobs()
    plain = _quiet(MLPClassifier((16, 8), max_iter=10, random_state=0), X, y)
    for zero in (0.0, [0.0, 0.0]):
        est = _quiet(MLPClassifier((16, 8), max_iter=10, random_state=0, dropout=zero), X, y)
        for a, b in zip(est.coefs_ + est.intercepts_, plain.coefs_ + plain.intercepts_):
            np.testing.assert_array_equal(a, b)
        assert est.loss_curve_ == plain.loss_curve_


def test_dropout_trains_and_predicts_deterministically():
    X, y = _blobs()
    plain = _quiet(MLPClassifier((32,), learning_rate_init=0.01, max_iter=60, random_state=0), X, y)
    est = _quiet(
        MLPClassifier((32,), learning_rate_init=0.01, max_iter=60, random_state=0, dropout=0.3), X, y
    )
    assert not np.array_equal(est.coefs_[0], plain.coefs_[0])
    assert est.score(X, y) > 0.9
    np.testing.assert_array_equal(est.predict_proba(X), est.predict_proba(X))
    # the same random_state gives the same masks, hence the same weights
    again = _quiet(
        MLPClassifier((32,), learning_rate_init=0.01, max_iter=60, random_state=0, dropout=0.3), X, y
    )
    np.testing.assert_array_equal(again.coefs_[0], est.coefs_[0])
    other = _quiet(
        MLPClassifier((32,), learning_rate_init=0.01, max_iter=60, random_state=1, dropout=0.3), X, y
    )
    assert not np.array_equal(other.coefs_[0], est.coefs_[0])


def test_dropout_per_layer_rates():
    X, y = _blobs()
    a = _quiet(MLPClassifier((16, 8), max_iter=5, random_state=0, dropout=[0.5, 0.0]), X, y)
    b = _quiet(MLPClassifier((16, 8), max_iter=5, random_state=0, dropout=[0.0, 0.5]), X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


def test_dropout_weights_are_bit_identical_on_one_and_two_threads():
    X, y = _blobs(n=300)
    before = gradkit.get_num_threads()
    fits = []
    try:
        for threads in (1, 2):
            gradkit.set_num_threads(threads)
            fits.append(_quiet(MLPClassifier((32,), max_iter=10, random_state=0, dropout=0.4), X, y))
    finally:
        gradkit.set_num_threads(before)
    for a, b in zip(fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_):
        np.testing.assert_array_equal(a, b)


def test_dropout_stream_continues_over_partial_fit_and_pickling():
    X, y = _blobs()
    est = MLPClassifier((16,), random_state=0, dropout=0.5)
    est.partial_fit(X, y, classes=[0, 1, 2])
    est.partial_fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(copy.predict_proba(X), est.predict_proba(X))
    est.partial_fit(X, y)
    copy.partial_fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, copy.coefs_ + copy.intercepts_):
        np.testing.assert_array_equal(a, b)
    # The third epoch drew masks of its own: restarting the stream (a fresh trainer at step 0 on the
    # same weights) steps elsewhere.
    restarted = pickle.loads(pickle.dumps(est))
    restarted._trainer.dropout_steps = 0
    est.partial_fit(X, y)
    restarted.partial_fit(X, y)
    assert not np.array_equal(restarted.coefs_[0], est.coefs_[0])


def test_pickled_estimators_keep_their_network_options():
    Xr, yr = _noisy_line(n=200)
    reg = MLPRegressor(
        loss="huber",
        huber_delta=0.5,
        activation="gelu",
        hidden_layer_sizes=(8, 8),
        dropout=[0.2, 0.1],
        max_iter=20,
        random_state=0,
    )
    _quiet(reg, Xr, yr)
    copy = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(copy.predict(Xr), reg.predict(Xr))
    assert copy._trainer.loss == "huber"
    reg.partial_fit(Xr, yr)
    copy.partial_fit(Xr, yr)
    np.testing.assert_array_equal(copy.predict(Xr), reg.predict(Xr))


def test_continuing_a_network_with_another_loss_or_slope_is_refused():
    X, y = _noisy_line(n=100)
    reg = _quiet(
        MLPRegressor(loss="pinball", quantile=0.5, hidden_layer_sizes=(4,), max_iter=3, random_state=0), X, y
    )
    before = [c.copy() for c in reg.coefs_]
    reg.set_params(quantile=0.9)
    with pytest.raises(ValueError, match=r"quantile=0\.5 \(now 0\.9\)"):
        reg.partial_fit(X, y)
    for a, b in zip(before, reg.coefs_):
        np.testing.assert_array_equal(a, b)
    reg.set_params(warm_start=True)
    with pytest.raises(ValueError, match="warm_start=False"):
        reg.fit(X, y)
    reg.set_params(warm_start=False)
    _quiet(reg, X, y)  # a fresh fit builds the network anew
    assert reg._trainer.loss == "pinball"


def test_new_parameters_are_searchable_and_cloneable():
    X, y = _blobs()
    grid = GridSearchCV(
        MLPClassifier((8,), max_iter=20, random_state=0),
        {"activation": ["gelu", "leaky_relu"], "negative_slope": [0.01, 0.1], "dropout": [None, 0.2]},
        cv=2,
    )
    with _no_convergence_warnings():
        grid.fit(X, y)
    assert set(grid.best_params_) == {"activation", "negative_slope", "dropout"}
    reg = MLPRegressor(loss="pinball", quantile=0.3, dropout=[0.1])
    assert clone(reg).get_params() == reg.get_params()
    reg.set_params(loss="huber", huber_delta=2.0)
    assert reg.huber_delta == 2.0


@pytest.mark.parametrize(
    ("est", "error"),
    [
        (MLPClassifier(activation="swish"), InvalidParameterError),
        (MLPRegressor(loss="quantile"), InvalidParameterError),
        (MLPRegressor(loss="huber", huber_delta=0.0), InvalidParameterError),
        (MLPRegressor(loss="pinball", quantile=1.0), InvalidParameterError),
        (MLPClassifier(activation="leaky_relu", negative_slope=-0.1), InvalidParameterError),
        (MLPClassifier(dropout=1.0), InvalidParameterError),
        (MLPClassifier(dropout=-0.1), InvalidParameterError),
        (MLPClassifier(dropout="0.5"), InvalidParameterError),
        (MLPClassifier((8, 8), dropout=[0.1]), ValueError),
        (MLPClassifier((8,), dropout=[1.0]), ValueError),
        (MLPClassifier((8,), dropout=["a"]), ValueError),
        (MLPRegressor(solver="lbfgs", dropout=0.2), ValueError),
    ],
)
def test_bad_network_options_raise_before_anything_is_fitted(est, error):
    X, y = _blobs()
    with pytest.raises(error):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")
    assert not hasattr(est, "n_features_in_")
    assert not hasattr(est, "_trainer")


def test_lbfgs_refuses_dropout_with_a_clear_message():
    X, y = _blobs()
    with pytest.raises(ValueError, match="lbfgs.*deterministic"):
        MLPClassifier(solver="lbfgs", dropout=0.1).fit(X, y)
    # dropout=0.0 drops nothing: allowed
    _quiet(MLPClassifier((4,), solver="lbfgs", dropout=0.0, max_iter=5, random_state=0), X, y)
