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

from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .lbfgs import LBFGS
from .lion import Lion
from .lookahead import Lookahead
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .prodigy import Prodigy
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .schedulefreeadamw import ScheduleFreeAdamW
from .schedulefreesgd import ScheduleFreeSGD
from .sgd import SGD

__all__ = [
    "ASGD",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "LBFGS",
    "Lion",
    "Lookahead",
    "Muon",
    "NAdam",
    "Optimizer",
    "Prodigy",
    "RAdam",
    "RMSprop",
    "Rprop",
    "ScheduleFreeAdamW",
    "ScheduleFreeSGD",
    "clip_grad_norm_",
    "clip_grad_value_",
]


def __dir__() -> list[str]:
    """The public names only (not the submodules, nor ``annotations`` from the __future__ import)."""
    return sorted(__all__)
