"""The README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_examples_in_readme_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no python example"
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, str(README), "exec"), namespace)
    # the optimizer example fits least squares
    X, y, w, b = (namespace[k] for k in ("X", "y", "w", "b"))
    best, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)
    np.testing.assert_allclose(np.r_[w, b], best, atol=1e-3)
