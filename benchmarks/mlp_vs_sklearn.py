"""gradkit.MLPClassifier vs scikit-learn's MLPClassifier (and an idiomatic PyTorch CPU loop).

In one process, with the same data, the same arguments and the same thread count on every side,
the runs alternate (gradkit, scikit-learn[, torch], gradkit, ...) and the table reports medians:

- digits (1797×64, X/16, a fixed 75/25 split), hidden (100,), adam, max_iter=200, the same
  random_state: fit time and test accuracy of each side.
- make_classification (100,000×100, 10 classes, n_informative=50), float32, hidden (256, 128), adam,
  max_iter=10: fit time of each side; with torch importable, also a PyTorch loop of the same network
  (Linear+ReLU, Adam lr=1e-3, batch 200, reshuffled each epoch, 10 epochs).
- predict_proba latency on the make_classification model for 1 row and for 10,000 rows.
- The arithmetic ceiling, timed in the same alternating rounds as the fits: the multiply-adds each
  fit's products need, the machine's matrix-product rate (NumPy's BLAS on 2048×2048 products, the
  same thread count) as the fastest either fit could be and the largest speed-up over scikit-learn
  that this machine allows, and the fit's products alone in NumPy's BLAS; a table checks issue 16's
  targets against them.
- ``--memory``: peak memory of a gradkit fit on 1 GB of float32 X (2,621,440×100, hidden (64,),
  1 epoch, batch 200), measured in a subprocess as its peak RSS (VmHWM) minus its RSS once X and y
  exist.

Threads: gradkit (``gradkit.set_num_threads``), scikit-learn's BLAS (threadpoolctl) and torch
(``torch.set_num_threads``) are given the same number (``--threads``, default: all cores).

Run: ``make bench-mlp`` or ``python benchmarks/mlp_vs_sklearn.py [--threads N] [--repeats R]
[--quick] [--memory] [--out PATH]``. Writes benchmarks/results/mlp_vs_sklearn.md (``--quick``, a
smoke run with smaller sizes and fewer repeats, writes nothing unless ``--out`` is given).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

import gradkit
from gradkit import MLPClassifier as GkMLPClassifier

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # scikit-learn's BLAS then runs with its own default thread count
    threadpool_info = threadpool_limits = None

torch = None  # imported by main(), not by the memory subprocess (its import would raise the peak RSS)

RESULTS = Path(__file__).parent / "results"
SEED = 0
DIGITS_UNITS = [64, 100, 10]


# The pause before each side's turn. A BLAS or OpenMP pool keeps its worker threads spinning for a
# while after its last product, holding the other core: a run started meanwhile is timed against
# that spinning (on 2 cores, gradkit's digits fit took 2.0 ms an epoch right after a scikit-learn fit
# and 1.1 ms after a 0.3 s pause). Every side gets the same pause.
SETTLE_SECONDS = 0.5


def median_times(
    runners: dict[str, Callable[[], object]], rounds: int, warmup: bool = True, calls_per_turn: int = 1
) -> dict:
    """Median seconds of one call of each callable, the sides taking turns.

    Each round gives every side a turn: a pause (SETTLE_SECONDS), then ``calls_per_turn`` timed calls
    in a row (many for a latency, one for a fit).
    """
    if warmup:  # thread pools, first-touch of buffers, lazy imports
        for run in runners.values():
            run()
    times: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(rounds):
        for key, run in runners.items():
            time.sleep(SETTLE_SECONDS)
            for _ in range(calls_per_turn):
                t0 = time.perf_counter()
                run()
                times[key].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


# ---------------------------------------------------------------------------------------- digits
def bench_digits(repeats: int, warmup: bool) -> dict:
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=SEED)
    args = {"hidden_layer_sizes": (100,), "solver": "adam", "max_iter": 200, "random_state": SEED}
    fitted: dict[str, object] = {}

    def fit(key, cls):
        def run():
            fitted[key] = cls(**args).fit(X_train, y_train)

        return run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = median_times(
            {
                "gradkit": fit("gradkit", GkMLPClassifier),
                "sklearn": fit("sklearn", SkMLPClassifier),
                # the ceilings, in the same rounds: the fit's products alone, and the large-GEMM rate
                "products": products_runner(DIGITS_UNITS, X_train.shape[0], args["max_iter"], np.float64),
                "gemm": gemm_runner(np.float64),
            },
            repeats,
            warmup,
        )
    gk, sk = fitted["gradkit"], fitted["sklearn"]
    return {
        "n_train": X_train.shape[0],
        "gradkit_s": t["gradkit"],
        "sklearn_s": t["sklearn"],
        "products_s": t["products"] * gk.n_iter_ / args["max_iter"],
        "gemm_s": t["gemm"],
        "speedup": t["sklearn"] / t["gradkit"],
        "gradkit_acc": gk.score(X_test, y_test),
        "sklearn_acc": sk.score(X_test, y_test),
        "gradkit_iter": gk.n_iter_,
        "sklearn_iter": sk.n_iter_,
        "dtype": f"{gk.coefs_[0].dtype} / {sk.coefs_[0].dtype}",
    }


# ------------------------------------------------------------------------------- make_classification
def torch_fit(X: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], epochs: int, batch: int):
    """The loop a PyTorch user writes: Linear+ReLU, CrossEntropyLoss, Adam, a fresh permutation per epoch."""
    torch.manual_seed(SEED)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    layers: list = []
    fan_in = X.shape[1]
    for width in hidden:
        layers += [torch.nn.Linear(fan_in, width), torch.nn.ReLU()]
        fan_in = width
    layers.append(torch.nn.Linear(fan_in, int(y.max()) + 1))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = Xt.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n)
        for start in range(0, n, batch):
            idx = perm[start : start + batch]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return model


def bench_large(n_samples: int, epochs: int, repeats: int, latency_calls: int) -> tuple[dict, dict]:
    X, y = make_classification(
        n_samples=n_samples, n_features=100, n_classes=10, n_informative=50, random_state=SEED
    )
    X = np.ascontiguousarray(X, dtype=np.float32)
    hidden = (256, 128)
    args = {"hidden_layer_sizes": hidden, "solver": "adam", "max_iter": epochs, "random_state": SEED}
    fitted: dict[str, object] = {}

    def fit(key, cls):
        def run():
            fitted[key] = cls(**args).fit(X, y)

        return run

    runners: dict[str, Callable[[], object]] = {
        "gradkit": fit("gradkit", GkMLPClassifier),
        "sklearn": fit("sklearn", SkMLPClassifier),
    }
    if torch is not None:
        runners["torch"] = lambda: torch_fit(X, y, hidden, epochs, 200)
    runners["products"] = products_runner([100, *hidden, 10], n_samples, epochs, np.float32)
    runners["gemm"] = gemm_runner(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # No warm-up round: each fit is seconds long and builds its own buffers, as a user's does.
        t = median_times(runners, repeats, warmup=False)
    gk, sk = fitted["gradkit"], fitted["sklearn"]
    fit_row = {
        "n_samples": n_samples,
        "epochs": epochs,
        "gradkit_s": t["gradkit"],
        "sklearn_s": t["sklearn"],
        "products_s": t["products"],
        "gemm_s": t["gemm"],
        "torch_s": t.get("torch"),
        "vs_sklearn": t["sklearn"] / t["gradkit"],
        "vs_torch": t["torch"] / t["gradkit"] if "torch" in t else None,
        "gradkit_dtype": str(gk.coefs_[0].dtype),
        "sklearn_dtype": str(sk.coefs_[0].dtype),
        "gradkit_train_acc": gk.score(X, y),
        "sklearn_train_acc": sk.score(X, y),
    }

    latency = {}
    for rows in (1, 10_000):
        Xq = np.ascontiguousarray(X[:rows])
        calls = latency_calls if rows == 1 else max(5, latency_calls // 20)
        turns = min(5, calls)
        lt = median_times(
            {"gradkit": lambda Xq=Xq: gk.predict_proba(Xq), "sklearn": lambda Xq=Xq: sk.predict_proba(Xq)},
            turns,
            calls_per_turn=calls // turns,
        )
        latency[rows] = {"calls": calls, **lt}
    return fit_row, latency


# ---------------------------------------------------------------------------------------- ceiling
def fit_multiply_adds(layer_units: list[int], rows: int, epochs: int) -> int:
    """The multiply-adds of an MLP fit's matrix products: per row and epoch, the forward product of every
    layer, its weight-gradient product, and the delta product of every layer but the first."""
    pairs = [a * b for a, b in zip(layer_units[:-1], layer_units[1:])]
    return epochs * rows * (2 * sum(pairs) + sum(pairs[1:]))


GEMM_SIZE = 2048


def gemm_runner(dtype: type, size: int = GEMM_SIZE) -> Callable[[], object]:
    """One size × size product in NumPy's BLAS: the machine's matrix-product rate at its best case
    (large, square) is size³ multiply-adds over its median time, taken in the same alternating rounds
    as the fits."""
    rng = np.random.default_rng(SEED)
    a, b = rng.random((size, size)).astype(dtype), rng.random((size, size)).astype(dtype)
    c = np.empty_like(a)
    return lambda: np.matmul(a, b, out=c)


def products_runner(
    layer_units: list[int], rows: int, epochs: int, dtype: type, batch: int = 200
) -> Callable[[], object]:
    """A callable that runs exactly a fit's matrix products in NumPy's BLAS, minibatch by minibatch for
    every epoch: per batch the forward product of every layer, then backward its weight-gradient and
    delta products, into preallocated arrays (no activation, loss or update). Timed in the same
    alternating rounds as the fits, it is the 'products alone' a fit is compared with."""
    rng = np.random.default_rng(SEED)
    weights = [rng.random((a, b)).astype(dtype) for a, b in zip(layer_units[:-1], layer_units[1:])]
    x = rng.random((batch, layer_units[0])).astype(dtype)
    outs = [np.empty((batch, b), dtype) for b in layer_units[1:]]
    grads = [np.empty_like(w) for w in weights]
    deltas = [np.empty((batch, a), dtype) for a in layer_units[1:-1]]
    sizes = [min(batch, rows - start) for start in range(0, rows, batch)]

    def fit_products() -> None:
        for _ in range(epochs):
            for m in sizes:
                ins = [x[:m]]
                for w, out in zip(weights, outs):
                    ins.append(np.matmul(ins[-1], w, out=out[:m]))
                for layer in reversed(range(len(weights))):
                    delta = outs[layer][:m]  # the layer's delta has its output's shape
                    np.matmul(ins[layer].T, delta, out=grads[layer])
                    if layer:
                        np.matmul(delta, weights[layer].T, out=deltas[layer - 1][:m])

    return fit_products


def ceiling_row(name: str, fit: dict, units: list[int], rows: int, epochs: int, dtype: str) -> dict:
    """The fit against the machine's ceilings measured in its own alternating run (fit['gemm_s'],
    fit['products_s'])."""
    macs = fit_multiply_adds(units, rows, epochs)
    rate = GEMM_SIZE**3 / fit["gemm_s"]
    fastest = macs / rate
    return {
        "name": name,
        "dtype": dtype,
        "multiply_adds": macs,
        "rate": rate,
        "fastest_s": fastest,
        "gradkit_s": fit["gradkit_s"],
        "sklearn_s": fit["sklearn_s"],
        "gradkit_of_peak": fastest / fit["gradkit_s"],
        "sklearn_of_peak": fastest / fit["sklearn_s"],
        "largest_speedup": fit["sklearn_s"] / fastest,
        "products_s": fit["products_s"],
        "of_products": fit["gradkit_s"] / fit["products_s"],
        "products_speedup": fit["sklearn_s"] / fit["products_s"],
    }


# ---------------------------------------------------------------------------------------- memory
def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _rss_bytes() -> int:
    return _status_bytes("VmRSS")


def _peak_rss_bytes() -> int:
    """This process image's peak RSS: VmHWM, which is ru_maxrss without what Linux carries over.

    ru_maxrss (resource.getrusage) starts from the parent's RSS across fork and execve, so in a
    subprocess of a large benchmark process it reports the parent's size; VmHWM begins anew at exec.
    """
    return _status_bytes("VmHWM")


def memory_child(rows: int, n_classes: int, threads: int) -> None:
    """In a fresh process: X of rows×100 float32 filled in place, one gradkit epoch, RSS figures as JSON."""
    gradkit.set_num_threads(threads)
    rng = np.random.default_rng(SEED)
    # A small fit first, so that one-time costs (lazy imports, thread pools) are not counted as the
    # big fit's; they are reported on their own.
    start_rss = _rss_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GkMLPClassifier(hidden_layer_sizes=(64,), max_iter=1, random_state=SEED).fit(
            rng.standard_normal((1000, 100), dtype=np.float32), rng.integers(0, n_classes, 1000)
        )
    one_time = _rss_bytes() - start_rss
    X = np.empty((rows, 100), dtype=np.float32)
    chunk = 65_536  # filled in slices so that no temporary of X's size ever exists
    for start in range(0, rows, chunk):
        rng.standard_normal(out=X[start : start + chunk], dtype=np.float32)
    y = (X[:, 0] > 0).astype(np.int64) if n_classes == 2 else rng.integers(0, n_classes, rows)
    clf = GkMLPClassifier(hidden_layer_sizes=(64,), max_iter=1, batch_size=200, random_state=SEED)
    baseline = _rss_bytes()
    peak_before = _peak_rss_bytes()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    seconds = time.perf_counter() - t0
    peak = _peak_rss_bytes()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes
    print(
        json.dumps(
            {
                "rows": rows,
                "n_classes": n_classes,
                "x_bytes": X.nbytes,
                "y_bytes": y.nbytes,
                "one_time": one_time,
                "baseline": baseline,
                "peak_before_fit": peak_before,
                "peak": peak,
                "ru_maxrss": maxrss,
                "seconds": seconds,
            }
        )
    )


def bench_memory(rows: int, threads: int) -> list[dict]:
    out = []
    for n_classes in (2, 10):
        cmd = [
            sys.executable,
            __file__,
            "--memory-child",
            str(rows),
            str(n_classes),
            "--threads",
            str(threads),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        # The fit's own memory: what the process's peak reached above its RSS once X and y existed
        # (meaningful only if nothing before the fit peaked higher; the child is built for that).
        if r["peak_before_fit"] > r["baseline"] + 4 * 2**20:
            raise RuntimeError(f"the memory child peaked before the fit: {r}")
        r["overhead"] = r["peak"] - r["baseline"]
        r["of_x"] = r["overhead"] / r["x_bytes"]
        out.append(r)
        print(
            f"memory: {rows:,}×100 float32 X = {r['x_bytes'] / 2**20:.0f} MiB, {n_classes} classes: "
            f"fit overhead {r['overhead'] / 2**20:.0f} MiB ({r['of_x']:.1%} of X), fit {r['seconds']:.1f} s "
            f"(one-time {r['one_time'] / 2**20:.0f} MiB; peak before fit "
            f"{r['peak_before_fit'] / 2**20:.0f} MiB, RSS with X and y {r['baseline'] / 2**20:.0f} MiB)",
            flush=True,
        )
    return out


# ---------------------------------------------------------------------------------------- report
def cpu_model() -> str:
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def blas_threads() -> str:
    if threadpool_info is None:
        return "scikit-learn's BLAS: default (threadpoolctl not installed)"
    blas = [f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"]
    return "scikit-learn's BLAS (threadpoolctl): " + (", ".join(blas) or "none found")


def _opt(x, spec, suffix=""):
    return "–" if x is None else format(x, spec) + suffix


def target_lines(digits: dict, large: dict, ceiling: list[dict]) -> list[str]:
    """The performance targets, each checked against this run's own measurements."""
    d, m = ceiling

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    rows = [
        ("digits: gradkit ÷ products alone ≤ 1.20×", f"{d['of_products']:.3f}×", d["of_products"] <= 1.2),
        ("digits: ≥ 4.5× scikit-learn", f"{digits['speedup']:.3f}×", digits["speedup"] >= 4.5),
        (
            "digits: same test accuracy",
            f"{digits['gradkit_acc'] - digits['sklearn_acc']:+.2%}",
            digits["gradkit_acc"] == digits["sklearn_acc"],
        ),
        (
            "make_classification: ≥ 75% of the machine's rate",
            f"{m['gradkit_of_peak']:.0%}",
            m["gradkit_of_peak"] >= 0.75,
        ),
        (
            "make_classification: ≥ 3.5× scikit-learn",
            f"{large['vs_sklearn']:.2f}×",
            large["vs_sklearn"] >= 3.5,
        ),
    ]
    if large["vs_torch"] is not None:
        rows.append(
            (
                "make_classification: ≥ 3× the PyTorch loop",
                f"{large['vs_torch']:.2f}×",
                large["vs_torch"] >= 3.0,
            )
        )
    return [
        "| target | this run | |",
        "|---|---:|---|",
        *(f"| {name} | {value} | {mark(ok)} |" for name, value, ok in rows),
    ]


def report(args, digits, large, latency, ceiling, memory, repeats) -> str:
    versions = (
        f"gradkit {gradkit.__version__}, scikit-learn {sklearn.__version__}, NumPy {np.__version__}, "
        + (f"torch {torch.__version__}" if torch is not None else "torch not installed")
    )
    threads = (
        f"Threads: gradkit {gradkit.get_num_threads()}; {blas_threads()}; torch "
        f"{torch.get_num_threads() if torch is not None else '–'}."
    )
    kind = "SMOKE RUN (--quick: smaller sizes, fewer repeats; not for quoting). " if args.quick else ""
    lines = [
        f"{kind}Measured {time.strftime('%Y-%m-%d')} on {cpu_model()}, {os.cpu_count()} cores; {versions}.",
        f"{threads} Fit times are medians of {repeats} alternating runs (digits: after one warm-up "
        f"round, except with --quick), each after a {SETTLE_SECONDS:g} s pause so that no side's "
        "thread pool is still spinning on the other core; latencies are medians of many calls, made in "
        "5 alternating turns with the same pause.",
        "",
        "| benchmark | data | dtype (gradkit / sklearn) | gradkit | scikit-learn | torch "
        "| × sklearn | × torch |",
        "|---|---|---|---:|---:|---:|---:|---:|",
        f"| fit, hidden (100,), adam, max_iter=200 (n_iter_ {digits['gradkit_iter']} / "
        f"{digits['sklearn_iter']}) | digits {digits['n_train']}×64 (X/16) | {digits['dtype']} "
        f"| {digits['gradkit_s'] * 1e3:.1f} ms | {digits['sklearn_s'] * 1e3:.1f} ms | – "
        f"| {digits['speedup']:.1f}× | – |",
        f"| test accuracy (25% held out) | digits | | {digits['gradkit_acc']:.2%} "
        f"| {digits['sklearn_acc']:.2%} | – | {100 * (digits['gradkit_acc'] - digits['sklearn_acc']):+.2f} "
        "points | – |",
        f"| fit, hidden (256, 128), adam, {large['epochs']} epochs "
        f"| make_classification {large['n_samples']:,}×100, 10 classes "
        f"| {large['gradkit_dtype']} / {large['sklearn_dtype']} | {large['gradkit_s']:.2f} s "
        f"| {large['sklearn_s']:.2f} s | {_opt(large['torch_s'], '.2f', ' s')} | {large['vs_sklearn']:.1f}× "
        f"| {_opt(large['vs_torch'], '.2f', '×')} |",
    ]
    for rows, lt in latency.items():
        lines.append(
            f"| predict_proba, {rows:,} row{'s' if rows > 1 else ''} ({lt['calls']} calls) "
            f"| the model above | {large['gradkit_dtype']} / {large['sklearn_dtype']} "
            f"| {lt['gradkit'] * 1e3:.3f} ms | {lt['sklearn'] * 1e3:.3f} ms | – "
            f"| {lt['sklearn'] / lt['gradkit']:.1f}× | – |"
        )
    lines += [
        "",
        f"Training accuracy after {large['epochs']} epochs on make_classification: gradkit "
        f"{large['gradkit_train_acc']:.2%}, scikit-learn {large['sklearn_train_acc']:.2%}. The torch loop: "
        "nn.Sequential of Linear+ReLU, CrossEntropyLoss, torch.optim.Adam(lr=1e-3), batches of 200 "
        "rows indexed from a torch.randperm per epoch, no L2 term (scikit-learn's alpha=1e-4 is left "
        "out), torch's default initialisation.",
    ]
    if ceiling:
        lines += [
            "",
            "The arithmetic ceiling, measured in the same alternating rounds as the fits above: a fit's "
            "matrix products need the multiply-adds below (forward, weight gradients, and deltas of every "
            "layer but the first, for every row and epoch), which no fit can do faster than this machine's "
            f"matrix-product rate: NumPy's BLAS multiplying {GEMM_SIZE}×{GEMM_SIZE} matrices on "
            f"{gradkit.get_num_threads()} threads (a product's best case). A minibatch's 200-row products "
            "run below that rate: 'products alone' times exactly the fit's products, batch by batch, in "
            "NumPy's BLAS from Python (same threads), with nothing else a fit does (activations, loss, "
            "optimizer steps, shuffling).",
            "",
            "| fit | dtype | multiply-adds | machine's rate | fastest possible fit | gradkit | scikit-learn "
            "| largest possible × sklearn | products alone (NumPy's BLAS) | gradkit ÷ products alone "
            "| × sklearn at products alone |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for c in ceiling:
            lines.append(
                f"| {c['name']} | {c['dtype']} | {c['multiply_adds'] / 1e9:.2f} G "
                f"| {c['rate'] / 1e9:.1f} G/s | {c['fastest_s'] * 1e3:.0f} ms "
                f"| {c['gradkit_s'] * 1e3:.0f} ms ({c['gradkit_of_peak']:.0%} of the rate) "
                f"| {c['sklearn_s'] * 1e3:.0f} ms ({c['sklearn_of_peak']:.0%}) | {c['largest_speedup']:.1f}× "
                f"| {c['products_s'] * 1e3:.0f} ms | {c['of_products']:.3f}× | {c['products_speedup']:.1f}× |"
            )
        lines += ["", *target_lines(digits, large, ceiling)]
    if memory:
        lines += [
            "",
            "Peak memory of a gradkit fit (MLPClassifier, hidden (64,), 1 epoch, batch_size 200), each in "
            "a fresh process: overhead = peak RSS (VmHWM; ru_maxrss would include the parent's RSS, which "
            "Linux carries over fork and exec) − RSS once X and y exist. A 1,000-row fit "
            "runs first, before X exists, so that one-time costs (lazy imports, thread pools) are not "
            "counted as the big fit's; they are the last column.",
            "",
            "| X (float32) | classes | overhead | X + overhead | fit time | one-time RSS |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for m in memory:
            lines.append(
                f"| {m['rows']:,}×100 = {m['x_bytes'] / 2**20:.0f} MiB | {m['n_classes']} "
                f"| {m['overhead'] / 2**20:.0f} MiB | X + {m['of_x']:.1%} | {m['seconds']:.1f} s "
                f"| {m['one_time'] / 2**20:.0f} MiB |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=os.cpu_count(), help="on every side (default: all cores)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="alternating runs of each fit (default 5)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: smaller sizes, fewer repeats")
    parser.add_argument("--memory", action="store_true", help="also the 1 GB peak-memory fit (needs ~3 GB)")
    parser.add_argument("--out", type=Path, default=None, help="the markdown file to write")
    parser.add_argument("--memory-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    gradkit.set_num_threads(args.threads)
    if args.memory_child:
        memory_child(*args.memory_child, args.threads)
        return
    global torch
    try:
        import torch
    except ImportError:  # torch's column is left out
        torch = None
    if threadpool_limits is not None:
        threadpool_limits(limits=args.threads, user_api="blas")
    if torch is not None:
        torch.set_num_threads(args.threads)

    repeats = 1 if args.quick else args.repeats
    n_samples, epochs = (20_000, 2) if args.quick else (100_000, 10)
    latency_calls = 100 if args.quick else 2000
    mem_rows = 262_144 if args.quick else 2_621_440

    print(f"threads {args.threads}; {blas_threads()}", flush=True)
    digits_repeats = repeats if args.quick else 2 * repeats + 1  # a digits fit is short: more rounds
    digits = bench_digits(digits_repeats, warmup=not args.quick)
    print(f"digits: {digits}", flush=True)
    large, latency = bench_large(n_samples, epochs, repeats, latency_calls)
    print(f"make_classification: {large}\nlatency: {latency}", flush=True)
    ceiling = [
        ceiling_row("digits", digits, DIGITS_UNITS, digits["n_train"], digits["gradkit_iter"], "float64"),
        ceiling_row("make_classification", large, [100, 256, 128, 10], n_samples, epochs, "float32"),
    ]
    print(f"ceiling: {ceiling}", flush=True)
    memory = bench_memory(mem_rows, args.threads) if args.memory else []

    text = report(args, digits, large, latency, ceiling, memory, f"{digits_repeats} (digits) / {repeats}")
    print("\n" + text)
    out = args.out if args.out is not None else (None if args.quick else RESULTS / "mlp_vs_sklearn.md")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
