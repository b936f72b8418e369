"""What scikit-learn's MLP refuses, measured: class_weight on imbalanced data, and dropout.

1. ``class_weight='balanced'`` on an imbalanced ``make_classification`` (two classes, 1:20): gradkit's
   ``MLPClassifier(class_weight='balanced')`` against scikit-learn's workaround, its
   ``MLPClassifier.fit(X, y, sample_weight=compute_sample_weight('balanced', y))``, and both sides
   unweighted. Balanced accuracy on a stratified 25% test split, and fit time. Both sides run the
   same numbers (gradkit reproduces scikit-learn's adam), so the scores agree and the times compare
   the implementations.
2. ``dropout`` on digits with a wide network (hidden (1024,), adam, 60 epochs, no early stopping):
   test accuracy of gradkit with dropout 0.5 and without, and fit time.

Each row is a mean ± std over ``--seeds`` seeds (split and ``random_state``); the sides alternate
within each seed, so a slower phase of the machine reaches all of them. Threads: every side runs
with ``--threads`` (default 1) threads: gradkit via ``gradkit.set_num_threads``, scikit-learn's BLAS
via threadpoolctl.

Run: ``make bench-features`` or ``python benchmarks/estimator_features.py [--threads N] [--seeds S]
[--quick] [--out PATH] [--no-readme]``; writes benchmarks/results/estimator_features.md and the
README's table between ``<!-- feature-results:begin -->`` and ``<!-- feature-results:end -->``
(``--quick``: 2 seeds, smaller data, writes nothing unless ``--out`` is given).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight
from table_output import add_table_arguments, write_table

import gradkit
from gradkit import MLPClassifier

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # scikit-learn's BLAS then runs with its own default thread count
    threadpool_limits = None

RESULTS = Path(__file__).parent / "results"


def imbalanced(seed: int, n_samples: int):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=20,
        n_informative=6,
        weights=[20 / 21, 1 / 21],
        flip_y=0.01,
        class_sep=0.8,
        random_state=seed,
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def digits(seed: int):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=seed, stratify=y
    )
    return X_train, X_test, y_train, y_test


def timed_fit(model, X, y, **fit_params) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        model.fit(X, y, **fit_params)
        return time.perf_counter() - t0


def record(rows: dict, side: str, score: float, seconds: float) -> None:
    entry = rows.setdefault(side, {"score": [], "seconds": []})
    entry["score"].append(score)
    entry["seconds"].append(seconds)


def class_weight_rows(seeds: int, n_samples: int, max_iter: int) -> dict[str, dict[str, list[float]]]:
    rows: dict[str, dict[str, list[float]]] = {}
    for seed in range(seeds):
        X_train, X_test, y_train, y_test = imbalanced(seed, n_samples)
        common = {"hidden_layer_sizes": (64,), "max_iter": max_iter, "random_state": seed}
        weights = compute_sample_weight("balanced", y_train)
        sides = [
            ("scikit-learn, unweighted", SkMLPClassifier(**common), {}),
            ("gradkit, unweighted", MLPClassifier(**common), {}),
            (
                "scikit-learn, sample_weight=compute_sample_weight('balanced', y)",
                SkMLPClassifier(**common),
                {"sample_weight": weights},
            ),
            ("gradkit, class_weight='balanced'", MLPClassifier(**common, class_weight="balanced"), {}),
        ]
        for side, model, fit_params in sides:
            seconds = timed_fit(model, X_train, y_train, **fit_params)
            record(rows, side, balanced_accuracy_score(y_test, model.predict(X_test)), seconds)
        print(f"class_weight: seed {seed} done", flush=True)
    return rows


def dropout_rows(seeds: int, width: int, max_iter: int) -> dict[str, dict[str, list[float]]]:
    rows: dict[str, dict[str, list[float]]] = {}
    for seed in range(seeds):
        X_train, X_test, y_train, y_test = digits(seed)
        # n_iter_no_change=max_iter: every epoch runs, so both sides train as long.
        common = {"hidden_layer_sizes": (width,), "max_iter": max_iter, "random_state": seed}
        common["n_iter_no_change"] = max_iter
        sides = [
            ("gradkit, no dropout", MLPClassifier(**common)),
            ("gradkit, dropout=0.5", MLPClassifier(**common, dropout=0.5)),
        ]
        for side, model in sides:
            seconds = timed_fit(model, X_train, y_train)
            record(rows, side, model.score(X_test, y_test), seconds)
        print(f"dropout: seed {seed} done", flush=True)
    return rows


def mean_std(values: list[float], digits: int) -> str:
    return f"{statistics.fmean(values):.{digits}f} ± {statistics.pstdev(values):.{digits}f}"


def side_rows(rows: dict, digits: int) -> list[str]:
    """One table row per side: its mean ± std score and its mean fit time."""
    return [
        f"| {side} | {mean_std(entry['score'], digits)} | {statistics.fmean(entry['seconds']) * 1e3:.0f} ms |"
        for side, entry in rows.items()
    ]


def table(weighted: dict, dropped: dict, seeds: int, threads: int, sizes: dict) -> str:
    lines = [
        f"{seeds} seeds (split and `random_state`), {threads} thread(s) a side, mean ± std over the seeds. "
        "Produced by `python benchmarks/estimator_features.py`.",
        "",
        f"**class_weight** — `make_classification` with {sizes['n_samples']} samples, 20 features, classes "
        f"1:20; hidden (64,), adam, max_iter={sizes['class_max_iter']}; balanced accuracy on a stratified "
        "25% test split:",
        "",
        "| side | balanced accuracy | fit time |",
        "|---|---|---|",
    ]
    lines += side_rows(weighted, 3)
    lines += [
        "",
        f"**dropout** — digits (pixels / 16), hidden ({sizes['width']},), adam, {sizes['dropout_max_iter']} "
        "epochs; test accuracy on a stratified 25% split:",
        "",
        "| side | test accuracy | fit time |",
        "|---|---|---|",
    ]
    lines += side_rows(dropped, 4)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_table_arguments(parser)
    args = parser.parse_args()
    seeds = 2 if args.quick else args.seeds
    sizes = {
        "n_samples": 4000 if args.quick else 20000,
        "class_max_iter": 20 if args.quick else 100,
        "width": 256 if args.quick else 1024,
        "dropout_max_iter": 10 if args.quick else 60,
    }
    gradkit.set_num_threads(args.threads)
    limits = threadpool_limits(args.threads) if threadpool_limits else None
    try:
        weighted = class_weight_rows(seeds, sizes["n_samples"], sizes["class_max_iter"])
        dropped = dropout_rows(seeds, sizes["width"], sizes["dropout_max_iter"])
    finally:
        if limits is not None:
            limits.unregister()
    text = table(weighted, dropped, seeds, args.threads, sizes)
    print(text)
    out = args.out or (None if args.quick else RESULTS / "estimator_features.md")
    write_table(text, out, None if args.quick or args.no_readme else "feature-results")


if __name__ == "__main__":
    main()
