"""scikit-learn's MLP update rules in the core (SklearnSGD, SklearnAdam) against sklearn 1.9's
SGDOptimizer and AdamOptimizer (fixtures from make_mlp_fixtures.py): the same bits, float64 and float32.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gradkit import _core

FIXTURE = Path(__file__).parent / "fixtures" / "mlp" / "optimizers.npz"

with np.load(FIXTURE) as _data:
    CASES = json.loads(str(_data["meta"]))["cases"]
    ARRAYS = {k: _data[k] for k in _data.files if k != "meta"}


def _id(case: dict) -> str:
    if case["kind"] == "sgd":
        return f"sgd-{case['schedule']}-m{case['momentum']}-nesterov{case['nesterov']}-{case['dtype']}"
    return f"adam-lr{case['lr']}-b{case['beta_1']}-{case['dtype']}"


def _unpack(flat: np.ndarray) -> list[np.ndarray]:
    return [flat[:12].reshape(3, 4).copy(), flat[12:].copy()]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_trajectory_matches_sklearn(case):
    key = case["key"]
    params = _unpack(ARRAYS[f"{key}_init"])
    if case["kind"] == "sgd":
        hyper = {"lr": case["lr"], "momentum": case["momentum"], "nesterov": case["nesterov"]}
        group = getattr(_core.optim.SklearnSGD, case["dtype"])(hyper)
    else:
        hyper = {k: case[k] for k in ["lr", "beta_1", "beta_2", "epsilon"]}
        group = getattr(_core.optim.SklearnAdam, case["dtype"])(hyper)
    group.add_params(params, 0)
    for step in range(case["steps"]):
        if case["kind"] == "sgd":
            # sklearn's learning_rate modes reassign the rate between steps; here the caller does.
            group.set_hyper({"lr": float(ARRAYS[f"{key}_lr"][step])})
        group.step(_unpack(ARRAYS[f"{key}_grads"][step]), 0)
        np.testing.assert_array_equal(
            np.concatenate([p.ravel() for p in params]), ARRAYS[f"{key}_params"][step]
        )


def test_state_is_sklearns_velocity_and_moments():
    w = np.array([1.0, 2.0])
    sgd = _core.optim.SklearnSGD.float64({"lr": 0.5, "momentum": 0.5, "nesterov": False})
    sgd.add_params([w], 0)
    sgd.step([np.array([2.0, -2.0])], 0)
    np.testing.assert_array_equal(sgd.get_state()[0]["velocity"], [-1.0, 1.0])
    np.testing.assert_array_equal(w, [0.0, 3.0])
    adam = _core.optim.SklearnAdam.float64({})
    assert adam.get_hyper() == {"lr": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
    adam.add_params([w], 0)
    adam.step([np.array([1.0, -1.0])], 0)
    state = adam.get_state()[0]
    assert state["t"] == 1.0 and set(state) == {"t", "m", "v"}


def test_invalid_hyperparameters_are_refused():
    with pytest.raises(ValueError, match="momentum"):
        _core.optim.SklearnSGD.check_hyper({"momentum": 1.5})
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        _core.optim.SklearnAdam.check_hyper({"beta_2": 1.0})
    with pytest.raises(ValueError, match="epsilon"):
        _core.optim.SklearnAdam.check_hyper({"epsilon": 0.0})
