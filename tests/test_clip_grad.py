"""gradkit.optim.clip_grad_norm_ / clip_grad_value_ against torch.nn.utils (fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gradkit.optim import clip_grad_norm_, clip_grad_value_

FIXTURE = Path(__file__).parent / "fixtures" / "clip_grad.npz"
TOLERANCE = {"float64": 1e-12, "float32": 1e-6}


def _grads(dtype: str) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.normal(size=s).astype(dtype) for s in [(5, 4), (4,), (3, 2, 2)]]


def _cases():
    with np.load(FIXTURE) as data:
        meta = json.loads(str(data["meta"]))
        for case in meta:
            expected = [data[f"{case['key']}_{k}"] for k in range(3)]
            yield pytest.param(case, expected, id=f"{case['kind']}-{case['key']}-{case['dtype']}")


@pytest.mark.parametrize(("case", "expected"), list(_cases()))
def test_matches_torch(case, expected):
    grads = _grads(case["dtype"])
    addresses = [g.__array_interface__["data"][0] for g in grads]
    rtol = TOLERANCE[case["dtype"]]
    if case["kind"] == "norm":
        total = clip_grad_norm_(grads, case["max_norm"], norm_type=case["norm_type"])
        assert total == pytest.approx(case["total"], rel=rtol)
    else:
        assert clip_grad_value_(grads, case["clip_value"]) is None
    for g, e, addr in zip(grads, expected, addresses):
        assert g.__array_interface__["data"][0] == addr and g.dtype == case["dtype"]
        np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * 1e-3)


def test_single_array_and_mixed_dtypes():
    g = np.array([3.0, 4.0])
    assert clip_grad_norm_(g, 1.0) == 5.0
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=1e-6)
    a, b = np.array([3.0]), np.array([4.0], dtype=np.float32)
    assert clip_grad_norm_([a, b], 10.0) == pytest.approx(5.0)
    assert a[0] == 3.0 and b[0] == 4.0  # below max_norm: unchanged


def test_nonfinite_norm_raises_when_asked_and_changes_nothing():
    g = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([g], 1.0, error_if_nonfinite=True)
    assert g[1] == 1.0


def test_refuses_gradients_it_cannot_change_in_place():
    with pytest.raises(ValueError, match=r"grads\[1\].*not C-contiguous"):
        clip_grad_norm_([np.ones(3), np.ones((3, 3))[:, 0]], 1.0)
    frozen = np.ones(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"grads\[0\].*read-only"):
        clip_grad_value_([frozen], 0.5)
    with pytest.raises(TypeError, match=r"grads\[0\]"):
        clip_grad_value_([[1.0, 2.0]], 0.5)
