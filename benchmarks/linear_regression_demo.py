"""The seeds' linear regression (y = 3x + 2 + noise) trained with every gradkit optimizer.

Full-batch gradient steps on the mean squared error, 0.5 * mean((x w + b - y)^2), from the
same start; prints the final loss of each optimizer next to the least-squares optimum.

Run: ``make demo`` (or ``python benchmarks/linear_regression_demo.py`` with gradkit installed).
"""

from __future__ import annotations

import numpy as np

import gradkit
from gradkit import optim

STEPS = 1000
# Each optimizer with a learning rate that suits it on this problem (torch's defaults elsewhere).
SETTINGS: dict[str, dict] = {
    "SGD": {"lr": 0.1},
    "SGD (momentum)": {"lr": 0.05, "momentum": 0.9},
    "SGD (Nesterov)": {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    "Adam": {"lr": 0.05},
    "AdamW": {"lr": 0.05, "weight_decay": 1e-4},
    "Adagrad": {"lr": 0.5},
    "RMSprop": {"lr": 0.01},
    "Adadelta": {"lr": 1.0},
    "Adamax": {"lr": 0.05},
    "NAdam": {"lr": 0.05},
    "RAdam": {"lr": 0.05},
    "Rprop": {"lr": 0.01},
    "ASGD": {"lr": 0.1, "t0": 100},
    "LBFGS": {"lr": 1.0, "line_search_fn": "strong_wolfe"},
}


def make_data() -> tuple[np.ndarray, np.ndarray]:
    """Seed 002's data: 100 points, y = 3x + 2 + N(0, 0.5^2)."""
    rng = np.random.RandomState(0)
    x = rng.rand(100)
    y = 3 * x + 2 + rng.randn(100) * 0.5
    return x, y


def loss_and_grads(x, y, w, b):
    r = x * w[0] + b[0] - y
    return 0.5 * float(np.mean(r * r)), [np.array([np.mean(r * x)]), np.array([np.mean(r)])]


def train(label: str, kwargs: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    w, b = np.zeros(1), np.zeros(1)
    cls = getattr(optim, label.split(" ")[0])
    opt = cls([w, b], **kwargs)
    if label == "LBFGS":
        for _ in range(5):
            opt.step(lambda: loss_and_grads(x, y, w, b))
    else:
        for _ in range(STEPS):
            opt.step(loss_and_grads(x, y, w, b)[1])
    return loss_and_grads(x, y, w, b)[0], float(w[0]), float(b[0])


def main() -> None:
    x, y = make_data()
    design = np.column_stack([x, np.ones_like(x)])
    (w_ls, b_ls), *_ = np.linalg.lstsq(design, y, rcond=None)
    best = loss_and_grads(x, y, np.array([w_ls]), np.array([b_ls]))[0]
    print(
        f"gradkit {gradkit.__version__}: linear regression y = 3x + 2 + noise, 100 points, "
        f"{STEPS} full-batch steps (LBFGS: 5 calls of step)"
    )
    print(f"least squares: loss {best:.6f}  w {w_ls:.4f}  b {b_ls:.4f}\n")
    print(f"{'optimizer':<16} {'arguments':<42} {'final loss':>11} {'above optimum':>14} {'w':>8} {'b':>8}")
    for label, kwargs in SETTINGS.items():
        loss, w, b = train(label, kwargs, x, y)
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        print(f"{label:<16} {args:<42} {loss:11.6f} {loss - best:14.1e} {w:8.4f} {b:8.4f}")


if __name__ == "__main__":
    main()
