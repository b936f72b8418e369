"""scikit-learn's multi-layer perceptron estimators, trained by gradkit's C++ core.

``gradkit.MLPClassifier`` and ``gradkit.MLPRegressor`` take scikit-learn's arguments and give its
fitted attributes; with its solvers they reproduce its training numbers. They need scikit-learn
(``pip install gradkit[sklearn]``); ``import gradkit`` alone does not import it.

Examples
--------
>>> from gradkit.neural_network import MLPClassifier
>>> MLPClassifier(hidden_layer_sizes=(8,)).hidden_layer_sizes
(8,)
"""

from __future__ import annotations

try:
    import sklearn  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised without scikit-learn installed
    raise ImportError(
        "gradkit.MLPClassifier and gradkit.MLPRegressor need scikit-learn: pip install gradkit[sklearn]"
    ) from error

from ._grids import optimizer_grid, schedule_grid
from ._multilayer_perceptron import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "optimizer_grid", "schedule_grid"]


def __dir__() -> list[str]:
    """The public names only (not the submodules, nor ``annotations`` from the __future__ import)."""
    return sorted(__all__)
