"""scikit-learn's private MLP helpers, with its signatures and results, computed by the core.

Code written against scikit-learn's estimators (scikit-learn's own test suite among it) reaches past
the public API: ``_initialize``, ``_unpack``, ``_forward_pass``, ``_forward_pass_fast``,
``_backprop``, ``_loss_grad_lbfgs`` and ``_optimizer.learning_rate``. ``_SklearnPrivateAPI`` gives
them to the estimators. The numbers come from the core's network, the same forward and backward pass
that training runs; the lists of arrays scikit-learn passes in are filled with copies, as scikit-learn
fills them with new arrays. The network itself stays in the trainer: ``_unpack`` copies weights into
it, and weights a user assigned to ``coefs_`` / ``intercepts_`` are copied in before each computation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.utils import check_random_state

from .. import _core
from ._targets import _core_array
from ._trainer import _layer_views, _TrainerHandle

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class _SolverView:
    """scikit-learn's ``_optimizer`` (its SGDOptimizer or AdamOptimizer) as far as code reads it.

    ``learning_rate`` is read from the core's step rule when asked: the current rate for 'sgd' (after
    'invscaling' or 'adaptive' changed it) and any ``optimizer=``; for 'adam', scikit-learn's
    bias-corrected rate of the last step, ``learning_rate_init * sqrt(1 - beta_2**t) / (1 - beta_1**t)``
    (``learning_rate_init`` before the first step, as scikit-learn's).
    """

    def __init__(self, estimator: Any) -> None:
        self._estimator = estimator

    @property
    def learning_rate_init(self) -> float:
        return float(self._estimator.learning_rate_init)

    @property
    def learning_rate(self) -> float:
        estimator = self._estimator
        trainer = estimator._trainer
        name, hyper = estimator._step_rule[:2]
        if name != "SklearnAdam":
            return float(trainer.lr)
        params = trainer.rule_state()["params"]
        steps = next((p["scalars"]["t"] for p in params if p is not None), 0.0)
        if steps == 0:
            return float(trainer.lr)
        return float(
            _core.train.sklearn_adam_learning_rate(trainer.lr, hyper["beta_1"], hyper["beta_2"], steps)
        )


class _SklearnPrivateAPI(_TrainerHandle):
    """scikit-learn's private helpers of BaseMultilayerPerceptron, for the estimators' trainer."""

    # What the estimator (_BaseMLP) gives these helpers.
    random_state: Any
    alpha: float
    coefs_: list
    intercepts_: list
    if TYPE_CHECKING:

        def _init_network(self, layer_units: list[int], dtype: np.dtype, random_state: Any) -> None: ...
        def _forward(self, X: Any, check_input: bool = True) -> np.ndarray: ...

    # ------------------------------------------------------------------ set-up
    def _initialize(self, y, layer_units, dtype) -> None:
        """scikit-learn's ``_initialize(y, layer_units, dtype)``: the fitted attributes of a new
        network and its Glorot-uniform weights, drawn from ``self._random_state``."""
        self.n_outputs_ = int(np.shape(y)[1])
        random_state = self.__dict__.get("_random_state")
        if random_state is None:
            random_state = self._random_state = check_random_state(self.random_state)
        self._init_network(list(layer_units), np.dtype(dtype), random_state)

    def _adopt_assigned_weights(self) -> None:
        """A trainer for ``coefs_`` / ``intercepts_`` assigned to an estimator that has none (as
        scikit-learn's own test_fit does before ``partial_fit``): the layer sizes are read from the
        arrays, the output activation from ``out_activation_``."""
        if not hasattr(self, "out_activation_"):
            raise ValueError("coefs_ were assigned without out_activation_: set it too, or fit first")
        coefs = [np.asarray(c) for c in self.coefs_]
        intercepts = [np.asarray(b) for b in self.intercepts_]
        if not coefs or len(coefs) != len(intercepts) or any(c.ndim != 2 for c in coefs):
            raise ValueError(
                "coefs_ must be a non-empty list of 2-d arrays and intercepts_ a list of as many 1-d arrays"
            )
        units = [coefs[0].shape[0], *(c.shape[1] for c in coefs)]
        for i, (c, b) in enumerate(zip(coefs, intercepts)):
            if c.shape != (units[i], units[i + 1]) or b.shape != (units[i + 1],):
                raise ValueError(
                    f"layer {i}: coefs_ {c.shape} and intercepts_ {b.shape} do not chain with the "
                    f"layer sizes {units}"
                )
        dtype = coefs[0].dtype if coefs[0].dtype in _FLOAT_DTYPES else np.dtype(np.float64)
        flat = np.concatenate([a.ravel() for a in coefs + intercepts]).astype(dtype)
        self._new_trainer(units, dtype)
        self._trainer.set_params(np.ascontiguousarray(flat))
        self._best_params = self._trainer.params.copy()
        self.n_layers_ = len(units)

    # ------------------------------------------------------------------ weights
    def _unpack(self, packed_parameters) -> None:
        """scikit-learn's ``_unpack``: the packed weights (coefs then intercepts) become the model's."""
        self._sync_weights()
        packed = np.asarray(packed_parameters)
        n_params = int(self._trainer.n_params)
        if packed.shape != (n_params,):
            raise ValueError(f"packed_parameters: expected shape ({n_params},), got {packed.shape}")
        self._trainer.set_params(np.ascontiguousarray(packed, dtype=self._dtype))

    # ------------------------------------------------------------------ passes
    def _forward_pass(self, activations: list) -> list:
        """scikit-learn's ``_forward_pass``: ``activations[0]`` is X; fills ``activations[1:]`` with
        each layer's output and returns the list."""
        self._sync_weights()
        layers = self._trainer.forward(_core_array(activations[0], self._dtype))
        for i, layer in enumerate(layers):
            activations[i + 1] = layer
        return activations

    def _forward_pass_fast(self, X, check_input: bool = True) -> np.ndarray:
        """scikit-learn's ``_forward_pass_fast``: the output layer's activations for X."""
        return self._forward(X, check_input=check_input)

    def _backprop_packed(self, X, y, sample_weight, activations, deltas, coef_grads, intercept_grads):
        """The loss and the packed gradient at the model's weights; fills the four lists as
        scikit-learn's ``_backprop`` does (the gradients as views of the packed one)."""
        self._sync_weights()
        dtype = self._dtype
        X = _core_array(X, dtype)
        Y = np.require(np.reshape(y, (X.shape[0], -1)), dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])
        if sample_weight is not None:
            sample_weight = np.require(sample_weight, dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])
        loss, grad, layers, layer_deltas = self._trainer.backprop(
            X, Y, sample_weight, alpha=float(self.alpha)
        )
        coefs, intercepts = _layer_views(grad, list(self._trainer.layer_units))
        for i, filled in enumerate(zip(layers, layer_deltas, coefs, intercepts)):
            activations[i + 1], deltas[i], coef_grads[i], intercept_grads[i] = filled
        return float(loss), grad

    def _backprop(self, X, y, sample_weight, activations, deltas, coef_grads, intercept_grads):
        """scikit-learn's ``_backprop``: returns ``(loss, coef_grads, intercept_grads)`` at the model's
        weights (the L2 term included), filling the four lists as scikit-learn does."""
        loss, _ = self._backprop_packed(X, y, sample_weight, activations, deltas, coef_grads, intercept_grads)
        return loss, coef_grads, intercept_grads

    def _loss_grad_lbfgs(
        self, packed_coef_inter, X, y, sample_weight, activations, deltas, coef_grads, intercept_grads
    ):
        """scikit-learn's ``_loss_grad_lbfgs``: sets the packed weights and returns ``(loss, packed
        gradient)``."""
        self._unpack(packed_coef_inter)
        return self._backprop_packed(X, y, sample_weight, activations, deltas, coef_grads, intercept_grads)

    # ------------------------------------------------------------------ optimizer
    @property
    def _optimizer(self) -> _SolverView:
        """scikit-learn's ``_optimizer``, once a minibatch fit has made one."""
        trainer = self.__dict__.get("_trainer")
        if trainer is None or not trainer.has_step_rule or "_step_rule" not in self.__dict__:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '_optimizer'")
        return _SolverView(self)
