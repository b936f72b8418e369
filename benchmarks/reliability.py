"""Reliability, measured: resource stability, determinism across thread counts, and faults.

Resources: ``--cycles`` (default 1,000) cycles of fit / predict / pickle round trip / predict of an
MLPClassifier (hidden (32,), 5 epochs, 300 rows) plus an Adam optimizer and a StepLR scheduler
stepped and their state saved and loaded; after every cycle the resident set size (VmRSS), the OS
thread count (/proc/self/status), ``threading.active_count()`` and the open file descriptors
(/proc/self/fd). The RSS slope is a least-squares line over the cycles after the first tenth (the
warm-up: allocator pools, imports), in MB per 1,000 cycles.

Determinism: the same run on 1 and on 2 threads (``gradkit.set_num_threads``), compared bit for bit,
with the largest relative difference when not identical:
- every gradkit.optim optimizer, 10 steps on a 400 x 300 matrix and a 60,000 vector (float64 and
  float32; large enough that the element-wise loops are split between the threads);
- the estimators for each solver and each ``optimizer=`` (64 features, hidden (128,), batch 200:
  enough work per batch that backprop cuts it into row ranges, one per thread).

Faults: Ctrl-C (SIGINT from another thread at a random time) during ``--interrupts`` fits, each
checked for consistent attributes and the time from the signal to fit's return; and the cases of
tests/test_faults.py (run with pytest), counted.

Run: ``python benchmarks/reliability.py [--cycles N] [--interrupts K] [--quick] [--out PATH]
[--no-readme]``; writes benchmarks/results/reliability.md and the README's table between
``<!-- reliability-results:begin -->`` and ``<!-- reliability-results:end -->`` (``--quick``: 100
cycles, 3 interrupts, writes nothing unless ``--out`` is given).
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from table_output import write_table

import gradkit
from gradkit import MLPClassifier, MLPRegressor, optim, schedules

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ resources
def _status(field: str) -> int:
    """A numeric field of /proc/self/status (VmRSS in kB, Threads)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _one_cycle(X: np.ndarray, y: np.ndarray, seed: int) -> None:
    """Fit, predict, pickle round trip and predict again; an optimizer and a scheduler stepped and
    their state saved and loaded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=5, random_state=seed).fit(X, y)
    p = model.predict_proba(X)
    twin = pickle.loads(pickle.dumps(model))
    if not np.array_equal(twin.predict_proba(X), p):
        raise AssertionError("an unpickled model predicts otherwise")
    w = np.random.RandomState(seed).randn(1000)
    opt = optim.Adam([w], lr=0.01)
    scheduler = schedules.StepLR(opt, step_size=2)
    for _ in range(3):
        opt.step([w.copy()])
        scheduler.step()
    opt.load_state_dict(opt.state_dict())
    scheduler.load_state_dict(scheduler.state_dict())


def resource_cycles(cycles: int) -> dict:
    """RSS, threads and file descriptors over `cycles` cycles (see the module's docstring)."""
    rng = np.random.RandomState(0)
    X = rng.randn(300, 20)
    y = (X[:, 0] > 0).astype(int)
    _one_cycle(X, y, 0)  # imports and first-use allocations before the first measurement
    before = {"threads": _status("Threads"), "py_threads": threading.active_count(), "fds": _open_fds()}
    rss = []
    started = time.perf_counter()
    for i in range(cycles):
        _one_cycle(X, y, i)
        rss.append(_status("VmRSS") / 1024.0)
    elapsed = time.perf_counter() - started
    after = {"threads": _status("Threads"), "py_threads": threading.active_count(), "fds": _open_fds()}
    skip = max(1, cycles // 10)
    x = np.arange(skip, cycles, dtype=float)
    slope = float(np.polyfit(x, np.asarray(rss[skip:]), 1)[0]) if cycles - skip >= 2 else 0.0
    return {
        "cycles": cycles,
        "seconds": elapsed,
        "rss_first": rss[skip] if rss else 0.0,
        "rss_last": rss[-1] if rss else 0.0,
        "slope_mb_per_1000": slope * 1000.0,
        "before": before,
        "after": after,
    }


# ------------------------------------------------------------------ determinism
def _optimizer(name: str, params: list[np.ndarray]):
    if name == "Lookahead":
        return optim.Lookahead(optim.Adam(params, lr=1e-3))
    cls = getattr(optim, name)
    return cls(params) if name != "SGD" else cls(params, lr=0.01, momentum=0.9)


def _optimizer_run(name: str, dtype: type, threads: int) -> list[np.ndarray]:
    gradkit.set_num_threads(threads)
    rng = np.random.RandomState(0)
    params = [rng.randn(400, 300).astype(dtype), rng.randn(60_000).astype(dtype)]
    if name == "Muon":  # matrices only
        params[1] = params[1].reshape(300, 200)
    if name == "LBFGS":
        opt = optim.LBFGS(params, max_iter=10)

        def closure():
            loss = sum(float(np.sum((p - 0.5) ** 2 + 0.1 * np.sin(3 * p))) for p in params)
            return loss, [(2 * (p - 0.5) + 0.3 * np.cos(3 * p)).astype(dtype) for p in params]

        opt.step(closure)
        return params
    opt = _optimizer(name, params)
    if hasattr(opt, "train"):  # Schedule-Free's optimizers step in train mode
        opt.train()
    for _ in range(10):
        opt.step([(2 * (p - 0.5) + 0.3 * np.sin(3 * p)).astype(dtype) for p in params])
    return params


def _compare(a: list[np.ndarray], b: list[np.ndarray]) -> tuple[bool, float]:
    """(bit-identical, the largest difference of an array relative to its largest magnitude)."""
    same = all(np.array_equal(x, y) for x, y in zip(a, b))
    worst = 0.0
    for x, y in zip(a, b):
        x64, y64 = x.astype(np.float64), y.astype(np.float64)
        scale = float(np.max(np.abs(x64))) if x64.size else 0.0
        if scale > 0:
            worst = max(worst, float(np.max(np.abs(x64 - y64))) / scale)
    return same, worst


OPTIMIZERS = [n for n in optim.__all__ if n[0].isupper() and n != "Optimizer"]


def optimizer_determinism() -> list[tuple[str, str, bool, float]]:
    rows = []
    for name in OPTIMIZERS:
        for dtype in (np.float64, np.float32):
            one = _optimizer_run(name, dtype, 1)
            two = _optimizer_run(name, dtype, 2)
            same, worst = _compare(one, two)
            rows.append((name, np.dtype(dtype).name, same, worst))
    return rows


# The estimators' configurations: scikit-learn's solvers, then every optimizer= the estimators take.
ESTIMATOR_RUNS = [("solver='sgd'", {"solver": "sgd"}), ("solver='adam'", {"solver": "adam"})]
ESTIMATOR_RUNS += [("solver='lbfgs'", {"solver": "lbfgs", "max_iter": 30})]
ESTIMATOR_RUNS += [
    (f"optimizer={name!r}", {"optimizer": name})
    for name in OPTIMIZERS
    if name not in ("LBFGS", "Lookahead", "Muon")
]
ESTIMATOR_RUNS += [
    ("optimizer=('Lookahead', Adam)", {"optimizer": ("Lookahead", {"optimizer": "Adam"})}),
    ("optimizer='Muon'", {"optimizer": "Muon", "hidden_layer_sizes": (128, 64)}),
]


def _estimator_run(kwargs: dict, dtype: type, threads: int, regressor: bool = False) -> list[np.ndarray]:
    gradkit.set_num_threads(threads)
    rng = np.random.RandomState(0)
    X = rng.randn(2000, 64).astype(dtype)
    y = X[:, 0] + 0.5 * X[:, 1] if regressor else (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    args = {"hidden_layer_sizes": (128,), "max_iter": 5, "random_state": 0, **kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = (MLPRegressor if regressor else MLPClassifier)(**args).fit(X, y)
    return [a.copy() for a in model.coefs_ + model.intercepts_]


def estimator_determinism() -> list[tuple[str, str, bool, float]]:
    rows = []
    for label, kwargs in ESTIMATOR_RUNS:
        for dtype in (np.float64, np.float32):
            same, worst = _compare(_estimator_run(kwargs, dtype, 1), _estimator_run(kwargs, dtype, 2))
            rows.append((f"MLPClassifier {label}", np.dtype(dtype).name, same, worst))
    same, worst = _compare(
        _estimator_run({"solver": "adam"}, np.float64, 1, True),
        _estimator_run({"solver": "adam"}, np.float64, 2, True),
    )
    rows.append(("MLPRegressor solver='adam'", "float64", same, worst))
    return rows


def repeat_determinism() -> bool:
    """The same fit twice on 2 threads: identical (a thread count is deterministic with itself)."""
    return _compare(
        _estimator_run({"solver": "adam"}, np.float64, 2), _estimator_run({"solver": "adam"}, np.float64, 2)
    )[0]


# ------------------------------------------------------------------ faults
def interrupt_trials(trials: int, seed: int = 0) -> dict:
    """Fits interrupted by SIGINT sent from another thread at a random time in their first second."""
    rng = np.random.RandomState(seed)
    X = rng.randn(4000, 40)
    y = (X[:, 0] > 0).astype(int)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    latencies, epochs, consistent = [], [], 0
    try:
        for _ in range(trials):
            delay = float(rng.uniform(0.05, 1.0))
            ends: list[float] = []
            sent: list[float] = []

            def interrupt(delay=delay, sent=sent):
                time.sleep(delay)
                sent.append(time.perf_counter())
                os.kill(os.getpid(), signal.SIGINT)

            model = MLPClassifier(
                hidden_layer_sizes=(128,),
                max_iter=100_000,
                tol=0,
                n_iter_no_change=100_000,
                random_state=0,
                callbacks=[lambda info, ends=ends: ends.append(time.perf_counter())],
            )
            sender = threading.Thread(target=interrupt)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                sender.start()
                model.fit(X, y)
            returned = time.perf_counter()
            sender.join()
            latencies.append(returned - sent[0])
            epochs.append(float(np.median(np.diff(ends))) if len(ends) > 1 else float("nan"))
            n = model.n_iter_
            ok = (
                len(model.loss_curve_) == n
                and len(model.lr_history_) == n
                and all(len(c) == n for c in model.history_.values())
                and np.all(np.isfinite(model.coefs_[0]))
                and model.predict(X[:5]).shape == (5,)
            )
            model.set_params(callbacks=None)
            model.partial_fit(X, y)
            consistent += int(ok and len(model.loss_curve_) == n + 1)
    finally:
        signal.signal(signal.SIGINT, previous)
    return {
        "trials": trials,
        "consistent": consistent,
        "max_latency_ms": 1000 * max(latencies) if latencies else float("nan"),
        "median_epoch_ms": 1000 * float(np.nanmedian(epochs)) if epochs else float("nan"),
    }


def fault_tests() -> tuple[int, int]:
    """(passed, failed) of tests/test_faults.py, run with pytest in a subprocess."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests" / "test_faults.py"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ).stdout
    last = out.strip().splitlines()[-1] if out.strip() else ""
    passed = failed = 0
    for part in last.replace("=", " ").split(","):
        words = part.split()
        if len(words) >= 2 and words[0].isdigit():
            if words[1].startswith("passed"):
                passed = int(words[0])
            elif words[1].startswith("failed") or words[1].startswith("error"):
                failed += int(words[0])
    return passed, failed


# ------------------------------------------------------------------ the table
def _yes(same: bool, worst: float) -> str:
    return "bit-identical" if same else f"differs by up to {worst:.1e} of the largest weight"


def table(res: dict, opt_rows, est_rows, repeat: bool, interrupts: dict, tests: tuple[int, int]) -> str:
    b, a = res["before"], res["after"]
    lines = [
        f"Measured by `benchmarks/reliability.py` on {platform.machine()} ({os.cpu_count()} cores), "
        f"gradkit {gradkit.__version__}, NumPy {np.__version__}.",
        "",
        "| what was tried | count | what held |",
        "|---|---|---|",
        f"| fit / predict / pickle round trip / optimizer + scheduler state cycles | {res['cycles']} | "
        f"RSS {res['rss_first']:.1f} → {res['rss_last']:.1f} MB, slope "
        f"{res['slope_mb_per_1000']:+.2f} MB per 1,000 cycles; OS threads {b['threads']} → {a['threads']}, "
        f"Python threads {b['py_threads']} → {a['py_threads']}, open fds {b['fds']} → {a['fds']} |",
        f"| Ctrl-C (SIGINT from another thread at a random time) during a fit | {interrupts['trials']} | "
        f"{interrupts['consistent']}/{interrupts['trials']} returned with consistent attributes and "
        f"continued with partial_fit; slowest return {interrupts['max_latency_ms']:.0f} ms after the "
        f"signal (epochs of {interrupts['median_epoch_ms']:.0f} ms) |",
        f"| fault cases of tests/test_faults.py (Ctrl-C, raising callbacks and schedule functions, tampered "
        f"optimizer / scheduler / estimator states) | {tests[0] + tests[1]} | "
        f"{tests[0]} pass, {tests[1]} fail |",
    ]
    n_same = sum(r[2] for r in opt_rows)
    lines.append(
        f"| optimizers on 1 vs 2 threads (10 steps, 180,000 values, float64 and float32) | {len(opt_rows)} | "
        f"{n_same}/{len(opt_rows)} bit-identical |"
    )
    n_same = sum(r[2] for r in est_rows)
    lines.append(
        f"| estimators on 1 vs 2 threads (each solver and optimizer=, 5 epochs) | {len(est_rows)} | "
        f"{n_same}/{len(est_rows)} bit-identical; the same fit twice on 2 threads: "
        f"{'bit-identical' if repeat else 'differs'} |"
    )
    lines += ["", "Determinism, 1 vs 2 threads:", "", "| run | dtype | 1 vs 2 threads |", "|---|---|---|"]
    for name, dtype, same, worst in opt_rows:
        lines.append(f"| gradkit.optim.{name} | {dtype} | {_yes(same, worst)} |")
    for name, dtype, same, worst in est_rows:
        lines.append(f"| {name} | {dtype} | {_yes(same, worst)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--interrupts", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    cycles, trials = (100, 3) if args.quick else (args.cycles, args.interrupts)
    threads = gradkit.get_num_threads()
    try:
        res = resource_cycles(cycles)
        print(f"resources: {res}")
        opt_rows = optimizer_determinism()
        est_rows = estimator_determinism()
        repeat = repeat_determinism()
    finally:
        gradkit.set_num_threads(threads)
    interrupts = interrupt_trials(trials)
    print(f"interrupts: {interrupts}")
    tests = fault_tests()
    text = table(res, opt_rows, est_rows, repeat, interrupts, tests)
    print(text)
    out = args.out if args.out is not None else (None if args.quick else RESULTS / "reliability.md")
    write_table(text, out, None if args.quick or args.no_readme else "reliability-results")


if __name__ == "__main__":
    main()
