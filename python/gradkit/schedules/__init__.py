"""Learning-rate schedules with torch.optim.lr_scheduler's names, arguments and values.

Each scheduler sets the ``"lr"`` of its optimizer's param groups, as torch's do; ``lr_curve``
gives a schedule's whole curve as an array, without an optimizer. gradkit.schedules.extra adds
closed-form schedules torch lacks (InverseTimeLR, InvScalingLR, RestartLR, PiecewiseConstantLR,
WarmupCosineLR), and every scheduler takes optional ``min_lr`` / ``max_lr`` bounds on the lr it
sets (see LRScheduler).

Examples
--------
>>> import numpy as np
>>> from gradkit.optim import SGD
>>> from gradkit.schedules import CosineAnnealingLR, lr_curve
>>> opt = SGD([np.zeros(3)], lr=0.1)
>>> scheduler = CosineAnnealingLR(opt, T_max=10)
>>> opt.step([np.ones(3)])
>>> scheduler.step()
>>> round(opt.param_groups[0]["lr"], 6)
0.097553
>>> lr_curve(CosineAnnealingLR, 3, lr=0.1, T_max=2).round(6)
array([0.1 , 0.05, 0.  ])
"""

from __future__ import annotations

from .composite import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .extra import InverseTimeLR, InvScalingLR, PiecewiseConstantLR, RestartLR, WarmupCosineLR
from .lambdas import LambdaLR, MultiplicativeLR
from .loss_driven import AdaptiveLR, BoldDriverLR
from .lr_scheduler import LRScheduler, lr_curve
from .plateau import ReduceLROnPlateau
from .random_lr import RandomLR
from .schedulers import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)

__all__ = [
    "AdaptiveLR",
    "BoldDriverLR",
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "InvScalingLR",
    "InverseTimeLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PiecewiseConstantLR",
    "PolynomialLR",
    "RandomLR",
    "ReduceLROnPlateau",
    "RestartLR",
    "SequentialLR",
    "StepLR",
    "WarmupCosineLR",
    "lr_curve",
]


def __dir__() -> list[str]:
    """The public names only (not the submodules, nor ``annotations`` from the __future__ import)."""
    return sorted(__all__)
