"""MLPClassifier and MLPRegressor: scikit-learn's estimators, trained by gradkit's C++ core.

This module holds the two estimators: their arguments, their input validation and targets, and
their predictions. What they share is ``_base._BaseMLP`` (the fit and predict plumbing), on
``_trainer._TrainerHandle`` (the core's trainer, its weights and pickling), with ``optimizer=`` and
``lr_schedule=`` resolved by ``_resolve``. They validate and name as scikit-learn's own estimators
do (with scikit-learn's own utilities); the network, its initialisation, the epoch loop, the update
rules and the early-stopping score live in the core (``cpp/include/gradkit/nn`` and ``train``),
driven through ``gradkit._core.train.MLPTrainer_float32`` / ``MLPTrainer_float64``.

With ``solver='sgd'`` or ``'adam'`` the numbers are scikit-learn's: the same initial weights from the
same ``random_state`` (drawn by the core's copy of NumPy's legacy RandomState, whose state moves back
and forth with the estimator's generator), the same validation split (scikit-learn's
``train_test_split`` on the same generator), the same minibatch order and the same update rules.
``solver='lbfgs'`` runs scipy's L-BFGS-B, as scikit-learn does, ported to the core: the same steps,
``n_iter_`` and convergence warnings, and the same weights up to rounding.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels

from ._base import _BaseMLP
from ._sklearn_compat import _fit_context, validate_data
from ._targets import _class_targets

__all__ = ["MLPClassifier", "MLPRegressor"]


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's MLPClassifier, trained by gradkit's core.

    The arguments, their defaults, the fitted attributes and the methods are scikit-learn's (see
    ``sklearn.neural_network.MLPClassifier``). With ``solver='sgd'`` or ``'adam'`` the training
    reproduces scikit-learn's numbers (initial weights, validation split, minibatch order, update
    rules); ``solver='lbfgs'`` takes the steps of scikit-learn's scipy L-BFGS-B (the same weights up
    to rounding, the same ``n_iter_`` and warnings).

    ``coefs_`` and ``intercepts_`` are NumPy views of the core's weights; ``warm_start`` and
    ``partial_fit`` continue from them (assigning new arrays to them also works). X of dtype
    float32 trains in float32. A diverging fit (a non-finite loss) behaves as scikit-learn's, with
    a RuntimeWarning at its first non-finite loss; ``on_divergence='raise'`` stops it there instead.
    scikit-learn's private helpers (``_forward_pass``, ``_backprop``, ``_loss_grad_lbfgs``,
    ``_initialize``, ``_unpack``, ``_optimizer.learning_rate``) work with scikit-learn's arguments,
    computed by the core, so scikit-learn's own test suite passes against these estimators.

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
        scikit-learn's rules and numbers. Give an optimizer its own default rate through
        ``learning_rate_init`` where it differs from 1e-3 (``Prodigy`` and ``ScheduleFreeSGD`` want
        1.0, ``ScheduleFreeAdamW`` 0.0025). Schedule-Free takes its gradients at its point y and is
        scored, stopped early, pickled and left in ``coefs_`` at its average x, as its ``eval()``
        gives. ``("Lookahead", {"optimizer": spec, "k": 5, "alpha": 0.5})`` wraps any of them
        (``coefs_`` then hold the slow weights). ``"Muon"`` runs on the coefficient matrices between
        hidden layers (``"muon_layers": "all"``: every coefficient matrix) and AdamW on the others
        and every intercept, at ``"adamw_lr_ratio"`` (default 1) times the rate, with
        ``"adamw": {...}`` its other hyperparameters; with one hidden layer there is no matrix
        between hidden layers, and the default split is AdamW alone.
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
    on_divergence : {'warn', 'raise'}, default='warn'
        What a non-finite epoch loss does ('sgd', 'adam'). 'warn' is scikit-learn's behaviour plus a
        RuntimeWarning: training goes on, the NaN enters ``loss_curve_`` (and ``validation_scores_``)
        and the stopping tests as scikit-learn's compare them, early stopping ends on the best
        finite weights, and weights left non-finite at the end raise scikit-learn's ValueError
        ("Solver produced non-finite parameter weights..."). 'raise' is gradkit's safer way: stop at
        the first non-finite loss or weight, put back the weights of the epoch before, record the
        epochs completed, and raise ValueError naming the epoch and suggesting a smaller rate.

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    loss_ : float
        The loss of the last epoch (for 'lbfgs', the last loss L-BFGS-B evaluated, as in scikit-learn).
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
    d_history_ : list of float or None
        With ``optimizer="Prodigy"``: its adapted ``d`` (the distance estimate that scales its
        steps, ``d * lr``) after each epoch, next to ``lr_history_``; None for other optimizers.
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
        on_divergence="warn",
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
        self.on_divergence = on_divergence

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
    reproduces scikit-learn's numbers; ``solver='lbfgs'`` takes scipy's L-BFGS-B steps, as scikit-learn.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        Half squared error (identity output) or half Poisson deviance (exponential output).
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, learning_rate_init, \
power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, momentum, nesterovs_momentum, \
early_stopping, validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun, optimizer, \
lr_schedule, callbacks, progress, clip_grad_norm, on_divergence
        As :class:`MLPClassifier`; early stopping watches the validation R².

    Attributes
    ----------
    loss_, best_loss_, loss_curve_, lr_history_, d_history_, validation_scores_, best_validation_score_, t_, \
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
        on_divergence="warn",
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
        self.on_divergence = on_divergence

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
