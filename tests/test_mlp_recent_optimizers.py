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
from gradkit.optim import Adafactor, Adam, AdamW, Lookahead, Muon, Prodigy, ScheduleFreeAdamW, ScheduleFreeSGD

N, FEATURES, HIDDEN = 40, 3, 5


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, FEATURES))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
    return X, y


def _gradients(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """scikit-learn's squared-error gradient (alpha=0) of a relu network, full batch; params are the
    coefficient matrices, then the intercepts."""
    layers = len(params) // 2
    coefs, intercepts = params[:layers], params[layers:]
    activations, pre = [X], []
    for i in range(layers):
        pre.append(activations[-1] @ coefs[i] + intercepts[i])
        activations.append(pre[-1] if i == layers - 1 else np.maximum(pre[-1], 0.0))
    delta = (activations[-1] - y[:, None]) / len(X)
    coef_grads, intercept_grads = [None] * layers, [None] * layers
    for i in reversed(range(layers)):
        coef_grads[i] = activations[i].T @ delta
        intercept_grads[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ coefs[i].T) * (pre[i - 1] > 0)
    return [*coef_grads, *intercept_grads]


def _by_hand(make_optimizer, start: list[np.ndarray], X, y, epochs: int):
    params = [p.copy() for p in start]
    opt = make_optimizer(params)
    for _ in range(epochs):
        opt.train()
        opt.step(_gradients(params, X, y))
        opt.eval()
    return params, opt


def _initial_weights(X, y, hidden=(HIDDEN,)) -> list[np.ndarray]:
    """The estimator's initial weights for random_state=0: one step at lr 1e-300 changes no weight (each
    change is below half an ulp of the weight)."""
    est = MLPRegressor(
        hidden_layer_sizes=hidden,
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


class _Hybrid:
    """Muon over the hidden-to-hidden matrices, AdamW over everything else: the estimators' Muon."""

    def __init__(self, params, muon_indices, lr, ratio, muon_kwargs, adamw_kwargs):
        self.muon = Muon([params[i] for i in muon_indices], lr=lr, rows_are_inputs=True, **muon_kwargs)
        self.rest = [i for i in range(len(params)) if i not in muon_indices]
        self.adamw = AdamW([params[i] for i in self.rest], lr=lr * ratio, **adamw_kwargs)
        self.muon_indices = muon_indices

    def train(self):
        pass

    def eval(self):
        pass

    def step(self, grads):
        self.muon.step([grads[i] for i in self.muon_indices])
        self.adamw.step([grads[i] for i in self.rest])


@pytest.mark.parametrize(
    ("layers", "muon_indices"),
    [("hidden", [1]), ("all", [0, 1, 2])],
)
def test_muon_runs_on_the_hidden_matrices_and_adamw_on_the_rest(layers, muon_indices):
    X, y = _data()
    hidden = (6, 4)
    start = _initial_weights(X, y, hidden)
    spec = (
        "Muon",
        {"momentum": 0.9, "ns_dtype": "float64", "adamw": {"weight_decay": 0.05}, "adamw_lr_ratio": 0.5,
         "muon_layers": layers},
    )  # fmt: skip
    est = MLPRegressor(
        hidden_layer_sizes=hidden,
        optimizer=spec,
        learning_rate_init=0.02,
        max_iter=10,
        batch_size=N,
        shuffle=False,
        alpha=0.0,
        n_iter_no_change=1000,
        random_state=0,
    )
    est.fit(X, y)

    def make(params):
        return _Hybrid(
            params, muon_indices, 0.02, 0.5, {"momentum": 0.9, "ns_dtype": "float64"}, {"weight_decay": 0.05}
        )

    expected, _ = _by_hand(make, start, X, y, 10)
    for got, want in zip([*est.coefs_, *est.intercepts_], expected):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_muon_refuses_what_the_estimators_cannot_give_it():
    X, y = _data()
    for spec, message in [
        (("Muon", {"rows_are_inputs": False}), "rows_are_inputs=True"),
        (("Muon", {"adamw": {"lr": 0.1}}), "without 'lr'"),
        (("Muon", {"muon_layers": "first"}), "'hidden' or 'all'"),
        (("Muon", {"adamw_lr_ratio": 0.0}), "positive number"),
        (("Muon", {"ns_dtype": "float16"}), "ns_dtype"),
    ]:
        with pytest.raises(ValueError, match=message):
            MLPRegressor(optimizer=spec, max_iter=1).fit(X, y)
