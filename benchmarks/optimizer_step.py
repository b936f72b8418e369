"""Cost of one optimizer step: gradkit vs NumPy (written as scikit-learn writes it) vs torch.

For SGD with momentum, Adam and AdamW on 1M and 10M parameters in float32 and float64, each
implementation updates its own arrays in the same process; the runs alternate and the table
reports medians. Also: the effective bandwidth of each step (bytes it must move / time) as a
fraction of this machine's in-place streaming bandwidth on the same threads, and the per-array
overhead of one step() over 100 arrays of 1,000 elements.

The in-place streaming bandwidth is the ceiling of an element-wise step: ``a += s * b`` over two
arrays of the parameters' size and dtype (read a, read b, write a: 3 array passes, 12 bytes an
element in float32), run on the same threads as gradkit, in the same alternating rounds as the
steps. Two loops run exactly that: torch's ``a.add_(b, alpha=s)`` and gradkit's plain SGD step
(``p -= lr * g``, no momentum, no weight decay); the faster of the two in each row is the
reference (without torch, gradkit's alone, which the table says).

Threads: gradkit and torch are given the same number (``--threads``, default: all cores);
NumPy's element-wise operations always run on one thread.

Run: ``make bench`` or ``python benchmarks/optimizer_step.py [--threads N] [--quick]``.
Writes benchmarks/results/optimizer_step.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import gradkit

try:
    import torch
except ImportError:  # torch's columns are left out
    torch = None

RESULTS = Path(__file__).parent / "results"
LR, BETAS, EPS, MOMENTUM, WD = 1e-3, (0.9, 0.999), 1e-8, 0.9, 1e-2
# Array passes one step must make: reads and writes of parameter, gradient and state.
ACCESSES = {"SGD-momentum": 5, "Adam": 7, "AdamW": 7}
# The in-place streaming reference a += s * b: read a, read b, write a.
INPLACE_ACCESSES = 3


class NumpySGDMomentum:
    """scikit-learn's SGDOptimizer update: velocity = momentum * velocity - lr * grad."""

    def __init__(self, params):
        self.params = params
        self.velocities = [np.zeros_like(p) for p in params]

    def step(self, grads):
        updates = [MOMENTUM * v - LR * g for v, g in zip(self.velocities, grads)]
        self.velocities = updates
        for p, u in zip(self.params, updates):
            p += u


class NumpyAdam:
    """scikit-learn's AdamOptimizer update (with AdamW's decay when weight_decay is set)."""

    def __init__(self, params, weight_decay=0.0):
        self.params, self.wd, self.t = params, weight_decay, 0
        self.ms = [np.zeros_like(p) for p in params]
        self.vs = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        b1, b2 = BETAS
        self.ms = [b1 * m + (1 - b1) * g for m, g in zip(self.ms, grads)]
        self.vs = [b2 * v + (1 - b2) * (g**2) for v, g in zip(self.vs, grads)]
        lr = LR * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        updates = [-lr * m / (np.sqrt(v) + EPS) for m, v in zip(self.ms, self.vs)]
        for p, u in zip(self.params, updates):
            if self.wd:
                p *= 1 - LR * self.wd
            p += u


def make_gradkit(name, params):
    if name == "SGD-momentum":
        return gradkit.optim.SGD(params, lr=LR, momentum=MOMENTUM)
    if name == "Adam":
        return gradkit.optim.Adam(params, lr=LR, betas=BETAS, eps=EPS)
    return gradkit.optim.AdamW(params, lr=LR, betas=BETAS, eps=EPS, weight_decay=WD)


def make_numpy(name, params):
    if name == "SGD-momentum":
        return NumpySGDMomentum(params)
    return NumpyAdam(params, weight_decay=WD if name == "AdamW" else 0.0)


def make_torch(name, params, variant):
    tensors = [torch.from_numpy(p) for p in params]
    flag = {variant: True}
    if name == "SGD-momentum":
        opt = torch.optim.SGD(tensors, lr=LR, momentum=MOMENTUM, **flag)
    elif name == "Adam":
        opt = torch.optim.Adam(tensors, lr=LR, betas=BETAS, eps=EPS, **flag)
    else:
        opt = torch.optim.AdamW(tensors, lr=LR, betas=BETAS, eps=EPS, weight_decay=WD, **flag)

    class Step:
        def step(self, grads):
            for t, g in zip(tensors, grads):
                t.grad = torch.from_numpy(g)
            opt.step()

    return Step()


def inplace_runners(n: int, dtype: str) -> dict[str, Callable[[], None]]:
    """The candidate loops for a += s * b over arrays of n elements, on the benchmark's threads."""
    runners: dict[str, Callable[[], None]] = {}
    b = np.full(n, 1e-3, dtype)
    sgd = gradkit.optim.SGD([np.ones(n, dtype)], lr=LR)  # p -= lr * g: no momentum, no decay
    runners["inplace-gradkit-SGD"] = lambda: sgd.step([b])
    if torch is not None:
        ta, tb = torch.from_numpy(np.ones(n, dtype)), torch.from_numpy(b)
        runners["inplace-torch-add_"] = lambda: ta.add_(tb, alpha=-LR)
    return runners


def median_times(runners: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Runs each callable once per round, alternating, and returns the median seconds of each."""
    for run in runners.values():  # warm up: first-touch of state, thread pools
        run()
    times: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(repeats):
        for key, run in runners.items():
            t0 = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def bench_steps(sizes, dtypes, repeats) -> list[dict]:
    rows = []
    rng = np.random.default_rng(0)
    for dtype in dtypes:
        for n in sizes:
            grad = rng.standard_normal(n).astype(dtype) * 1e-3
            nbytes = grad.nbytes
            for name in ACCESSES:
                runners: dict[str, Callable[[], None]] = {}
                impls = {"gradkit": make_gradkit(name, [np.ones(n, dtype)])}
                impls["numpy"] = make_numpy(name, [np.ones(n, dtype)])
                if torch is not None:
                    for variant in ("foreach", "fused"):
                        try:
                            impls[f"torch-{variant}"] = make_torch(name, [np.ones(n, dtype)], variant)
                            impls[f"torch-{variant}"].step([grad])
                        except (RuntimeError, TypeError, ValueError):
                            impls.pop(f"torch-{variant}", None)
                for key, impl in impls.items():
                    runners[key] = lambda impl=impl, grad=grad: impl.step([grad])
                runners.update(inplace_runners(n, dtype))
                t = median_times(runners, repeats)
                torch_keys = [k for k in t if k.startswith("torch")]
                best_torch = min(torch_keys, key=t.get) if torch_keys else None
                reference = min((k for k in t if k.startswith("inplace-")), key=t.get)
                inplace_bw = INPLACE_ACCESSES * nbytes / t[reference]
                step_bw = ACCESSES[name] * nbytes / t["gradkit"]
                rows.append(
                    {
                        "optimizer": name,
                        "n": n,
                        "dtype": dtype,
                        "gradkit_ms": t["gradkit"] * 1e3,
                        "numpy_ms": t["numpy"] * 1e3,
                        "torch": best_torch,
                        "torch_ms": t[best_torch] * 1e3 if best_torch else None,
                        "vs_numpy": t["numpy"] / t["gradkit"],
                        "vs_torch": t[best_torch] / t["gradkit"] if best_torch else None,
                        "gbps": step_bw / 1e9,
                        "inplace_gbps": inplace_bw / 1e9,
                        "inplace_ref": reference.removeprefix("inplace-"),
                        "of_inplace": step_bw / inplace_bw,
                    }
                )
                print(_row(rows[-1]), flush=True)
    return rows


def bench_overhead(repeats: int) -> dict:
    """One step over 100 arrays of 1,000 elements vs one step over 1 array of 100,000."""
    many = [np.ones(1000) for _ in range(100)]
    many_g = [np.full(1000, 1e-3) for _ in range(100)]
    one, one_g = [np.ones(100_000)], [np.full(100_000, 1e-3)]
    opt_many, opt_one = gradkit.optim.Adam(many), gradkit.optim.Adam(one)
    runners = {"many": lambda: opt_many.step(many_g), "one": lambda: opt_one.step(one_g)}
    if torch is not None:
        tm = [torch.from_numpy(a) for a in many]
        for t, g in zip(tm, many_g):
            t.grad = torch.from_numpy(g)
        topt = torch.optim.Adam(tm, foreach=True)
        runners["torch"] = topt.step
    t = median_times(runners, repeats * 20)
    return {
        "many_us": t["many"] * 1e6,
        "one_us": t["one"] * 1e6,
        "overhead_us": (t["many"] - t["one"]) / 100 * 1e6,
        "torch_us": t["torch"] * 1e6 if "torch" in t else None,
    }


def _fmt(x, spec):
    return "–" if x is None else format(x, spec)


HEADER = (
    "| optimizer | params | dtype | gradkit ms | NumPy (sklearn-style) ms | torch fastest ms "
    "| × NumPy | × torch | gradkit GB/s | in-place GB/s (faster loop) | of in-place bandwidth |\n"
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _row(r):
    size = f"{r['n'] // 1_000_000}M"
    torch_col = f"{_fmt(r['torch_ms'], '.2f')} ({r['torch']})" if r["torch"] else "–"
    return (
        f"| {r['optimizer']} | {size} | {r['dtype']} | {r['gradkit_ms']:.2f} | {r['numpy_ms']:.2f} "
        f"| {torch_col} | {r['vs_numpy']:.1f}× | {_fmt(r['vs_torch'], '.2f')}× | {r['gbps']:.1f} "
        f"| {r['inplace_gbps']:.1f} ({r['inplace_ref']}) | {r['of_inplace']:.0%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--quick", action="store_true", help="1M only, 5 repeats (a smoke run)")
    parser.add_argument("--out", type=Path, default=None, help="the markdown file to write")
    args = parser.parse_args()
    gradkit.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000]
    repeats = 5 if args.quick else args.repeats
    cpu = (
        next(
            (ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
            platform.processor(),
        )
        if os.path.exists("/proc/cpuinfo")
        else platform.processor()
    )
    versions = f"gradkit {gradkit.__version__}, NumPy {np.__version__}" + (
        f", torch {torch.__version__}" if torch is not None else ", torch not installed"
    )
    print(HEADER)
    rows = bench_steps(sizes, ["float32", "float64"], repeats)
    over = bench_overhead(repeats)
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu}, {os.cpu_count()} cores; {versions}.",
        f"Threads: gradkit {gradkit.get_num_threads()}, torch "
        f"{torch.get_num_threads() if torch is not None else '–'}, NumPy 1 (its element-wise loops are "
        f"single-threaded). Medians of {repeats} alternating runs of one step. Bandwidth counts "
        f"{ACCESSES['Adam']} array passes for Adam/AdamW and {ACCESSES['SGD-momentum']} for SGD-momentum "
        f"(4 bytes an element each in float32, 8 in float64). The reference is this machine's in-place "
        f"streaming bandwidth on the same {gradkit.get_num_threads()} threads: `a += s * b` over arrays of "
        f"the parameters' size and dtype ({INPLACE_ACCESSES} passes: read a, read b, write a), timed in "
        "the same alternating rounds as the steps, "
        + (
            "as the faster of torch's `a.add_(b, alpha=s)` and gradkit's plain SGD step (`p -= lr * g`, the "
            "same loop), named in the row. "
            if torch is not None
            else "as gradkit's plain SGD step (`p -= lr * g`, the same loop; torch is not installed, so its "
            "`a.add_(b, alpha=s)`, the other candidate, is left out). "
        )
        + "An element-wise step cannot move its bytes faster than "
        "that loop moves its own, so 100% is the ceiling (1M-element arrays stay in the L3 cache, "
        "10M do not).",
        "",
        HEADER,
        *(_row(r) for r in rows),
        "",
        f"One Adam step() over 100 float64 arrays of 1,000 elements: {over['many_us']:.1f} µs; over one "
        f"array of 100,000: {over['one_us']:.1f} µs; overhead per array: {over['overhead_us']:.2f} µs"
        + (f" (torch foreach, same 100 arrays: {over['torch_us']:.1f} µs)." if over["torch_us"] else "."),
    ]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    out = args.out if args.out is not None else (None if args.quick else RESULTS / "optimizer_step.md")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
