"""MLPClassifier and MLPRegressor: scikit-learn's estimators, trained by gradkit's C++ core.

This module validates and names, as scikit-learn's own estimators do (with scikit-learn's own
utilities); the network, its initialisation, the epoch loop, the update rules and the early-stopping
score live in the core (``cpp/include/gradkit/nn`` and ``train``), driven through
``gradkit._core.train.MLPTrainer_float32`` / ``MLPTrainer_float64``.

With ``solver='sgd'`` or ``'adam'`` the numbers are scikit-learn's: the same initial weights from the
same ``random_state`` (drawn by the core's copy of NumPy's legacy RandomState, whose state moves back
and forth with the estimator's generator), the same validation split (scikit-learn's
``train_test_split`` on the same generator), the same minibatch order and the same update rules.
``solver='lbfgs'`` runs gradkit's L-BFGS (torch's algorithm, strong-Wolfe line search) where
scikit-learn runs scipy's L-BFGS-B: the same objective, different steps, so similar accuracy but not
the same weights.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from .. import _core
from ._resolve import (
    _batches_per_epoch,
    _check_one_cycle_steps,
    _check_schedule_in_core,
    _resolve_optimizer,
    _resolve_schedule,
)
from ._sklearn_compat import _fit_context, validate_data
from ._targets import _class_targets, _core_array, _one_hot
from ._trainer import _SharedRandomState, _TrainerHandle

__all__ = ["MLPClassifier", "MLPRegressor"]

_STOCHASTIC_SOLVERS = ("sgd", "adam")
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _progress_bar(total: int):
    """A tqdm.auto bar, or None (with a warning) when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn("progress=True needs tqdm (pip install tqdm); training without a bar", stacklevel=6)
        return None
    return tqdm(total=total, unit="epoch")


class _BaseMLP(_TrainerHandle):
    """What MLPClassifier and MLPRegressor share: scikit-learn's BaseMultilayerPerceptron."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
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
    }

    # ------------------------------------------------------------------ fitting
    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden_layer_sizes = self.hidden_layer_sizes
        if not hasattr(hidden_layer_sizes, "__iter__"):
            hidden_layer_sizes = [hidden_layer_sizes]
        hidden_layer_sizes = list(hidden_layer_sizes)
        if np.any(np.array(hidden_layer_sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden_layer_sizes}.")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)

        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        dtype = X.dtype if first_pass else self._dtype
        self._check_training_options(dtype)
        self._check_schedule_length(X.shape[0], incremental, continuing=incremental and not first_pass)
        X = _core_array(X, dtype)
        n_samples, n_features = X.shape
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
            sample_weight = np.require(sample_weight, dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])
        if is_classifier(self) and y.ndim == 1 and y.dtype == np.int64:
            # Class positions (three classes or more): the core trains on their one-hot rows.
            Y = np.require(y, requirements=["C_CONTIGUOUS", "ALIGNED"])
            self.n_outputs_ = len(self.classes_)
        else:
            Y = np.require(y.reshape(n_samples, -1), dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])
            self.n_outputs_ = Y.shape[1]
        del y  # Y is y itself when y already had the model's dtype (a classifier's targets)
        layer_units = [n_features, *hidden_layer_sizes, self.n_outputs_]

        random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, dtype, random_state)
        else:
            self._sync_weights()
            if list(self._trainer.layer_units) != layer_units:
                raise ValueError(
                    f"the network has layer sizes {list(self._trainer.layer_units)}; this data and "
                    f"hidden_layer_sizes need {layer_units} (set warm_start=False to start anew)"
                )

        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(X, Y, sample_weight, random_state, incremental)
        else:
            self._fit_lbfgs(X, Y, sample_weight)

        if not np.isfinite(self._trainer.params).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

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

    def _check_schedule_length(self, n_samples: int, incremental: bool, continuing: bool) -> None:
        """OneCycleLR's total_steps must cover every step this fit can take (torch raises past it):
        max_iter epochs (one for partial_fit), each one step or one per minibatch, after the steps a
        continued partial_fit has already taken."""
        if self.solver not in _STOCHASTIC_SOLVERS:
            return
        continuing = continuing and self._trainer.has_step_rule  # else _set_optimizer starts anew
        schedule = self._schedule if continuing else self._resolved_options[1]
        if schedule is None or schedule[0] != "OneCycleLR":
            return
        total = int(schedule[1]["total_steps"])
        taken = self._trainer.schedule_steps if continuing else 0
        epochs = 1 if incremental else int(self.max_iter)
        early_stopping = self.early_stopping and not incremental  # partial_fit refuses it later
        batches = _batches_per_epoch(n_samples, self.batch_size, early_stopping, self.validation_fraction)
        _check_one_cycle_steps(total, taken, epochs, batches, per_step=schedule[-1])

    def _initialize(self, layer_units: list[int], dtype: np.dtype, random_state) -> None:
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
        self._trainer.set_step_rule(*self._step_rule)
        self._trainer.set_rate_policy(*self._rate_policy)
        self._schedule = None
        if schedule is not None:
            name, args, min_lr, max_lr, per_step = schedule
            self._schedule = (name, args, min_lr, max_lr, float(self.learning_rate_init), per_step)
            self._trainer.set_schedule(*self._schedule)

    def _fit_stochastic(self, X, Y, sample_weight, random_state, incremental):
        trainer = self._trainer
        if not incremental or not trainer.has_step_rule:
            self._set_optimizer()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")

        n_samples = X.shape[0]
        train_index = val_index = None
        if self.early_stopping:
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
        progress.t = int(self.t_)
        progress.loss = float(getattr(self, "loss_", np.nan))
        progress.loss_curve = list(getattr(self, "loss_curve_", []))
        progress.best_loss = np.inf if best_loss is None else float(best_loss)
        progress.validation_scores = list(getattr(self, "validation_scores_", None) or [])
        progress.best_validation_score = -np.inf if best_score is None else float(best_score)
        progress.no_improvement_count = int(getattr(self, "_no_improvement_count", 0))
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
        self.lr_history_ = list(getattr(self, "lr_history_", None) or [])
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
        finally:
            shared.give_back()
            if self._bar is not None:
                self._bar.close()
            del self._bar
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
        if self.early_stopping:
            self.validation_scores_ = [float(v) for v in progress.validation_scores]
            self.best_validation_score_ = float(progress.best_validation_score)
            self.best_loss_ = None
        else:
            self.best_loss_ = float(progress.best_loss)
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _epoch_hook(self, report: dict) -> bool:
        """Called by the core once per epoch (with the GIL): lr_history_, scikit-learn's verbose output,
        the progress bar and the callbacks (any of which returning True stops training)."""
        self.lr_history_.append(float(report["lr"]))
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
            info = {key: report[key] for key in ("epoch", "loss", "validation_score", "lr")}
            for callback in self.callbacks:
                stop = bool(callback(dict(info))) or stop
        return stop

    def _fit_lbfgs(self, X, Y, sample_weight):
        if Y.ndim == 1:  # class positions; a full batch holds far more than their one-hot matrix
            Y = _one_hot(Y, self.n_outputs_, self._dtype)
        loss, n_iter, n_evals, converged = self._trainer.fit_lbfgs(
            X,
            Y,
            sample_weight,
            alpha=float(self.alpha),
            max_iter=int(self.max_iter),
            max_fun=int(self.max_fun),
            tol=float(self.tol),
        )
        self.n_iter_ = int(n_iter)
        self.loss_ = float(loss)
        if self.verbose:
            print(f"L-BFGS: {n_iter} iterations, {n_evals} loss evaluations, loss = {loss:.8f}")
        if not converged:
            warnings.warn(
                f"lbfgs failed to converge after {n_iter} iteration(s) and {n_evals} loss evaluations. "
                f"Increase max_iter (now {self.max_iter}) or max_fun (now {self.max_fun}), "
                "or scale the data.",
                ConvergenceWarning,
                stacklevel=5,
            )

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


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's MLPClassifier, trained by gradkit's core.

    The arguments, their defaults, the fitted attributes and the methods are scikit-learn's (see
    ``sklearn.neural_network.MLPClassifier``). With ``solver='sgd'`` or ``'adam'`` the training
    reproduces scikit-learn's numbers (initial weights, validation split, minibatch order, update
    rules); ``solver='lbfgs'`` uses gradkit's L-BFGS instead of scipy's L-BFGS-B (similar accuracy,
    different weights).

    ``coefs_`` and ``intercepts_`` are NumPy views of the core's weights; ``warm_start`` and
    ``partial_fit`` continue from them (assigning new arrays to them also works). X of dtype
    float32 trains in float32. Training diverging (a non-finite loss or weight) raises ValueError
    and keeps the weights of the last finite epoch, where scikit-learn would go on to NaN weights.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The number of neurons of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        The hidden layers' activation.
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The weight optimizer.
    alpha : float, default=0.0001
        Strength of the L2 penalty, divided by the sample weight sum of each batch.
    batch_size : int or 'auto', default='auto'
        Minibatch size for 'sgd' and 'adam'; 'auto' is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning rate schedule for 'sgd'.
    learning_rate_init : float, default=0.001
        The initial learning rate ('sgd', 'adam').
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    max_iter : int, default=200
        Epochs for 'sgd' and 'adam'; iterations for 'lbfgs'.
    shuffle : bool, default=True
        Whether to shuffle the samples every epoch ('sgd', 'adam').
    random_state : int, RandomState instance or None, default=None
        The generator of the initial weights, the validation split and the minibatch order.
    tol : float, default=1e-4
        The improvement below which an epoch counts as not improving.
    verbose : bool, default=False
        Print progress (once per epoch).
    warm_start : bool, default=False
        Continue from the previous fit's weights.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for 'sgd'.
    early_stopping : bool, default=False
        Stop when the validation accuracy stalls; the best weights are kept.
    validation_fraction : float, default=0.1
        The share of the data held out for early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates.
    epsilon : float, default=1e-8
        Adam's epsilon.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping (or, for 'adaptive', dividing the rate by 5).
    max_fun : int, default=15000
        Loss evaluations allowed to 'lbfgs'.
    optimizer : None, str or (str, dict), default=None
        Beyond scikit-learn: any ``gradkit.optim`` optimizer instead of the solver's own rule, by
        name (``"AdamW"``) or with its hyperparameters (``("SGD", {"momentum": 0.9, "nesterov":
        True})``), checked by the optimizer itself; the rate is ``learning_rate_init``. Needs
        ``solver='sgd'`` or ``'adam'`` and ``learning_rate='constant'`` (momentum, nesterovs_momentum,
        beta_1, beta_2 and epsilon belong to scikit-learn's rules and are then unused). None keeps
        scikit-learn's rules and numbers.
    lr_schedule : None or (schedule, dict) or (schedule, dict, 'batch' or 'epoch'), default=None
        Beyond scikit-learn: a closed-form ``gradkit.schedules`` schedule or
        ``CosineAnnealingWarmRestarts`` (a name or the class, e.g.
        ``("StepLR", {"step_size": 30, "gamma": 0.1})``) starting from ``learning_rate_init``,
        computed by the core and stepped after every epoch (default) or every minibatch; its
        ``min_lr`` / ``max_lr`` may be given too. Not with ``learning_rate`` other than 'constant'.
        ``OneCycleLR`` and ``CyclicLR`` work too, with torch's arguments, e.g. ``("OneCycleLR",
        {"max_lr": 0.1, "total_steps": 500}, "batch")``: their levels come from their own
        arguments (``learning_rate_init`` is unused), they take only ``min_lr`` and no custom
        ``scale_fn``, and with ``cycle_momentum=True`` (torch's default) they also set the
        momentum of each step: ``momentum`` of 'sgd' and of optimizers that have it, ``beta_1`` of
        'adam', the first of ``betas`` of Adam-like optimizers (an optimizer with none of them is
        refused, as torch refuses it). OneCycleLR's ``total_steps`` must cover the fit
        (``max_iter`` epochs, times the minibatches per epoch when stepped per batch; one epoch per
        ``partial_fit``), else fit raises ValueError before training, as torch raises past it.
        The loss-driven ``ReduceLROnPlateau``, ``AdaptiveLR`` and ``BoldDriverLR`` step after every
        epoch with its training loss (the value ``loss_curve_`` records), from ``learning_rate_init``;
        their best loss and counters go on over ``partial_fit`` calls and through pickling.
        scikit-learn's own stop (``n_iter_no_change`` epochs without improvement) still applies.
    callbacks : None or list of callable, default=None
        Beyond scikit-learn: each is called after every epoch with a dict of ``epoch``, ``loss``,
        ``validation_score`` (None without early stopping) and ``lr``; any returning True stops
        training after that epoch.
    progress : bool, default=False
        Beyond scikit-learn: show a ``tqdm.auto`` progress bar (a warning, and no bar, when tqdm is
        not installed).
    clip_grad_norm : None or float, default=None
        Beyond scikit-learn: before every step ('sgd', 'adam', any ``optimizer``), scale the gradient
        of all weights to at most this L2 norm, as ``torch.nn.utils.clip_grad_norm_`` does.

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    loss_ : float
        The loss of the last epoch (or of the final weights, for 'lbfgs').
    best_loss_ : float or None
        The smallest epoch loss (None with early stopping).
    loss_curve_ : list of float
        Each epoch's loss ('sgd', 'adam').
    validation_scores_ : list of float or None
        Each epoch's validation accuracy, with early stopping.
    best_validation_score_ : float or None
        The best validation accuracy, with early stopping.
    lr_history_ : list of float
        The rate each epoch started with ('sgd', 'adam'), next to ``loss_curve_``.
    t_ : int
        Samples seen by the optimizer.
    coefs_, intercepts_ : list of ndarray
        The weights of each layer, views of the core's buffer.
    n_features_in_, feature_names_in_, n_iter_, n_layers_, n_outputs_, out_activation_
        As scikit-learn's.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from gradkit import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)

    Any gradkit optimizer and schedule (here AdamW, the rate halved every 10 epochs):

    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.01,
    ...                     optimizer="AdamW", lr_schedule=("StepLR", {"step_size": 10, "gamma": 0.5}),
    ...                     max_iter=30, random_state=0).fit(X, y)
    >>> clf.lr_history_[:2], clf.lr_history_[10], clf.lr_history_[29]
    ([0.01, 0.01], 0.005, 0.0025)
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        optimizer=None,
        lr_schedule=None,
        callbacks=None,
        progress=False,
        clip_grad_norm=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.callbacks = callbacks
        self.progress = progress
        self.clip_grad_norm = clip_grad_norm

    # scikit-learn keeps the loss in an attribute set by the base class; it is fixed here.
    loss = "log_loss"

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                    f"'y' has {classes}."
                )
        # The dtype of the work: X's on a first fit, the model's when training goes on.
        return X, _class_targets(self._label_binarizer, y, X.dtype if reset else self._dtype)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. A C-contiguous float32 or float64 array is read in place.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The class labels (a label indicator matrix for multilabel).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : MLPClassifier
            The trained model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Every class of all calls; required on the first call.

        Returns
        -------
        self : MLPClassifier
            The trained model.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        self._check_fitted()
        y_pred = self._forward(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        self._check_fitted()
        y_pred = self._forward(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def predict_log_proba(self, X):
        """The log of the probability estimates, ``log(predict_proba(X))``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of ``classes_``.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's MLPRegressor, trained by gradkit's core.

    The arguments (``loss`` first, as in scikit-learn 1.7+), their defaults, the fitted attributes and
    the methods are scikit-learn's (see ``sklearn.neural_network.MLPRegressor`` and
    :class:`MLPClassifier` here for the rest). With ``solver='sgd'`` or ``'adam'`` the training
    reproduces scikit-learn's numbers; ``solver='lbfgs'`` uses gradkit's L-BFGS.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        Half squared error (identity output) or half Poisson deviance (exponential output).
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, learning_rate_init, \
power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, momentum, nesterovs_momentum, \
early_stopping, validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun, optimizer, \
lr_schedule, callbacks, progress, clip_grad_norm
        As :class:`MLPClassifier`; early stopping watches the validation R².

    Attributes
    ----------
    loss_, best_loss_, loss_curve_, lr_history_, validation_scores_, best_validation_score_, t_, \
coefs_, intercepts_, n_features_in_, feature_names_in_, n_iter_, n_layers_, n_outputs_, out_activation_
        As :class:`MLPClassifier` (validation scores are R²).

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit import MLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(200, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5])
    >>> reg = MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.99
    True
    """

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        optimizer=None,
        lr_schedule=None,
        callbacks=None,
        progress=False,
        clip_grad_norm=None,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.callbacks = callbacks
        self.progress = progress
        self.clip_grad_norm = clip_grad_norm

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. A C-contiguous float32 or float64 array is read in place.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : MLPRegressor
            The trained model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : ndarray of shape (n_samples,)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : MLPRegressor
            The trained model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        self._check_fitted()
        y_pred = self._forward(X)
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred
