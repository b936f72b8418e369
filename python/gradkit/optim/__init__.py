"""Optimizers with torch.optim's names, arguments and numbers, updating NumPy arrays in place.

Examples
--------
>>> import numpy as np
>>> import gradkit
>>> w, b = np.zeros((3, 2)), np.zeros(2)
>>> opt = gradkit.optim.Adam([w, b], lr=1e-3)
>>> opt.step([np.ones((3, 2)), np.ones(2)])
>>> round(float(b[0]), 6)
-0.001
"""

from __future__ import annotations

from .adam import Adam, AdamW
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .sgd import SGD

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "LBFGS",
    "Optimizer",
    "clip_grad_norm_",
    "clip_grad_value_",
]
