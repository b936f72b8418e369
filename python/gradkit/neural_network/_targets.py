"""What the core reads: the input X and the network's targets, as arrays of the model's dtype.

The core trains on dense C-contiguous arrays of one float dtype. ``_core_array`` gives X in that
form (in place when it already is), ``_class_targets`` turns a classifier's labels into the
network's targets in as little memory as the core can train on, and ``_one_hot`` expands class
positions into the full matrix where the full-batch solver needs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import LabelBinarizer


def _core_array(X: Any, dtype: np.dtype) -> np.ndarray:
    """X as the core reads it: dense, C-contiguous, of the model's dtype.

    A C-contiguous float array of that dtype is returned as it is (no copy); anything else is
    converted once (a sparse matrix is densified).
    """
    if sp.issparse(X):
        X = X.toarray()
    return np.require(X, dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])


_LABEL_SLICE = 65_536


def _class_targets(binarizer: LabelBinarizer, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The network's targets for the labels y: ``binarizer.transform(y)``, in a fraction of its memory.

    LabelBinarizer returns an int64 (n_samples, n_classes) array; for 10 classes that is 80 bytes a
    row, a fifth of a float32 X with 100 features, at the peak of the fit's memory. Single-label y
    (the classes are sorted, and every label of y is one of them, as the caller checked) becomes,
    for three classes or more, the int64 position of each row's class: the core trains on the
    one-hot rows of those positions, 8 bytes a row. Two classes give one column of the model's
    dtype (LabelBinarizer's), multilabel y its label matrix in the model's dtype.
    """
    classes = binarizer.classes_
    if binarizer.y_type_ not in ("binary", "multiclass") or len(classes) < 2:
        return binarizer.transform(y).astype(dtype)
    if len(classes) > 2:
        return np.searchsorted(classes, y).astype(np.int64, copy=False)
    column = np.empty((len(y), 1), dtype=dtype)
    # In slices, so that the class positions stay small beside the column.
    for start in range(0, len(y), _LABEL_SLICE):
        column[start : start + _LABEL_SLICE, 0] = np.searchsorted(classes, y[start : start + _LABEL_SLICE])
    return column


def _class_positions(targets: np.ndarray) -> np.ndarray:
    """Each row's class position from single-label targets as ``_class_targets`` gives them (int64
    positions, or one column of 0/1 for two classes)."""
    if targets.ndim == 1:
        return targets.astype(np.int64, copy=False)
    return targets[:, 0].astype(np.int64)


def _one_hot(labels: np.ndarray, n_classes: int, dtype: np.dtype) -> np.ndarray:
    """The (n_samples, n_classes) one-hot matrix of class positions, for the full-batch solver."""
    matrix = np.zeros((len(labels), n_classes), dtype=dtype)
    matrix[np.arange(len(labels)), labels] = 1
    return matrix
