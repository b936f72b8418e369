"""gradkit's MLPClassifier next to scikit-learn's on the digits data: fit time, accuracy, curves.

The same estimator arguments on both sides (hidden (100,), adam, max_iter=200, random_state=0),
fitted alternately ``--repeats`` times in this process; the medians and their ratio are printed with
the thread count each side used. Then gradkit's loss curves beside scikit-learn's, and the learning
rates of gradkit fits with scikit-learn's ``learning_rate='adaptive'`` and with torch's SGD and a
cosine schedule (``optimizer=``, ``lr_schedule=``), are written to a PNG.

Run: ``make demo`` (or ``python benchmarks/digits_demo.py`` with gradkit[sklearn] and matplotlib).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

import gradkit

ARGS = {"hidden_layer_sizes": (100,), "solver": "adam", "max_iter": 200, "random_state": 0}


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS threads unknown"
    pools = [f"{p['internal_api']}: {p['num_threads']}" for p in threadpool_info() if p["user_api"] == "blas"]
    return ", ".join(pools) or "no BLAS pool found"


# The pause before each timed fit, as in mlp_vs_sklearn.py: a BLAS or OpenMP pool keeps spinning on
# the other core for a while after its last product, which would slow the next side's fit.
SETTLE_SECONDS = 0.5


def timed_fit(estimator, X, y) -> tuple[float, object]:
    time.sleep(SETTLE_SECONDS)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return time.perf_counter() - start, estimator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fits per side (alternating); median reported")
    parser.add_argument("--out", type=Path, default=Path("build/demo/digits_demo.png"), help="the PNG")
    options = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
    print(f"digits: {X_train.shape[0]} training and {X_test.shape[0]} test rows, {X.shape[1]} features")
    print(f"estimator arguments on both sides: {ARGS}")
    print(
        f"threads: gradkit {gradkit.get_num_threads()} (OpenMP); scikit-learn {sklearn.__version__} "
        f"uses NumPy's BLAS ({blas_threads()}); {os.cpu_count()} cores"
    )

    times: dict[str, list[float]] = {"scikit-learn": [], "gradkit": []}
    fitted: dict[str, object] = {}
    for _ in range(options.repeats):
        for name, cls in (("scikit-learn", SkMLPClassifier), ("gradkit", gradkit.MLPClassifier)):
            seconds, fitted[name] = timed_fit(cls(**ARGS), X_train, y_train)
            times[name].append(seconds)

    print()
    print(f"{'':14s} {'fit time (median)':>18s} {'test accuracy':>14s} {'epochs':>7s} {'final loss':>11s}")
    for name, estimator in fitted.items():
        print(
            f"{name:14s} {np.median(times[name]):17.3f}s {estimator.score(X_test, y_test):14.4f} "
            f"{estimator.n_iter_:7d} {estimator.loss_:11.6f}"
        )
    ratio = np.median(times["scikit-learn"]) / np.median(times["gradkit"])
    print(
        f"gradkit fits {ratio:.1f}x faster (median of {options.repeats} alternating fits per side, "
        f"each after a {SETTLE_SECONDS:g} s pause)"
    )
    same = np.allclose(fitted["gradkit"].coefs_[0], fitted["scikit-learn"].coefs_[0], rtol=1e-6, atol=1e-9)
    print(f"same weights as scikit-learn after training: {same}")

    # scikit-learn's adaptive rule, for a learning-rate curve that moves.
    adaptive = gradkit.MLPClassifier(
        hidden_layer_sizes=(100,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.2,
        n_iter_no_change=3,
        max_iter=200,
        random_state=0,
    )
    timed_fit(adaptive, X_train, y_train)
    # Beyond scikit-learn: torch's SGD with momentum and a cosine schedule, stepped per epoch.
    cosine = gradkit.MLPClassifier(
        hidden_layer_sizes=(100,),
        solver="sgd",
        learning_rate_init=0.1,
        max_iter=60,
        random_state=0,
        optimizer=("SGD", {"momentum": 0.9}),
        lr_schedule=("CosineAnnealingLR", {"T_max": 60}),
    )
    timed_fit(cosine, X_train, y_train)
    print(
        f"gradkit with optimizer=SGD(momentum=0.9) and lr_schedule=CosineAnnealingLR: test accuracy "
        f"{cosine.score(X_test, y_test):.4f} after {cosine.n_iter_} epochs"
    )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].semilogy(fitted["scikit-learn"].loss_curve_, lw=4, alpha=0.4, label="scikit-learn, adam")
    axes[0].semilogy(fitted["gradkit"].loss_curve_, lw=1.2, label="gradkit, adam (same numbers)")
    axes[0].semilogy(adaptive.loss_curve_, lw=1.2, label="gradkit, sgd + adaptive lr")
    axes[0].semilogy(cosine.loss_curve_, lw=1.2, label="gradkit, SGD momentum + cosine")
    axes[0].set(xlabel="epoch", ylabel="training loss", title="digits: loss curves")
    axes[0].legend()
    axes[1].semilogy(adaptive.lr_history_, label="sgd, learning_rate='adaptive'")
    axes[1].semilogy(cosine.lr_history_, label="SGD momentum, CosineAnnealingLR")
    axes[1].set(xlabel="epoch", ylabel="learning rate", title="learning rate per epoch")
    axes[1].legend()
    fig.tight_layout()
    options.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(options.out, dpi=110)
    print(f"\nloss and learning-rate curves written to {options.out.resolve()}")


if __name__ == "__main__":
    main()
