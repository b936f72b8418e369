"""optimizer_grid and schedule_grid: search grids over optimizer= and lr_schedule= specs; and dask stays
an optional dependency (import gradkit does not import it)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gradkit.neural_network import optimizer_grid, schedule_grid


def test_import_gradkit_does_not_import_dask():
    code = (
        "import sys, gradkit, gradkit.neural_network, gradkit.optim, gradkit.schedules; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_optimizer_grid_is_the_product_in_keyword_order():
    specs = optimizer_grid("Adam", betas=[(0.9, 0.999), (0.8, 0.99)], weight_decay=np.array([0.0, 1e-4]))
    assert specs == [
        ("Adam", {"betas": (0.9, 0.999), "weight_decay": 0.0}),
        ("Adam", {"betas": (0.9, 0.999), "weight_decay": 1e-4}),
        ("Adam", {"betas": (0.8, 0.99), "weight_decay": 0.0}),
        ("Adam", {"betas": (0.8, 0.99), "weight_decay": 1e-4}),
    ]
    assert all(type(spec[1]["weight_decay"]) is float for spec in specs)  # plain numbers in cv_results_
    assert optimizer_grid("SGD") == [("SGD", {})]


def test_schedule_grid_builds_epoch_and_batch_specs():
    assert schedule_grid("StepLR", step_size=[5], gamma=[0.5, 0.1]) == [
        ("StepLR", {"step_size": 5, "gamma": 0.5}),
        ("StepLR", {"step_size": 5, "gamma": 0.1}),
    ]
    assert schedule_grid("CosineAnnealingLR", "batch", T_max=[100]) == [
        ("CosineAnnealingLR", {"T_max": 100}, "batch")
    ]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: optimizer_grid("Adam", betas=(0.9, 0.999)), TypeError, "'betas' must be a list"),
        (lambda: optimizer_grid("Adam", weight_decay=0.1), TypeError, "one-element list"),
        (lambda: optimizer_grid("Adam", weight_decay=[]), ValueError, "empty list"),
        (lambda: optimizer_grid("Adamm"), ValueError, "unknown optimizer 'Adamm'"),
        (lambda: optimizer_grid("SGD", momentun=[0.9]), ValueError, "momentun"),
        (lambda: optimizer_grid("Adam", lr=[0.1]), ValueError, "learning_rate_init"),
        (lambda: optimizer_grid("SGD", momentum=[0.9, -1.0]), ValueError, "momentum"),
        (lambda: schedule_grid("StepLR", "minibatch", step_size=[5]), ValueError, "'epoch' or 'batch'"),
        (lambda: schedule_grid("StepLR", gamma=[0.5]), ValueError, "step_size"),
        (lambda: schedule_grid("LambdaLR", lr_lambda=[abs]), ValueError, "cannot drive"),
    ],
)
def test_grid_helpers_refuse_what_fit_would_refuse(call, error, match):
    with pytest.raises(error, match=match):
        call()
