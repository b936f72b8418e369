"""The estimators with the recent optimizers give the numbers of gradkit.optim driven by hand over
coefs_ and intercepts_. Those that keep two points (Schedule-Free, Lookahead) take gradients at the
training point, and everything a user sees between epochs (coefs_, predictions, validation scores,
pickles) is at the evaluation point: train() before the steps, eval() after them. Adafactor factors
each coefficient matrix; Prodigy's d is recorded in d_history_."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from gradkit import MLPClassifier, MLPRegressor
from gradkit.optim import Adafactor, Adam, Lookahead, Prodigy, ScheduleFreeAdamW, ScheduleFreeSGD

N, FEATURES, HIDDEN = 40, 3, 5


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, FEATURES))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
    return X, y


def _gradients(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """scikit-learn's squared-error gradient (alpha=0) of a relu network with one hidden layer, full batch."""
    W1, W2, b1, b2 = params
    pre = X @ W1 + b1
    hidden = np.maximum(pre, 0.0)
    delta = (hidden @ W2 + b2 - y[:, None]) / len(X)
    delta_hidden = (delta @ W2.T) * (pre > 0)
    return [X.T @ delta_hidden, hidden.T @ delta, delta_hidden.sum(axis=0), delta.sum(axis=0)]


def _by_hand(make_optimizer, start: list[np.ndarray], X, y, epochs: int):
    params = [p.copy() for p in start]
    opt = make_optimizer(params)
    for _ in range(epochs):
        opt.train()
        opt.step(_gradients(params, X, y))
        opt.eval()
    return params, opt


def _initial_weights(X, y) -> list[np.ndarray]:
    """The estimator's initial weights for random_state=0: one step at lr 1e-300 changes no weight (each
    change is below half an ulp of the weight)."""
    est = MLPRegressor(
        hidden_layer_sizes=(HIDDEN,),
        optimizer="SGD",
        learning_rate_init=1e-300,
        max_iter=1,
        batch_size=N,
        shuffle=False,
        alpha=0.0,
        random_state=0,
    )
    est.fit(X, y)
    return [*est.coefs_, *est.intercepts_]


CASES = {
    "Prodigy": (("Prodigy", {"weight_decay": 0.01}), 1.0, lambda p: Prodigy(p, lr=1.0, weight_decay=0.01)),
    "Adafactor": (
        ("Adafactor", {"beta2_decay": -0.5}),
        0.05,
        lambda p: Adafactor(p, lr=0.05, beta2_decay=-0.5),
    ),
    "ScheduleFreeAdamW": (
        ("ScheduleFreeAdamW", {"weight_decay": 0.01}),
        0.01,
        lambda p: ScheduleFreeAdamW(p, lr=0.01, weight_decay=0.01),
    ),
    "ScheduleFreeSGD": (
        ("ScheduleFreeSGD", {"momentum": 0.8}),
        0.05,
        lambda p: ScheduleFreeSGD(p, lr=0.05, momentum=0.8),
    ),
    "Lookahead(Adam)": (
        ("Lookahead", {"optimizer": "Adam", "k": 3, "alpha": 0.4}),
        0.02,
        lambda p: Lookahead(Adam(p, lr=0.02), k=3, alpha=0.4),
    ),
    "Lookahead(ScheduleFreeAdamW)": (
        ("Lookahead", {"optimizer": ("ScheduleFreeAdamW", {"betas": (0.8, 0.99)})}),
        0.01,
        lambda p: Lookahead(ScheduleFreeAdamW(p, lr=0.01, betas=(0.8, 0.99))),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_fit_is_gradkit_optim_with_train_before_and_eval_after_the_steps(case):
    spec, lr, make = CASES[case]
    X, y = _data()
    start = _initial_weights(X, y)
    est = MLPRegressor(
        hidden_layer_sizes=(HIDDEN,),
        optimizer=spec,
        learning_rate_init=lr,
        max_iter=12,
        batch_size=N,
        shuffle=False,
        alpha=0.0,
        n_iter_no_change=1000,
        random_state=0,
    )
    est.fit(X, y)
    assert est.n_iter_ == 12
    expected, opt = _by_hand(make, start, X, y, 12)
    for got, want in zip([*est.coefs_, *est.intercepts_], expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    if case == "Prodigy":
        assert len(est.d_history_) == 12
        assert est.d_history_[-1] == pytest.approx(opt.param_groups[0]["d"], rel=1e-10)
    else:
        assert est.d_history_ is None


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_pickled_fit_continues_exactly(case):
    spec, lr, _ = CASES[case]
    X, y = _data()
    est = MLPRegressor(
        hidden_layer_sizes=(HIDDEN,),
        optimizer=spec,
        learning_rate_init=lr,
        max_iter=5,
        batch_size=10,
        random_state=0,
    )
    with pytest.warns(Warning):  # ConvergenceWarning: 5 epochs
        est.fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(copy.predict(X), est.predict(X))
    for model in (est, copy):
        model.partial_fit(X, y)
        model.partial_fit(X, y)
    np.testing.assert_array_equal(copy.predict(X), est.predict(X))


def test_early_stopping_scores_and_keeps_the_evaluation_point():
    """Validation scores are those of the weights coefs_ ends with: the evaluation point x."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
    seen = []

    def record(info):
        seen.append(info["validation_score"])

    clf = MLPClassifier(
        hidden_layer_sizes=(8,),
        optimizer="ScheduleFreeAdamW",
        learning_rate_init=0.01,
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=40,
        random_state=0,
        callbacks=[record],
    )
    clf.fit(X, y)
    assert seen == clf.validation_scores_
    # coefs_ are the best epoch's (scikit-learn's early stopping), and they score what was recorded
    # for it on the same validation rows.
    assert clf.best_validation_score_ == max(clf.validation_scores_)
