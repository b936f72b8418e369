"""The README's examples run as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_examples_in_readme_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no python example"
    namespaces = []
    # "Sweeps on a cluster" starts a LocalCluster, whose nanny leaves OMP_NUM_THREADS=1 (and more) in
    # this process's environment; later tests' subprocesses must not inherit it.
    environ = dict(os.environ)
    try:
        for block in blocks:
            namespaces.append({})
            exec(compile(block, str(README), "exec"), namespaces[-1])
    finally:
        os.environ.clear()
        os.environ.update(environ)
    # the optimizer example fits least squares
    X, y, w, b = (namespaces[0][k] for k in ("X", "y", "w", "b"))
    best, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)
    np.testing.assert_allclose(np.r_[w, b], best, atol=1e-3)


def test_schedule_example_in_readme_follows_the_curve():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    namespace: dict = {}
    exec(compile(blocks[1], str(README), "exec"), namespace)
    curve, opt = namespace["curve"], namespace["opt"]
    assert curve.shape == (200,)
    assert opt.param_groups[0]["lr"] == curve[100]
    np.testing.assert_allclose(namespace["w"], 1.0, atol=1e-2)


def test_readme_tables_list_every_optimizer_and_schedule():
    import gradkit

    text = README.read_text()
    listed = set(re.findall(r"^\| `([A-Za-z]+)`", text, flags=re.M))
    listed |= set(re.findall(r"^\| `[A-Za-z]+`, `([A-Za-z]+)`", text, flags=re.M))  # "`Adam`, `AdamW`"
    optimizers = {n for n in gradkit.optim.__all__ if n[0].isupper() and n != "Optimizer"}
    schedules = {n for n in gradkit.schedules.__all__ if n[0].isupper() and n != "LRScheduler"}
    assert optimizers - listed == set()
    assert schedules - listed == set()
    # and each row names its torch / scikit-learn / Keras equivalent, or says there is none
    rows = [line for line in text.splitlines() if re.match(r"^\| `[A-Za-z]+`", line)]
    assert rows and all(line.count("|") == 4 for line in rows)


def _run_all():
    """benchmarks/run_all.py as a module (it is a script, not part of the package)."""
    import importlib.util

    path = README.parent / "benchmarks" / "run_all.py"
    spec = importlib.util.spec_from_file_location("run_all", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_quotes_benchmarks_results_md_unchanged():
    # Every benchmark number in the README comes from benchmarks/results.md, written by run_all.py.
    run_all = _run_all()
    results = (README.parent / "benchmarks" / "results.md").read_text()
    text = README.read_text()
    assert text == run_all.replace_between_markers(text, run_all.readme_block(results))


def test_results_block_replacement_refuses_a_readme_without_markers():
    with pytest.raises(ValueError, match="benchmark-results:begin"):
        _run_all().replace_between_markers("# no markers here\n", "| table |")


@pytest.mark.parametrize(
    ("marker", "results"),
    [
        ("untuned-results", "untuned.md"),
        ("feature-results", "estimator_features.md"),
        ("reliability-results", "reliability.md"),
    ],
)
def test_readme_quotes_each_standalone_benchmark_table_unchanged(marker, results):
    # benchmarks/untuned.py and benchmarks/estimator_features.py write their table to
    # benchmarks/results/ and between their markers in the README, the same text in both.
    text = README.read_text()
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    quoted = text[text.index(begin) + len(begin) : text.index(end)].strip()
    assert quoted == (README.parent / "benchmarks" / "results" / results).read_text().strip()
