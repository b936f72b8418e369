"""gradkit's MLPClassifier / MLPRegressor reproduce scikit-learn 1.9's training numbers.

Fixtures from tests/fixtures/make_estimator_fixtures.py (scikit-learn 1.9.1): a few epochs of every
stochastic solver and learning_rate mode, momentum with and without Nesterov, early stopping, sample
weights, no shuffling, warm_start and partial_fit; and sklearn's test scores on five datasets.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import gradkit  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "mlp"


def _load():
    with np.load(FIXTURES / "estimators.npz") as data:
        meta = json.loads(str(data["meta"]))
        arrays = {k: data[k] for k in data.files if k != "meta"}
    return meta["cases"], arrays


CASES, ARRAYS = _load()


def _case_id(case: dict) -> str:
    p = case["params"]
    parts = [case["head"], p["solver"], p.get("learning_rate", "constant")]
    if p.get("early_stopping"):
        parts.append("early")
    if f"{case['key']}_sw" in ARRAYS:
        parts.append("weighted")
    if case["calls"] != ["fit"]:
        parts.append("+".join(case["calls"]))
    return "-".join(parts + [case["dtype"], case["key"]])


def _packed(est) -> np.ndarray:
    return np.concatenate([a.ravel() for a in list(est.coefs_) + list(est.intercepts_)])


def _train(case: dict):
    a = {k[len(case["key"]) + 1 :]: v for k, v in ARRAYS.items() if k.startswith(case["key"] + "_")}
    params = dict(case["params"])
    params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    est = getattr(gradkit, case["estimator"])(**params)
    X, y, sw = a["X"], a["y"], a.get("sw")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # batch_size clipped
        for call in case["calls"]:
            if call == "fit":
                est.fit(X, y, sample_weight=sw)
            elif case["estimator"] == "MLPClassifier" and case["head"] != "multilabel":
                est.partial_fit(X, y, sample_weight=sw, classes=np.unique(y))
            else:
                est.partial_fit(X, y, sample_weight=sw)
    return est, a


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_training_matches_sklearn(case):
    est, a = _train(case)
    float32 = case["dtype"] == "float32"
    params_rtol, curve_rtol = (1e-4, 1e-5) if float32 else (1e-6, 1e-8)
    got = _packed(est)
    assert got.dtype == np.dtype(case["dtype"])
    np.testing.assert_allclose(got, a["params"], rtol=params_rtol, atol=params_rtol * 1e-2)
    np.testing.assert_allclose(est.loss_curve_, a["loss_curve"], rtol=curve_rtol)
    assert est.n_iter_ == case["n_iter"]
    assert est.t_ == case["t"]
    assert est.loss_ == pytest.approx(case["loss"], rel=curve_rtol)
    if case["best_loss"] is None:
        assert est.best_loss_ is None
    else:
        assert est.best_loss_ == pytest.approx(case["best_loss"], rel=curve_rtol)
    if "validation_scores" in a:
        # accuracies are ratios of the same counts; R² sums in another order than NumPy
        np.testing.assert_allclose(est.validation_scores_, a["validation_scores"], rtol=1e-12)
        assert est.best_validation_score_ == pytest.approx(case["best_validation_score"], rel=1e-12)
    else:
        assert est.validation_scores_ is None
        assert est.best_validation_score_ is None


def _dataset(name: str):
    loader = {
        "iris": load_iris,
        "wine": load_wine,
        "breast_cancer": load_breast_cancer,
        "digits": load_digits,
        "diabetes": load_diabetes,
    }[name]
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if name == "diabetes":
        scale = float(np.std(y_train))
        y_train, y_test = y_train / scale, y_test / scale
    return X_train, X_test, y_train, y_test


ACCURACY = json.loads((FIXTURES / "accuracy.json").read_text())["cases"]


@pytest.mark.parametrize("name", sorted(ACCURACY))
def test_accuracy_matches_sklearn(name):
    case = ACCURACY[name]
    X_train, X_test, y_train, y_test = _dataset(case["dataset"])
    params = dict(case["params"])
    params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    Est = gradkit.MLPRegressor if case["dataset"] == "diabetes" else gradkit.MLPClassifier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Est(**params).fit(X_train, y_train)
    score = est.score(X_test, y_test)
    # the same training as sklearn's (for 'lbfgs', scipy's L-BFGS-B's steps): the same score
    assert score == pytest.approx(case["score"], abs=1e-9)
    assert est.n_iter_ == case["n_iter"]
