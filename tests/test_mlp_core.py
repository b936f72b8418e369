"""The C++ MLP core against scikit-learn 1.9's MLP internals (fixtures from make_mlp_fixtures.py).

sklearn's ``_backprop`` (forward pass, loss with its L2 term and sample weights, gradients), its
initial weights, and NumPy's legacy RandomState draws that sklearn makes them with.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gradkit import _core

FIXTURES = Path(__file__).parent / "fixtures" / "mlp"
RTOL = {"float64": 1e-12, "float32": 1e-5}


def _cases(name: str):
    with np.load(FIXTURES / name) as data:
        meta = json.loads(str(data["meta"]))
        arrays = {k: data[k] for k in data.files if k != "meta"}
    return meta["cases"], arrays


BACKPROP, BACKPROP_ARRAYS = _cases("backprop.npz")


def _case_id(case: dict) -> str:
    weighted = "-weighted" if case["weighted"] else ""
    units = "x".join(map(str, case["layer_units"]))
    return f"{case['head']}-{case['hidden_activation']}-{units}{weighted}-{case['dtype']}"


def _split(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    out, at = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(flat[at : at + size].reshape(shape))
        at += size
    return out


@pytest.mark.parametrize("case", BACKPROP, ids=_case_id)
def test_backprop_matches_sklearn(case):
    a = {k[len(case["key"]) + 1 :]: v for k, v in BACKPROP_ARRAYS.items() if k.startswith(case["key"] + "_")}
    rtol = RTOL[case["dtype"]]
    X = a["X"]
    loss, grads, activations = _core.nn.mlp_backprop(
        case["layer_units"],
        case["hidden_activation"],
        case["out_activation"],
        a["params"],
        X,
        a["y"],
        a.get("sw"),
        case["alpha"],
    )
    assert loss == pytest.approx(case["loss"], rel=rtol)
    assert grads.dtype == X.dtype
    scale = np.abs(a["grads"]).max()
    np.testing.assert_allclose(grads, a["grads"], rtol=rtol, atol=rtol * 1e-2 * scale)
    units = case["layer_units"]
    expected = _split(a["activations"], [(X.shape[0], u) for u in units[1:]])
    for got, want in zip(activations, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("case", BACKPROP, ids=_case_id)
def test_initial_weights_are_sklearns_draws(case):
    params = BACKPROP_ARRAYS[case["key"] + "_params"]
    rs = _core.nn.LegacyRandomState(case["seed"])
    got = _core.nn.mlp_glorot_init(case["layer_units"], case["hidden_activation"], rs, case["dtype"])
    assert got.dtype == params.dtype
    np.testing.assert_array_equal(got, params)


def test_backprop_refuses_arrays_that_would_need_a_copy():
    case = BACKPROP[0]
    a = {k[len(case["key"]) + 1 :]: v for k, v in BACKPROP_ARRAYS.items() if k.startswith(case["key"] + "_")}
    args = [case["layer_units"], case["hidden_activation"], case["out_activation"]]
    with pytest.raises(TypeError, match="X: expected a C-contiguous float64 array"):
        _core.nn.mlp_backprop(*args, a["params"], a["X"].astype(np.float32), a["y"], None, 0.1)
    with pytest.raises(ValueError, match="X: expected .*not C-contiguous"):
        _core.nn.mlp_backprop(*args, a["params"], np.asfortranarray(a["X"]), a["y"], None, 0.1)
    with pytest.raises(ValueError, match=r"y: expected a C-contiguous float64 array of shape \(13, 3\)"):
        _core.nn.mlp_backprop(*args, a["params"], a["X"], a["y"][:, :2].copy(), None, 0.1)
    with pytest.raises(ValueError, match="params"):
        _core.nn.mlp_backprop(*args, a["params"][:-1].copy(), a["X"], a["y"], None, 0.1)
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'"):
        _core.nn.mlp_backprop(args[0], "sigmoid", args[2], a["params"], a["X"], a["y"], None, 0.1)


# NumPy's legacy RandomState is the reference: its stream is frozen by NumPy's compatibility policy.
@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1])
def test_legacy_random_state_draws_numpys_numbers(seed):
    ours, theirs = _core.nn.LegacyRandomState(seed), np.random.RandomState(seed)
    np.testing.assert_array_equal(ours.uniform(-0.3, 0.7, 1000), theirs.uniform(-0.3, 0.7, 1000))
    x, y = np.arange(1000, dtype=np.int64), np.arange(1000, dtype=np.int64)
    ours.shuffle(x)
    theirs.shuffle(y)
    np.testing.assert_array_equal(x, y)


def test_legacy_random_state_moves_to_and_from_numpy():
    theirs = np.random.RandomState(5)
    theirs.uniform(size=7)
    _, key, pos, _, _ = theirs.get_state()
    ours = _core.nn.LegacyRandomState(0)
    ours.set_state(key, pos)
    np.testing.assert_array_equal(ours.uniform(0.0, 1.0, 500), theirs.uniform(0.0, 1.0, 500))
    ours.uniform(0.0, 1.0, 3)  # the core draws on ...
    key, pos = ours.get_state()
    theirs.set_state(("MT19937", key, pos, 0, 0.0))  # ... and NumPy continues from there
    np.testing.assert_array_equal(theirs.uniform(size=5), ours.uniform(0.0, 1.0, 5))
    with pytest.raises(ValueError, match="624"):
        ours.set_state(key[:10], 0)
    with pytest.raises(TypeError, match="int64"):
        ours.shuffle(np.arange(5, dtype=np.int32))


# sklearn shuffles np.arange(n) and indexes the previous epoch's order with it; shuffling that order in
# place draws and moves the same way.
def test_shuffle_gives_sklearns_epoch_orders():
    with np.load(FIXTURES / "shuffle.npz") as data:
        for seed, n in [(0, 13), (42, 200), (7, 1)]:
            rs = _core.nn.LegacyRandomState(seed)
            idx = np.arange(n, dtype=np.int64)
            for epoch in range(3):
                rs.shuffle(idx)
                np.testing.assert_array_equal(idx, data[f"s{seed}_{n}_{epoch}"])
