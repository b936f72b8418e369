"""solver='lbfgs' takes scikit-learn's steps: scipy's L-BFGS-B, ported to the core.

Fixtures from tests/fixtures/make_lbfgs_fixtures.py (scikit-learn 1.9.1, scipy 1.17.1): binary,
multiclass and regression networks with every activation after 1, 3 and 10 iterations, runs to
convergence (or to a failed line search: scipy's status 2), max_fun stops, sample weights and float32
data. The loss and gradient are the same function as scikit-learn's up to the last bits of its sums,
so the weights agree to about 1e-13 after 10 iterations on float64 (L-BFGS amplifies differences the
longer it runs: see the README).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from gradkit import MLPClassifier, MLPRegressor  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "mlp" / "lbfgs.npz"


def _load():
    with np.load(FIXTURE) as data:
        meta = json.loads(str(data["meta"]))
        arrays = {k: data[k] for k in data.files if k != "meta"}
    return meta["cases"], arrays


CASES, ARRAYS = _load()


def _case_id(case: dict) -> str:
    p = case["params"]
    parts = [case["head"], p["activation"], f"iter{p['max_iter']}"]
    if p["max_fun"] != 15000:
        parts.append(f"fun{p['max_fun']}")
    if case["weighted"]:
        parts.append("weighted")
    return "-".join(parts + [case["dtype"]])


def _packed(est) -> np.ndarray:
    return np.concatenate([a.ravel() for a in list(est.coefs_) + list(est.intercepts_)])


def _fit(case: dict):
    params = dict(case["params"])
    params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    Est = MLPRegressor if case["estimator"] == "MLPRegressor" else MLPClassifier
    X = ARRAYS[f"{case['head']}_X"].astype(case["dtype"])
    y = ARRAYS[f"{case['head']}_y"]
    sw = ARRAYS["sample_weight"] if case["weighted"] else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = Est(**params).fit(X, y, sample_weight=sw)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return est, warned


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_lbfgs_matches_sklearn(case):
    est, warned = _fit(case)
    expected = ARRAYS[f"{case['key']}_params"]
    # float32: both evaluate the network in float32 at the solver's float64 weights rounded to float32;
    # their float32 sums round differently, and the steps amplify it.
    rtol = 1e-4 if case["dtype"] == "float32" else 1e-7
    np.testing.assert_allclose(_packed(est), expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    assert est.n_iter_ == case["n_iter"]
    assert est.loss_ == pytest.approx(case["loss"], rel=rtol)
    assert warned == case["warned"]
