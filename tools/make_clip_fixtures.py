"""Writes tests/fixtures/clip_grad.npz from torch.nn.utils.clip_grad_norm_ / clip_grad_value_.

Needs torch; ``make fixtures`` runs it, ``make test`` does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "clip_grad.npz"

NORM_CASES = [(1.0, 2.0), (0.5, 1.0), (0.3, float("inf")), (2.0, 3.0), (100.0, 2.0), (0.1, 0.5)]
VALUE_CASES = [0.05, 0.5, 10.0]


def grads(dtype: str) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.normal(size=s).astype(dtype) for s in [(5, 4), (4,), (3, 2, 2)]]


def with_grads(arrays: list[np.ndarray]) -> list[torch.Tensor]:
    """torch clips the .grad of parameters: wrap each gradient as one."""
    params = [torch.zeros(a.shape, dtype=torch.from_numpy(a).dtype) for a in arrays]
    for p, a in zip(params, arrays):
        p.grad = torch.from_numpy(a.copy())
    return params


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    meta = []
    for dtype in ["float64", "float32"]:
        for max_norm, norm_type in NORM_CASES:
            key = f"n{len(meta)}"
            ps = with_grads(grads(dtype))
            total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type, foreach=False)
            for k, p in enumerate(ps):
                arrays[f"{key}_{k}"] = p.grad.numpy()
            meta.append(
                dict(
                    key=key,
                    kind="norm",
                    dtype=dtype,
                    max_norm=max_norm,
                    norm_type=norm_type,
                    total=float(total),
                )
            )
        for clip_value in VALUE_CASES:
            key = f"v{len(meta)}"
            ps = with_grads(grads(dtype))
            torch.nn.utils.clip_grad_value_(ps, clip_value, foreach=False)
            for k, p in enumerate(ps):
                arrays[f"{key}_{k}"] = p.grad.numpy()
            meta.append(dict(key=key, kind="value", dtype=dtype, clip_value=clip_value))
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT, **arrays)
    print(f"{OUT}: {len(meta)} cases")


if __name__ == "__main__":
    main()
