"""gradkit: torch.optim's optimizers and schedules for NumPy arrays, updated in place by a C++ core.

Examples
--------
>>> import numpy as np
>>> import gradkit
>>> w = np.zeros(3)
>>> opt = gradkit.optim.SGD([w], lr=0.1)
>>> opt.step([np.ones(3)])
>>> w
array([-0.1, -0.1, -0.1])
"""

from __future__ import annotations

from . import optim, schedules
from ._core import get_num_threads, set_num_threads
from ._version import __version__

__all__ = ["__version__", "get_num_threads", "optim", "schedules", "set_num_threads"]
