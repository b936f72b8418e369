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

``gradkit.MLPClassifier`` and ``gradkit.MLPRegressor`` (scikit-learn's estimators, trained by the
core) are loaded on first use, so that ``import gradkit`` does not import scikit-learn; they need it
installed (``pip install gradkit[sklearn]``). So is ``gradkit.lr_find``, the learning-rate range
test on those estimators (``gradkit.lr_finder``).
"""

from __future__ import annotations

from . import optim, schedules
from ._threads import get_num_threads, set_num_threads
from ._version import __version__

__all__ = ["__version__", "get_num_threads", "optim", "schedules", "set_num_threads"]

_ESTIMATORS = ("MLPClassifier", "MLPRegressor")
_NEEDS_SKLEARN = (*_ESTIMATORS, "lr_find")


def __getattr__(name: str):
    """Loads the scikit-learn estimators and lr_find on first access (PEP 562)."""
    if name in _NEEDS_SKLEARN:
        try:
            import sklearn  # noqa: F401
        except ImportError as error:
            raise ImportError(
                f"gradkit.{name} needs scikit-learn, which is not installed: pip install gradkit[sklearn]"
            ) from error
        if name == "lr_find":
            from .lr_finder import lr_find

            return lr_find
        from . import neural_network

        return getattr(neural_network, name)
    raise AttributeError(f"module 'gradkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, with the estimators and lr_find that load on first use."""
    return sorted([*__all__, *_NEEDS_SKLEARN])
