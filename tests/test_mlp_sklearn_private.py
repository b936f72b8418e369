"""scikit-learn's private MLP helpers and its divergence behaviour, compared with scikit-learn's own.

Code written against scikit-learn's estimators calls ``_forward_pass``, ``_backprop``,
``_loss_grad_lbfgs``, ``_initialize``, ``_unpack`` and reads ``_optimizer.learning_rate``; gradkit's
estimators give the same results from the core. A diverging fit carries on as scikit-learn's does
(``on_divergence='warn'``) unless told to stop (``'raise'``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import neural_network as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer

import gradkit

RTOL = 1e-12


def data(n_classes=3, n=40, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, n_features))
    y = rng.randint(0, n_classes, size=n)
    return X, y


def fitted_pair(Est, SkEst, X, y, **params):
    """The same model fitted by gradkit and by scikit-learn (same numbers for 'sgd' and 'adam')."""
    params = {"hidden_layer_sizes": (5, 4), "max_iter": 3, "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Est(**params).fit(X, y), SkEst(**params).fit(X, y)


def empty_lists(est, X):
    layers = est.n_layers_ - 1
    return [X] + [None] * layers, [None] * layers, [None] * layers, [None] * layers


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_backprop_and_forward_pass_match_scikit_learns(activation, n_classes):
    X, y = data(n_classes)
    ours, theirs = fitted_pair(gradkit.MLPClassifier, sk.MLPClassifier, X, y, activation=activation)
    Y = LabelBinarizer().fit_transform(y).astype(np.float64)
    sw = np.linspace(0.5, 2.0, X.shape[0])
    a1, d1, c1, i1 = empty_lists(ours, X)
    a2, d2, c2, i2 = empty_lists(theirs, X)
    loss1, coef_grads1, intercept_grads1 = ours._backprop(X, Y, sw, a1, d1, c1, i1)
    loss2, coef_grads2, intercept_grads2 = theirs._backprop(X, Y, sw, a2, d2, c2, i2)
    np.testing.assert_allclose(loss1, loss2, rtol=RTOL)
    for mine, ref in zip(
        coef_grads1 + intercept_grads1 + a1[1:] + d1, coef_grads2 + intercept_grads2 + a2[1:] + d2
    ):
        np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-14)
    assert coef_grads1 is c1 and c1[0].shape == ours.coefs_[0].shape  # the lists are filled, as sklearn's
    forward1 = ours._forward_pass([X, None, None, None])
    forward2 = theirs._forward_pass([X, None, None, None])
    for mine, ref in zip(forward1[1:], forward2[1:]):
        np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        ours._forward_pass_fast(X), theirs._forward_pass_fast(X), rtol=1e-10, atol=1e-14
    )


def test_loss_grad_lbfgs_sets_the_weights_and_returns_the_packed_gradient():
    X, y = data(3)
    ours, theirs = fitted_pair(gradkit.MLPClassifier, sk.MLPClassifier, X, y)
    Y = LabelBinarizer().fit_transform(y).astype(np.float64)
    packed = np.random.RandomState(1).normal(
        scale=0.3, size=sum(a.size for a in ours.coefs_ + ours.intercepts_)
    )
    theirs._coef_indptr, theirs._intercept_indptr, at = [], [], 0  # set by scikit-learn's _fit_lbfgs only
    units = [X.shape[1], 5, 4, 3]
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        theirs._coef_indptr.append((at, at + fan_in * fan_out, (fan_in, fan_out)))
        at += fan_in * fan_out
    for fan_out in units[1:]:
        theirs._intercept_indptr.append((at, at + fan_out))
        at += fan_out
    loss1, grad1 = ours._loss_grad_lbfgs(packed, X, Y, None, *empty_lists(ours, X))
    loss2, grad2 = theirs._loss_grad_lbfgs(packed, X, Y, None, *empty_lists(theirs, X))
    np.testing.assert_allclose(loss1, loss2, rtol=RTOL)
    np.testing.assert_allclose(grad1, grad2, rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(np.concatenate([a.ravel() for a in ours.coefs_ + ours.intercepts_]), packed)
    np.testing.assert_array_equal(ours.predict_proba(X), ours._trainer.predict(X))  # the views moved too
    with pytest.raises(ValueError, match="packed_parameters: expected shape"):
        ours._unpack(packed[:-1])


def test_initialize_draws_scikit_learns_weights_from_random_state():
    X, y = data(3)
    Y = LabelBinarizer().fit_transform(y)
    units = [X.shape[1], 7, 3]
    ours, theirs = gradkit.MLPClassifier(hidden_layer_sizes=(7,)), sk.MLPClassifier(hidden_layer_sizes=(7,))
    for est in (ours, theirs):
        est._random_state = np.random.RandomState(3)
        est._label_binarizer = LabelBinarizer().fit(y)
        est._initialize(Y, units, np.float64)
    for mine, ref in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_array_equal(mine, ref)
    for name in ("n_iter_", "t_", "n_outputs_", "n_layers_", "out_activation_", "loss_curve_", "best_loss_"):
        assert getattr(ours, name) == getattr(theirs, name), name


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adam"},
        {"solver": "sgd", "learning_rate": "invscaling", "power_t": 0.25},
        {"solver": "sgd", "learning_rate": "adaptive", "tol": 0.5, "max_iter": 60},
        {"solver": "sgd", "learning_rate": "constant"},
    ],
    ids=["adam", "invscaling", "adaptive", "constant"],
)
def test_optimizer_learning_rate_is_scikit_learns(params):
    X, y = data(3)
    ours, theirs = fitted_pair(gradkit.MLPClassifier, sk.MLPClassifier, X, y, **params)
    assert ours._optimizer.learning_rate == theirs._optimizer.learning_rate
    assert ours._optimizer.learning_rate_init == theirs._optimizer.learning_rate_init
    assert not hasattr(gradkit.MLPClassifier(), "_optimizer")


def test_optimizer_learning_rate_follows_a_gradkit_schedule():
    X, y = data(3)
    clf = gradkit.MLPClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate_init=0.1,
        lr_schedule=("StepLR", {"step_size": 2, "gamma": 0.5}),
        max_iter=4,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf._optimizer.learning_rate == 0.025


def test_weights_assigned_before_partial_fit_are_trained_as_scikit_learns():
    """scikit-learn's test_fit assigns coefs_ and intercepts_ to a new estimator, then partial_fit."""
    X = np.array([[0.6, 0.8, 0.7]])
    params = dict(
        solver="sgd", learning_rate_init=0.1, alpha=0.1, activation="logistic", hidden_layer_sizes=2
    )
    models = []
    for Est in (gradkit.MLPClassifier, sk.MLPClassifier):
        mlp = Est(momentum=0, random_state=1, max_iter=1, **params)
        mlp.coefs_ = [np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]]), np.array([[0.1], [0.2]])]
        mlp.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
        mlp.n_outputs_, mlp.n_features_in_, mlp.n_layers_ = 1, 3, 3
        mlp.n_iter_, mlp.t_, mlp.best_loss_, mlp.loss_curve_ = 0, 0, np.inf, []
        mlp.out_activation_, mlp._no_improvement_count = "logistic", 0
        mlp._intercept_velocity = [np.zeros_like(b) for b in mlp.intercepts_]  # scikit-learn reads these
        mlp._coef_velocity = [np.zeros_like(c) for c in mlp.coefs_]
        models.append(mlp.partial_fit(X, np.array([0]), classes=[0, 1]))
    ours, theirs = models
    for mine, ref in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, ref, rtol=1e-14)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-14)


# ---------------------------------------------------------------- divergence


def diverging_regression():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3)) * 1e3
    y = X @ np.array([1.0, 2.0, -1.0])
    return X, y


DIVERGING = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=10.0, max_iter=15, random_state=0)


def test_a_diverging_fit_carries_on_as_scikit_learns_and_raises_its_message():
    X, y = diverging_regression()
    msg = "Solver produced non-finite parameter weights. The input data may contain large values"
    ours = gradkit.MLPRegressor(**DIVERGING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=msg):
            ours.fit(X, y)
    diverged = [
        w for w in caught if w.category is RuntimeWarning and "on_divergence='raise'" in str(w.message)
    ]
    assert len(diverged) == 1  # once per fit
    theirs = sk.MLPRegressor(**DIVERGING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=msg):
            theirs.fit(X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)  # NaN where it has NaN
    assert np.isnan(ours.loss_curve_[-1]) and ours.n_iter_ == theirs.n_iter_


def test_early_stopping_on_a_diverging_fit_ends_on_the_best_finite_weights():
    """scikit-learn's issue 29504: NaN validation scores are recorded, the fit finishes."""
    X, y = diverging_regression()
    params = {**DIVERGING, "early_stopping": True, "max_iter": 12}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = gradkit.MLPRegressor(**params).fit(X, y)
        theirs = sk.MLPRegressor(**params).fit(X, y)
    assert np.isnan(ours.validation_scores_[-1])
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-12)
    assert all(np.isfinite(a).all() for a in ours.coefs_ + ours.intercepts_)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-12)


def test_on_divergence_raise_stops_at_the_first_non_finite_loss():
    X, y = diverging_regression()
    reg = gradkit.MLPRegressor(**DIVERGING, on_divergence="raise")
    with pytest.raises(ValueError, match=r"Training diverged in epoch \d+.*smaller learning_rate_init"):
        reg.fit(X, y)
    assert np.isfinite(reg.loss_curve_).all()
    assert all(np.isfinite(a).all() for a in reg.coefs_ + reg.intercepts_)


def test_on_divergence_is_validated_and_searchable():
    from sklearn.base import clone
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = diverging_regression()
    with pytest.raises(InvalidParameterError, match="on_divergence"):
        gradkit.MLPRegressor(on_divergence="ignore").fit(X, y)
    assert clone(gradkit.MLPRegressor(on_divergence="raise")).get_params()["on_divergence"] == "raise"


@pytest.mark.parametrize("limits", [{"max_iter": 2}, {"max_fun": 5}], ids=["max_iter", "max_fun"])
def test_lbfgs_warns_as_scikit_learn_when_it_stops_on_a_limit(limits):
    X, y = data(3, n=80)
    messages = []
    for Est in (gradkit.MLPClassifier, sk.MLPClassifier):
        with pytest.warns(ConvergenceWarning) as caught:
            Est(hidden_layer_sizes=(10,), solver="lbfgs", random_state=0, **limits).fit(X, y)
        messages.append([str(w.message) for w in caught if w.category is ConvergenceWarning])
    assert messages[0] == messages[1]
    assert messages[0][0].startswith("lbfgs failed to converge after")


def test_a_refused_refit_leaves_the_fitted_model_as_it_was():
    X, y = data(3, n=60)
    clf = gradkit.MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    state = {k: v for k, v in vars(clf).items() if k.endswith("_") and not k.startswith("_")}
    weights = clf._trainer.params.copy()
    X4, y4 = data(4, n=60, n_features=4)  # other columns and classes, and an X_val that does not fit them
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 4"):
        clf.fit(X4, y4, X_val=X4[:, :3], y_val=y4)
    for key, value in state.items():
        now = getattr(clf, key)
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):  # coefs_, intercepts_
            assert all(np.array_equal(a, b) for a, b in zip(now, value, strict=True)), key
        else:
            np.testing.assert_array_equal(now, value, err_msg=key)
    np.testing.assert_array_equal(clf._trainer.params, weights)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[clf.predict_proba(X).argmax(axis=1)])
