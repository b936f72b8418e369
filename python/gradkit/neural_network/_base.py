"""What MLPClassifier and MLPRegressor share: fitting through the core's trainer, and prediction.

``_BaseMLP`` is scikit-learn's BaseMultilayerPerceptron: its parameter constraints, the fit and
partial_fit plumbing (checking the training options, initialising the network, running the core's
minibatch loop or its L-BFGS, and recording the progress as scikit-learn's fitted attributes, with
the epoch hook that drives verbose output, the progress bar and the callbacks), and the forward
pass behind predict. The estimators themselves, with their arguments and targets, are in
``_multilayer_perceptron``.
"""

from __future__ import annotations

import time
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.model_selection._split import _validate_shuffle_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_consistent_length, check_is_fitted

from .. import _core
from .._pickling import unwrap, wrap
from ._resolve import (
    _batches_per_epoch,
    _check_one_cycle_steps,
    _check_schedule_in_core,
    _resolve_optimizer,
    _resolve_schedule,
)
from ._sklearn_compat import validate_data
from ._sklearn_private import _SklearnPrivateAPI
from ._targets import _core_array, _one_hot
from ._trainer import _SharedRandomState

_STOCHASTIC_SOLVERS = ("sgd", "adam")
# scikit-learn's hidden activations, then gradkit's (torch.nn.functional's definitions).
_HIDDEN_ACTIVATIONS = (
    "identity",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "gelu_tanh",
    "silu",
    "softplus",
)
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# What checking the training data sets on the estimator (validate_data, the classes, the outputs).
_CHECKED_ATTRIBUTES = ("n_features_in_", "feature_names_in_", "classes_", "_label_binarizer", "n_outputs_")
# The columns of history_, in order.
_HISTORY_KEYS = ("epoch", "loss", "validation_loss", "validation_score", "lr", "time")
# restore_best_weights as the core's LoopOptions.keep.
_KEEP_WEIGHTS = {None: "sklearn", True: "best", False: "last"}


def _new_history() -> dict[str, list]:
    return {key: [] for key in _HISTORY_KEYS}


def _measured(value: float | None) -> float:
    """A value of an epoch report for history_: NaN where it was not measured (None)."""
    return np.nan if value is None else float(value)


def _progress_bar(total: int):
    """A tqdm.auto bar, or None (with a warning) when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn("progress=True needs tqdm (pip install tqdm); training without a bar", stacklevel=6)
        return None
    return tqdm(total=total, unit="epoch")


class _BaseMLP(_SklearnPrivateAPI):
    """What MLPClassifier and MLPRegressor share: scikit-learn's BaseMultilayerPerceptron (and its
    private helpers, from ``_SklearnPrivateAPI``)."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(_HIDDEN_ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [None, str, tuple, type],
        "lr_schedule": [None, tuple],
        "callbacks": [None, list],
        "progress": ["boolean"],
        "clip_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "on_divergence": [StrOptions({"warn", "raise"})],
        "negative_slope": [Interval(Real, 0, None, closed="left")],
        "dropout": [None, Interval(Real, 0, 1, closed="left"), "array-like"],
        "restore_best_weights": [None, "boolean"],
    }

    def __getstate__(self) -> dict:
        """The trainer handle's state; a lambda among ``callbacks`` pickles with cloudpickle, and plain
        pickle names it (``MLPClassifier.callbacks[1]``) instead of failing on an attribute lookup."""
        state = super().__getstate__()
        callbacks = state.get("callbacks")
        if isinstance(callbacks, list):
            name = type(self).__name__
            state["callbacks"] = [wrap(cb, f"{name}.callbacks[{i}]") for i, cb in enumerate(callbacks)]
        return state

    def __setstate__(self, state: dict) -> None:
        if isinstance(state.get("callbacks"), list):
            state = {**state, "callbacks": [unwrap(cb) for cb in state["callbacks"]]}
        super().__setstate__(state)

    # ------------------------------------------------------------------ fitting
    def _fit(
        self, X, y, sample_weight=None, incremental=False, X_val=None, y_val=None, sample_weight_val=None
    ):
        hidden_layer_sizes = self.hidden_layer_sizes
        if not hasattr(hidden_layer_sizes, "__iter__"):
            hidden_layer_sizes = [hidden_layer_sizes]
        hidden_layer_sizes = list(hidden_layer_sizes)
        if np.any(np.array(hidden_layer_sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden_layer_sizes}.")
        dropout_rates = self._dropout_rates(len(hidden_layer_sizes))
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        if not first_pass and "_trainer" not in self.__dict__:
            self._adopt_assigned_weights()

        # Checking the data sets attributes (validate_data's n_features_in_, the classes); a refusal
        # puts back those of the model fitted before, so that nothing is left half-way.
        before = {k: self.__dict__[k] for k in _CHECKED_ATTRIBUTES if k in self.__dict__}
        try:
            if (X_val is None) != (y_val is None):
                given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
                raise ValueError(f"{given} is provided, but {missing} was not provided.")
            if X_val is not None and self.solver not in _STOCHASTIC_SOLVERS:
                raise ValueError(
                    "X_val and y_val are scored after every epoch of the minibatch solvers ('sgd', 'adam'); "
                    f"solver={self.solver!r} has no epochs"
                )
            if sample_weight_val is not None and X_val is None:
                raise ValueError("sample_weight_val is provided, but X_val and y_val were not provided.")
            X, y = self._validate_input(X, y, incremental, reset=first_pass)
            dtype = X.dtype if first_pass else self._dtype
            validation = None
            if X_val is not None:
                validation = self._validate_validation_data(X_val, y_val, sample_weight_val, y, dtype)
            self._check_training_options(dtype)
            self._check_early_stopping_split(X.shape[0], incremental, validation is None)
            self._check_schedule_length(
                X.shape[0], incremental, continuing=incremental and not first_pass, split=validation is None
            )
            class_weights = self._class_weights(y)  # per row, or None
            if validation is not None and class_weights is not None:
                validation = (*validation[:2], validation[2] * self._class_weights(validation[1], y))
            X = _core_array(X, dtype)
            n_samples, n_features = X.shape
            if sample_weight is not None:
                sample_weight = _check_sample_weight(sample_weight, X)
            if class_weights is not None:
                sample_weight = class_weights if sample_weight is None else sample_weight * class_weights
            if sample_weight is not None:
                sample_weight = _core_array(sample_weight, dtype)
            if validation is not None:
                X_val, Y_val, sw_val = validation
                if Y_val.ndim == 2 or not np.issubdtype(Y_val.dtype, np.integer):
                    Y_val = _core_array(Y_val.reshape(X_val.shape[0], -1), dtype)
                sw_val = (
                    None
                    if sw_val is None
                    else np.require(sw_val, dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])
                )
                validation = (X_val, Y_val, sw_val)
            if is_classifier(self) and y.ndim == 1 and y.dtype == np.int64:
                # Class positions (three classes or more): the core trains on their one-hot rows.
                Y = np.require(y, requirements=["C_CONTIGUOUS", "ALIGNED"])
                self.n_outputs_ = len(self.classes_)
            else:
                Y = _core_array(y.reshape(n_samples, -1), dtype)
                self.n_outputs_ = Y.shape[1]
            del y  # Y is y itself when y already had the model's dtype (a classifier's targets)
            layer_units = [n_features, *hidden_layer_sizes, self.n_outputs_]

            if not first_pass:
                if list(self._trainer.layer_units) != layer_units:
                    raise ValueError(
                        f"the network has layer sizes {list(self._trainer.layer_units)}; this data and "
                        f"hidden_layer_sizes need {layer_units} (set warm_start=False to start anew)"
                    )
                built, wanted = self._network[3], self._network_options()
                if built != wanted:  # the trainer's loss and slope are fixed when it is made
                    changed = ", ".join(
                        f"{k}={built[k]!r} (now {wanted[k]!r})" for k in built if built[k] != wanted[k]
                    )
                    raise ValueError(
                        f"the network was built with {changed}; continuing it (warm_start, partial_fit) "
                        "keeps them: set warm_start=False (or fit anew) to use the new values"
                    )
        except BaseException:
            for key in _CHECKED_ATTRIBUTES:
                if key in before:
                    self.__dict__[key] = before[key]
                else:
                    self.__dict__.pop(key, None)
            raise

        random_state = self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._init_network(layer_units, dtype, random_state)
        else:
            self._sync_weights()

        self._give_dropout(dropout_rates, random_state, first_pass)
        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(X, Y, sample_weight, random_state, incremental, validation)
        else:
            self._fit_lbfgs(X, Y, sample_weight)

        if not np.isfinite(self._trainer.params).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _dropout_rates(self, n_hidden: int) -> list[float]:
        """``dropout`` as one rate per hidden layer, checked before anything changes; [] when it drops
        nothing (then no seed is drawn and scikit-learn's numbers are unchanged)."""
        dropout = self.dropout
        if dropout is None:
            return []
        if isinstance(dropout, Real):
            rates = [float(dropout)] * n_hidden
        else:
            given = list(dropout)
            if len(given) != n_hidden:
                raise ValueError(
                    f"dropout: expected one rate per hidden layer ({n_hidden}), got {len(given)}: {dropout!r}"
                )
            rates = []
            for i, rate in enumerate(given):
                if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 <= float(rate) < 1:
                    raise ValueError(f"dropout[{i}]: expected a rate in [0, 1), got {rate!r}")
                rates.append(float(rate))
        if not any(rates):
            return []
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise ValueError(
                "dropout needs a minibatch solver ('sgd' or 'adam'): solver='lbfgs' needs a "
                "deterministic objective for its line search"
            )
        return rates

    def _give_dropout(self, rates: list[float], random_state, first_pass: bool) -> None:
        """Gives the trainer its dropout rates and the masks' seed, drawn from random_state when dropout
        is first used (a new seed on a fresh fit; warm_start and partial_fit keep the seed, and the
        trainer's step count, so the masks go on)."""
        if rates and (first_pass or "_dropout_seed" not in self.__dict__):
            self._dropout_seed = int(random_state.randint(0, np.iinfo(np.int64).max, dtype=np.int64))
        self._trainer.set_dropout(rates, int(self.__dict__.get("_dropout_seed", 0)))

    def _network_options(self) -> dict:
        """The trainer's options beyond its layer sizes and activations (its constructor's keywords)."""
        return {"negative_slope": float(self.negative_slope), "loss": None}

    def _class_weights(self, y: np.ndarray, y_train: np.ndarray | None = None) -> np.ndarray | None:
        """The class weight of each row of the network's targets y (float64), or None without
        class_weight; the weights of each class come from the training targets (y_train, else y).
        MLPClassifier defines it; a regressor has none."""
        return None

    def _validate_validation_data(self, X_val, y_val, sample_weight_val, y: np.ndarray, dtype: np.dtype):
        """X_val, y_val and sample_weight_val checked as HistGradientBoosting's fit checks them, as the
        core reads them: (X_val of the model's dtype, the network's targets, float64 weights or ones
        when class weights will multiply them, else None)."""
        X_val = validate_data(
            self, X_val, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False
        )
        Y_val = self._validation_targets(y_val, y, dtype)
        check_consistent_length(X_val, Y_val)
        if sample_weight_val is not None:
            sample_weight_val = _check_sample_weight(sample_weight_val, X_val, dtype=np.float64)
        elif getattr(self, "class_weight", None) is not None:
            sample_weight_val = np.ones(X_val.shape[0])
        X_val = _core_array(X_val, dtype)
        if X_val.shape[0] == 0:
            raise ValueError("X_val has no rows")
        return X_val, Y_val, sample_weight_val

    def _validation_targets(self, y_val, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """y_val as the network's targets, checked against the training targets y (each estimator
        defines it)."""
        raise NotImplementedError

    def _check_training_options(self, dtype: np.dtype) -> None:
        """Resolves optimizer= and lr_schedule= and checks them (and callbacks=) before anything changes.

        The optimizer's hyperparameters are checked by its own constructor, the schedule's arguments
        by the core, on a one-weight scratch trainer.
        """
        if self.callbacks is not None:
            for i, callback in enumerate(self.callbacks):
                if not callable(callback):
                    raise ValueError(f"callbacks[{i}]: expected a callable, got {callback!r}")
        if self.clip_grad_norm is not None and not np.isfinite(self.clip_grad_norm):
            raise ValueError(
                f"clip_grad_norm must be a finite positive number or None, got {self.clip_grad_norm}"
            )
        extras = self.optimizer is not None or self.lr_schedule is not None
        if extras and self.solver not in _STOCHASTIC_SOLVERS:
            raise ValueError(
                "optimizer= and lr_schedule= need a minibatch solver ('sgd' or 'adam'), not 'lbfgs'"
            )
        if self.learning_rate != "constant" and self.lr_schedule is not None:
            raise ValueError(
                f"learning_rate={self.learning_rate!r} and lr_schedule= are two schedules for one rate: "
                "keep learning_rate='constant' with lr_schedule="
            )
        if self.learning_rate != "constant" and self.optimizer is not None:
            raise ValueError(
                f"learning_rate={self.learning_rate!r} acts on scikit-learn's own 'sgd' rule only: with "
                "optimizer=, keep learning_rate='constant' and give lr_schedule= instead"
            )
        lr = float(self.learning_rate_init)
        rule = _resolve_optimizer(self.optimizer, lr, dtype)
        schedule = _resolve_schedule(self.lr_schedule)
        if schedule is not None:
            _check_schedule_in_core(rule, schedule, lr, dtype)
        self._resolved_options = (rule, schedule)

    def _check_schedule_length(
        self, n_samples: int, incremental: bool, continuing: bool, split: bool = True
    ) -> None:
        """OneCycleLR's total_steps must cover every step this fit can take (torch raises past it):
        max_iter epochs (one for partial_fit), each one step or one per minibatch, after the steps a
        continued partial_fit has already taken. split: whether early stopping splits X (not when
        X_val is given)."""
        if self.solver not in _STOCHASTIC_SOLVERS:
            return
        continuing = continuing and self._trainer.has_step_rule  # else _set_optimizer starts anew
        schedule = self._schedule if continuing else self._resolved_options[1]
        if schedule is None or schedule[0] != "OneCycleLR":
            return
        total = int(schedule[1]["total_steps"])
        taken = self._trainer.schedule_steps if continuing else 0
        epochs = 1 if incremental else int(self.max_iter)
        early_stopping = self.early_stopping and not incremental and split  # partial_fit refuses it later
        batches = _batches_per_epoch(n_samples, self.batch_size, early_stopping, self.validation_fraction)
        _check_one_cycle_steps(total, taken, epochs, batches, per_step=schedule[-1])

    def _init_network(self, layer_units: list[int], dtype: np.dtype, random_state) -> None:
        """scikit-learn's _initialize: attributes, output activation, Glorot-uniform weights."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(layer_units)
        if not is_classifier(self):
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif self._label_binarizer.y_type_ == "multiclass":
            self.out_activation_ = "softmax"
        else:
            self.out_activation_ = "logistic"
        self._new_trainer(layer_units, dtype)
        shared = _SharedRandomState(random_state)
        self._trainer.glorot_init(shared.core())
        shared.give_back()
        self._best_params = self._trainer.params.copy()
        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_: list[float] = []
            self.lr_history_: list[float] = []
            self.d_history_: list[float] | None = None  # a list once the optimizer adapts a d (Prodigy)
            self.history_: dict[str, list] | None = _new_history()
            self.validation_loss_curve_: list[float] | None = None
            self.best_epoch_: int | None = None
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_: list[float] | None = []
                self.best_validation_score_: float | None = -np.inf
                self.best_loss_: float | None = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _set_optimizer(self) -> None:
        """A new optimizer, as scikit-learn makes one per fit (and once for partial_fit)."""
        rule, schedule = self._resolved_options
        self._rate_policy = (self.learning_rate, float(self.learning_rate_init), float(self.power_t))
        if rule is not None:
            self._step_rule = rule
        elif self.solver == "sgd":
            hyper = {
                "lr": float(self.learning_rate_init),
                "momentum": float(self.momentum),
                "nesterov": bool(self.nesterovs_momentum),
            }
            self._step_rule = ("SklearnSGD", hyper)
        else:
            hyper = {
                "lr": float(self.learning_rate_init),
                "beta_1": float(self.beta_1),
                "beta_2": float(self.beta_2),
                "epsilon": float(self.epsilon),
            }
            self._step_rule = ("SklearnAdam", hyper)
            self._rate_policy = ("constant", float(self.learning_rate_init), float(self.power_t))
        self._schedule = None
        if schedule is not None:
            name, args, min_lr, max_lr, per_step = schedule
            self._schedule = (name, args, min_lr, max_lr, float(self.learning_rate_init), per_step)
        self._give_rule(self._trainer)

    def _check_early_stopping_split(self, n_samples: int, incremental: bool, split: bool) -> None:
        """Refuse, before any weight is drawn, what _fit_stochastic would refuse after: partial_fit with
        early_stopping, and a validation fraction that leaves no sample on one side (its sizes alone; the
        split itself is drawn later from the same generator, as scikit-learn draws it)."""
        if not self.early_stopping or self.solver not in _STOCHASTIC_SOLVERS:
            return
        if incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if split:  # the sizes train_test_split checks first (its other errors keep scikit-learn's order)
            _validate_shuffle_split(n_samples, self.validation_fraction, None)

    def _fit_stochastic(self, X, Y, sample_weight, random_state, incremental, validation=None):
        trainer = self._trainer
        if not incremental or not trainer.has_step_rule:
            self._set_optimizer()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")

        n_samples = X.shape[0]
        train_index = val_index = None
        if self.early_stopping and validation is None:
            # scikit-learn's split, drawn from the same generator: only the row numbers are split,
            # so X is read in place (scikit-learn copies X_train and X_val).
            should_stratify = is_classifier(self) and self.n_outputs_ == 1
            stratify = Y.astype(bool) if should_stratify else None
            train_index, val_index = train_test_split(
                np.arange(n_samples, dtype=np.int64),
                random_state=random_state,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            if val_index.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            train_index = np.ascontiguousarray(train_index, dtype=np.int64)
            val_index = np.ascontiguousarray(val_index, dtype=np.int64)
            n_train = train_index.shape[0]
        else:
            n_train = n_samples

        if self.batch_size == "auto":
            batch_size = min(200, n_train)
        else:
            if self.batch_size > n_train:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
                    stacklevel=5,
                )
            batch_size = int(np.clip(self.batch_size, 1, n_train))

        # What earlier fits left (a warm start after solver='lbfgs' has none of it yet).
        best_loss = getattr(self, "best_loss_", None)
        best_score = getattr(self, "best_validation_score_", None)
        progress = _core.train.Progress()
        progress.t = int(getattr(self, "t_", 0))
        progress.loss = float(getattr(self, "loss_", np.nan))
        progress.loss_curve = list(getattr(self, "loss_curve_", []))
        progress.best_loss = np.inf if best_loss is None else float(best_loss)
        progress.validation_scores = list(getattr(self, "validation_scores_", None) or [])
        progress.best_validation_score = -np.inf if best_score is None else float(best_score)
        progress.no_improvement_count = int(getattr(self, "_no_improvement_count", 0))
        progress.validation_loss_curve = list(getattr(self, "validation_loss_curve_", None) or [])
        progress.best_epoch = int(getattr(self, "best_epoch_", None) or 0)
        self._validated = self.early_stopping or validation is not None
        options = _core.train.LoopOptions()
        options.batch_size = batch_size
        options.shuffle = bool(self.shuffle)
        options.max_iter = int(self.max_iter)
        options.alpha = float(self.alpha)
        options.tol = float(self.tol)
        options.n_iter_no_change = float(self.n_iter_no_change)
        options.incremental = bool(incremental)
        options.score = "accuracy" if is_classifier(self) else "r2"
        options.clip_grad_norm = 0.0 if self.clip_grad_norm is None else float(self.clip_grad_norm)
        options.stop_on_divergence = self.on_divergence == "raise"
        self._divergence_warned = False
        options.stop_on_validation = bool(self.early_stopping)
        # partial_fit ends on its epoch's weights: the next call goes on from them.
        options.keep = (
            "last" if incremental and self.restore_best_weights else _KEEP_WEIGHTS[self.restore_best_weights]
        )
        self.lr_history_ = list(getattr(self, "lr_history_", None) or [])
        history = getattr(self, "history_", None)
        self.history_ = {key: list(history[key]) for key in _HISTORY_KEYS} if history else _new_history()
        # history_'s epochs go on from the earlier fits' (as loss_curve_), its time from their total.
        self._history_start = (
            len(progress.loss_curve),
            self.history_["time"][-1] if self.history_["time"] else 0.0,
            time.perf_counter(),
        )
        self._bar = _progress_bar(1 if incremental else int(self.max_iter)) if self.progress else None
        shared = _SharedRandomState(random_state)
        try:
            # progress is updated in place, also when the fit raises.
            reason = trainer.fit_stochastic(
                X,
                Y,
                sample_weight,
                train_index,
                val_index,
                self._best_params,
                shared.core(),
                progress,
                options,
                self._epoch_hook,
                **(
                    {}
                    if validation is None
                    else {"X_val": validation[0], "Y_val": validation[1], "sample_weight_val": validation[2]}
                ),
            )
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.", stacklevel=5)
            reason = "interrupted"
        except _core.train.ScheduleStepError as error:
            # The schedule refused a step (e.g. OneCycleLR past total_steps, when the check before
            # training could not foresee it): the weights hold every step taken, and so does the record.
            self._store_progress(progress)
            if len(self.lr_history_) < len(self.loss_curve_):  # an epoch ended, its hook did not run
                self.lr_history_.append(float(trainer.lr))
            raise ValueError(
                f"lr_schedule {self._schedule[0]}: {error} (the schedule had taken "
                f"{trainer.schedule_steps} steps, {self.n_iter_} epochs into this fit)"
            ) from None
        except _core.train.TrainingDiverged as error:
            self._store_progress(progress)
            trainer.clear_step_rule()  # its state holds the diverged steps
            message = str(error)
            raise ValueError(
                f"{message[0].upper()}{message[1:]}. Try a smaller learning_rate_init "
                f"(it is {self.learning_rate_init}), or scale the input data."
            ) from None
        except BaseException:
            # A callback (or other Python code of the epoch hook) raised: training stopped after that
            # epoch, and the record holds every epoch the weights hold.
            self._store_progress(progress)
            raise
        finally:
            shared.give_back()
            if self._bar is not None:
                self._bar.close()
            del self._bar
            del self._divergence_warned
        self._store_progress(progress)
        if reason == "max_iter":
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=5,
            )

    def _store_progress(self, progress: _core.train.Progress) -> None:
        self.n_iter_ = int(progress.n_iter)
        self.t_ = int(progress.t)
        if self.n_iter_ > 0 or "loss_" in self.__dict__:
            self.loss_ = float(progress.loss)
        self.loss_curve_ = [float(v) for v in progress.loss_curve]
        self._no_improvement_count = int(progress.no_improvement_count)
        if self._validated:
            self.validation_scores_ = [float(v) for v in progress.validation_scores]
            self.best_validation_score_ = float(progress.best_validation_score)
            self.validation_loss_curve_ = [float(v) for v in progress.validation_loss_curve]
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.validation_loss_curve_ = None
        self.best_loss_ = None if self.early_stopping else float(progress.best_loss)
        self.best_epoch_ = int(progress.best_epoch) or None

    def _epoch_hook(self, report: dict) -> bool:
        """Called by the core once per epoch (with the GIL): lr_history_, scikit-learn's verbose output,
        the progress bar and the callbacks (any of which returning True stops training)."""
        self.lr_history_.append(float(report["lr"]))
        if not self._divergence_warned and not np.isfinite(report["loss"]):
            self._divergence_warned = True  # once per fit; on_divergence='raise' never gets here
            warnings.warn(
                f"Training diverged in epoch {report['epoch']}: the loss is {report['loss']}. Training goes "
                f"on as scikit-learn's does; try a smaller learning_rate_init (it is "
                f"{self.learning_rate_init}) or scale the data, and pass on_divergence='raise' to stop at "
                "the first non-finite loss with the last finite weights.",
                RuntimeWarning,
                stacklevel=2,
            )
        epochs_before, time_before, started = self._history_start
        curves: dict[str, list] = self.history_  # type: ignore[assignment]  # set by _fit_stochastic
        for key, value in (
            ("epoch", epochs_before + int(report["epoch"])),
            ("loss", float(report["loss"])),
            ("validation_loss", _measured(report["validation_loss"])),
            ("validation_score", _measured(report["validation_score"])),
            ("lr", float(report["lr"])),
            ("time", time_before + (time.perf_counter() - started)),
        ):
            curves[key].append(value)
        adapted = report["optimizer_state"]
        if "d" in adapted:  # Prodigy's distance estimate, the scale of its steps (d * lr)
            history: list[float] | None = getattr(self, "d_history_", None)
            if history is None:
                history = self.d_history_ = []
            history.append(float(adapted["d"]))
        if self._bar is not None:
            # The postfix first: update() redraws the bar, which then shows this epoch's numbers.
            self._bar.set_postfix(loss=f"{report['loss']:.6g}", lr=f"{report['lr']:.3g}", refresh=False)
            self._bar.update(1)
        if self.verbose:
            print(f"Iteration {report['epoch']}, loss = {report['loss']:.8f}")
            if report["validation_score"] is not None:
                print(f"Validation score: {report['validation_score']:f}")
            stalled = report["stalled"]
            if stalled is not None:
                what = "Validation score" if self.early_stopping else "Training loss"
                msg = (
                    f"{what} did not improve more than tol={self.tol:f} for "
                    f"{int(self.n_iter_no_change)} consecutive epochs."
                )
                if stalled == "rate_reduced":
                    print(f"{msg} Setting learning rate to {report['next_lr']:f}")
                elif stalled == "stop_rate_too_small":
                    print(f"{msg} Learning rate too small. Stopping.")
                else:
                    print(f"{msg} Stopping.")
        stop = False
        if self.callbacks:
            info = {
                key: report[key] for key in ("epoch", "loss", "validation_score", "validation_loss", "lr")
            }
            for callback in self.callbacks:
                stop = bool(callback(dict(info))) or stop
        return stop

    def _fit_lbfgs(self, X, Y, sample_weight):
        if Y.ndim == 1:  # class positions; a full batch holds far more than their one-hot matrix
            Y = _one_hot(Y, self.n_outputs_, self._dtype)
        loss, n_iter, n_evals, status, message = self._trainer.fit_lbfgs(
            X,
            Y,
            sample_weight,
            alpha=float(self.alpha),
            max_iter=int(self.max_iter),
            max_fun=int(self.max_fun),
            tol=float(self.tol),
        )
        self.n_iter_ = min(int(n_iter), int(self.max_iter))
        self.loss_ = float(loss)
        self.history_ = None  # L-BFGS has no epochs
        if self.verbose:
            print(f"L-BFGS: {n_iter} iterations, {n_evals} loss evaluations, loss = {loss:.8f}: {message}")
        if status != 0:  # scikit-learn's _check_optimize_result, word for word
            warning = (
                f"lbfgs failed to converge after {self.n_iter_} iteration(s) (status={status}):\n{message}\n"
            )
            if self.n_iter_ == self.max_iter:
                warning += (
                    "\nIncrease the number of iterations to improve the convergence "
                    f"(max_iter={self.max_iter})."
                )
            warning += (
                "\nYou might also want to scale the data as shown in:\n"
                "    https://scikit-learn.org/stable/modules/preprocessing.html"
            )
            warnings.warn(warning, ConvergenceWarning, stacklevel=5)

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        """check_is_fitted(self), which costs a sixth of a 1-row prediction, only until fit made a network."""
        if "_trainer" not in self.__dict__:
            check_is_fitted(self)

    def _is_plain_input(self, X: Any) -> bool:
        """Whether X passes validate_data(self, X, reset=False) unchanged with no warning: a 2-D C-contiguous
        float32/float64 NumPy array with rows, the fitted number of columns and a finite sum (then every
        element is finite, as scikit-learn's own first check concludes), for a model fitted without
        feature names. Anything else goes through validate_data, which raises or warns as scikit-learn's
        estimator does; this check costs about a microsecond where validate_data costs most of a 1-row
        prediction."""
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _FLOAT_DTYPES
            and X.flags.c_contiguous
            and X.shape[0] > 0
            and X.shape[1] == self.__dict__.get("n_features_in_")
            and "feature_names_in_" not in self.__dict__
            and bool(np.isfinite(X.sum(dtype=np.float64)))
        )

    def _forward(self, X, check_input: bool = True) -> np.ndarray:
        """The network's output for X (scikit-learn's _forward_pass_fast)."""
        if check_input and not self._is_plain_input(X):
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False
            )
        self._sync_weights()
        return self._trainer.predict(_core_array(X, self._dtype))

    def _check_solver(self) -> bool:
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. {self.solver} is not stochastic."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
