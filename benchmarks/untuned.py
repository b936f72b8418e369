"""Optimizers at their defaults, with no learning-rate search, against scikit-learn's default adam.

What a scikit-learn user gets without tuning: each gradkit optimizer is given to the estimators'
``optimizer=`` with its own defaults (``learning_rate_init`` is set to the optimizer's default ``lr``,
since the estimators take the rate from there), and scikit-learn's MLP runs with its defaults
(adam, lr 1e-3). Everything else is the estimators' defaults: hidden (100,), max_iter=200 epochs,
batch min(200, n), the same stop on a stalled training loss (``n_iter_no_change=10``).

Data: digits, breast_cancer and wine (classification: test accuracy) and diabetes (regression:
test R², the target standardised), each standardised on its training part, with a 75/25 split per
seed; 5 seeds, which set both the split and ``random_state``. The table reports mean ± std over
the seeds of the test score and of the fit time, and the epochs run.

Threads: every side runs with ``--threads`` (default 1) threads: gradkit via
``gradkit.set_num_threads``, scikit-learn's BLAS via threadpoolctl. The sides alternate within each
seed, so a phase of a slower machine reaches all of them.

Run: ``make bench-untuned`` or ``python benchmarks/untuned.py [--threads N] [--seeds S] [--quick]
[--out PATH] [--no-readme]``; writes benchmarks/results/untuned.md and the README's table between
``<!-- untuned-results:begin -->`` and ``<!-- untuned-results:end -->`` (``--quick``: 2 seeds, 2 data
sets, 50 epochs, writes nothing unless ``--out`` is given).
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler
from table_output import add_table_arguments, write_table

import gradkit
import gradkit.optim
from gradkit import MLPClassifier, MLPRegressor

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # scikit-learn's BLAS then runs with its own default thread count
    threadpool_limits = None

RESULTS = Path(__file__).parent / "results"

# The gradkit optimizers run at their defaults: the classic ones users reach for, then the ones that
# need no schedule (Schedule-Free) or no learning rate (Prodigy), and the recent others.
# Muon runs on every coefficient matrix here (its AdamW part on the intercepts): the estimators' default
# split gives it only the matrices between hidden layers, and hidden (100,) has none.
OPTIMIZERS = {
    "Adam": "Adam",
    "AdamW": "AdamW",
    "SGD": "SGD",
    "Lion": "Lion",
    "ScheduleFreeAdamW": "ScheduleFreeAdamW",
    "ScheduleFreeSGD": "ScheduleFreeSGD",
    "Prodigy": "Prodigy",
    "Adafactor": "Adafactor",
    "Muon (every matrix)": ("Muon", {"muon_layers": "all"}),
}

DATASETS = {
    "digits": (load_digits, "classification"),
    "breast_cancer": (load_breast_cancer, "classification"),
    "wine": (load_wine, "classification"),
    "diabetes": (load_diabetes, "regression"),
}


def default_lr(spec) -> float:
    """The ``lr`` default of the constructor of the gradkit.optim class ``spec`` names."""
    name = spec[0] if isinstance(spec, tuple) else spec
    return float(inspect.signature(getattr(gradkit.optim, name)).parameters["lr"].default)


def split(loader, task: str, seed: int):
    X, y = loader(return_X_y=True)
    stratify = y if task == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if task == "regression":
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return X_train, X_test, y_train, y_test


def make_estimators(task: str, seed: int, max_iter: int) -> dict[str, object]:
    gk = MLPClassifier if task == "classification" else MLPRegressor
    sk = SkMLPClassifier if task == "classification" else SkMLPRegressor
    estimators: dict[str, object] = {"scikit-learn adam": sk(random_state=seed, max_iter=max_iter)}
    for label, spec in OPTIMIZERS.items():
        estimators[label] = gk(
            optimizer=spec, learning_rate_init=default_lr(spec), random_state=seed, max_iter=max_iter
        )
    return estimators


def run(seeds: int, datasets: list[str], max_iter: int) -> dict:
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    for data_name in datasets:
        loader, task = DATASETS[data_name]
        per_side: dict[str, dict[str, list[float]]] = {}
        for seed in range(seeds):
            X_train, X_test, y_train, y_test = split(loader, task, seed)
            for side, estimator in make_estimators(task, seed, max_iter).items():
                record = per_side.setdefault(side, {"score": [], "seconds": [], "epochs": []})
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    t0 = time.perf_counter()
                    try:
                        estimator.fit(X_train, y_train)
                    except (ValueError, FloatingPointError) as error:  # a diverging run: reported, not hidden
                        record["score"].append(float("nan"))
                        record["seconds"].append(time.perf_counter() - t0)
                        record["epochs"].append(float("nan"))
                        print(f"  {data_name} seed {seed} {side}: {type(error).__name__}: {error}")
                        continue
                    record["seconds"].append(time.perf_counter() - t0)
                score = estimator.score(X_test, y_test)
                record["score"].append(score if np.isfinite(score) else float("nan"))
                record["epochs"].append(float(estimator.n_iter_))
            print(f"{data_name}: seed {seed} done", flush=True)
        results[data_name] = per_side
    return results


def mean_std(values: list[float], digits: int) -> str:
    finite = [v for v in values if np.isfinite(v)]
    failed = len(values) - len(finite)
    if not finite:
        return f"diverged ({failed}/{len(values)})"
    text = f"{statistics.fmean(finite):.{digits}f} ± {statistics.pstdev(finite):.{digits}f}"
    return text + (f" ({failed} diverged)" if failed else "")


def table(results: dict, seeds: int, threads: int, max_iter: int) -> str:
    lines = [
        f"Each side at its defaults (gradkit's optimizers with `learning_rate_init` = their default `lr`), "
        f"hidden (100,), max_iter={max_iter}, {seeds} seeds (split and `random_state`), {threads} thread(s) "
        "a side; test accuracy (classification) or R² (diabetes, target standardised), mean ± std over "
        "the seeds. Produced by `python benchmarks/untuned.py`.",
        "",
    ]
    datasets = list(results)
    columns = ["optimizer (default lr)", *datasets, "fit time (mean over data)", f"epochs ({datasets[0]})"]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|---|" + "---|" * (len(datasets) + 2))
    sides = list(next(iter(results.values())))
    for side in sides:
        label = side if side == "scikit-learn adam" else f"{side} ({default_lr(OPTIMIZERS[side]):g})"
        scores = [mean_std(results[d][side]["score"], 3) for d in datasets]
        seconds = statistics.fmean(statistics.fmean(results[d][side]["seconds"]) for d in datasets)
        first = results[datasets[0]][side]["epochs"]
        finite = [e for e in first if np.isfinite(e)]
        epochs = statistics.fmean(finite) if finite else float("nan")
        lines.append(f"| {label} | " + " | ".join(scores) + f" | {seconds * 1e3:.0f} ms | {epochs:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_table_arguments(parser)
    args = parser.parse_args()
    seeds = 2 if args.quick else args.seeds
    datasets = ["wine", "diabetes"] if args.quick else list(DATASETS)
    max_iter = 50 if args.quick else 200
    gradkit.set_num_threads(args.threads)
    limits = threadpool_limits(args.threads) if threadpool_limits else None
    try:
        results = run(seeds, datasets, max_iter)
    finally:
        if limits is not None:
            limits.unregister()
    text = table(results, seeds, args.threads, max_iter)
    print(text)
    out = args.out or (None if args.quick else RESULTS / "untuned.md")
    write_table(text, out, None if args.quick or args.no_readme else "untuned-results")


if __name__ == "__main__":
    main()
