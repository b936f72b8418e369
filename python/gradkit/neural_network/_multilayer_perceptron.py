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

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_array, column_or_1d, compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels

from ._base import _BaseMLP
from ._sklearn_compat import _fit_context, validate_data
from ._targets import _class_positions, _class_targets

__all__ = ["MLPClassifier", "MLPRegressor"]


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's MLPClassifier, trained by gradkit's core.

    The arguments, their defaults, the fitted attributes and the methods are scikit-learn's (see
    ``sklearn.neural_network.MLPClassifier``). With ``solver='sgd'`` or ``'adam'`` the training
    reproduces scikit-learn's numbers (initial weights, validation split, minibatch order, update
    rules); ``solver='lbfgs'`` takes the steps of scikit-learn's scipy L-BFGS-B (the same weights up
    to rounding, the same ``n_iter_`` and warnings).

    ``coefs_`` and ``intercepts_`` are NumPy views of the core's weights; ``warm_start`` and
    ``partial_fit`` continue from them (assigning new arrays to them also works). A ``warm_start``
    fit continues from the weights with a new optimizer and schedule, as scikit-learn renews them
    per fit (``est.set_params(max_iter=k).fit(X, y)`` trains k more epochs); ``partial_fit`` keeps
    the optimizer's and the schedule's state from call to call, for every ``optimizer=`` and
    ``lr_schedule=`` (also through pickling), so that N calls give the numbers of one fit of N
    epochs (with ``shuffle=False``). X of dtype
    float32 trains in float32. A diverging fit (a non-finite loss) behaves as scikit-learn's, with
    a RuntimeWarning at its first non-finite loss; ``on_divergence='raise'`` stops it there instead.
    scikit-learn's private helpers (``_forward_pass``, ``_backprop``, ``_loss_grad_lbfgs``,
    ``_initialize``, ``_unpack``, ``_optimizer.learning_rate``) work with scikit-learn's arguments,
    computed by the core, so scikit-learn's own test suite passes against these estimators.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The number of neurons of each hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', 'elu', 'gelu', 'gelu_tanh', \
'silu', 'softplus'}, default='relu'
        The hidden layers' activation. Beyond scikit-learn's four, torch.nn.functional's:
        'leaky_relu' (``x`` if ``x > 0`` else ``negative_slope * x``), 'elu' (alpha 1: ``x`` if
        ``x > 0`` else ``exp(x) - 1``), 'gelu' (exact: ``x/2 * (1 + erf(x/sqrt(2)))``, torch's
        ``approximate='none'``), 'gelu_tanh' (torch's ``approximate='tanh'``: ``x/2 * (1 +
        tanh(sqrt(2/pi) * (x + 0.044715 x**3)))``), 'silu' (``x * sigmoid(x)``) and 'softplus'
        (``log(1 + exp(x))``, beta 1, linear above 20 as torch's threshold).
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
        ``validation_score`` and ``validation_loss`` (None without validation data) and ``lr``; any
        returning True stops training after that epoch.
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
    negative_slope : float, default=0.01
        Beyond scikit-learn: the slope of ``activation='leaky_relu'`` for negative inputs (torch's
        name and default); unused by the other activations.
    dropout : None, float or sequence of float, default=None
        Beyond scikit-learn: inverted dropout on the hidden layers' outputs in every training step
        of 'sgd' and 'adam' (each unit zeroed with probability ``p``, the kept ones scaled by
        ``1 / (1 - p)``): one rate in [0, 1) for every hidden layer, or one per hidden layer. Off
        in ``predict``, ``predict_proba``, ``score`` and the validation score of early stopping;
        ``loss_curve_`` records the training loss with dropout. The masks are drawn in the core from
        a seed that ``random_state`` gives (only when dropout is used, so ``None`` and ``0.0``
        leave scikit-learn's numbers unchanged) and the step count, so they do not depend on the
        thread count, and ``partial_fit``, ``warm_start`` and pickling continue the same stream.
        Not with ``solver='lbfgs'`` (ValueError: its line search needs a deterministic objective).
    class_weight : None, 'balanced' or dict, default=None
        Beyond scikit-learn's MLP: weights of the classes, as scikit-learn's other classifiers
        define them (``{class_label: weight}``; 'balanced' weighs each class by ``n_samples /
        (n_classes * np.bincount(y))``, computed from the training labels of each fit). Each row's
        class weight multiplies its ``sample_weight``: fitting with ``class_weight='balanced'``
        gives the numbers of fitting with ``sample_weight=compute_sample_weight('balanced', y)``.
        The validation rows (early stopping's split or ``X_val``) are weighted the same way, so the
        validation scores and loss are class-weighted. A dict naming a class not in the data
        raises ValueError (scikit-learn's classifiers ignore such keys); classes it omits weigh 1.
        Not for multilabel targets (ValueError: pass ``sample_weight``). ``partial_fit`` refuses
        'balanced' (as ``SGDClassifier`` does); a dict works there.
    restore_best_weights : None or bool, default=None
        Beyond scikit-learn: the weights a fit ends on. None is scikit-learn's behaviour (with
        early stopping the best validation score's weights, else the last epoch's); True: the
        weights of this fit's best epoch, by the validation score when there is validation data
        (early stopping's split or ``X_val``), else by the training loss, with or without early
        stopping; False: always the last epoch's weights. ``loss_``, ``n_iter_`` and the curves
        stay the fit's. ``partial_fit`` always ends on its epoch's weights (the next call goes on
        from them); ``best_epoch_`` still names the best epoch so far.

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
        Each epoch's validation accuracy, whenever there is validation data (early stopping's
        split or ``X_val``); None without.
    best_validation_score_ : float or None
        The best validation accuracy, whenever there is validation data.
    validation_loss_curve_ : list of float or None
        Beyond scikit-learn: each epoch's loss on the validation data (early stopping's split or
        ``X_val``), beside ``validation_scores_``: the data loss of the network's loss function
        (log loss here) with the validation sample weights, without the L2 penalty (so that it
        compares across ``alpha``, where ``loss_curve_`` includes the penalty); NaN where the
        validation weights sum to zero. None without validation data.
    best_epoch_ : int or None
        Beyond scikit-learn: the 1-based epoch, counted along ``loss_curve_`` (across
        ``warm_start`` fits and ``partial_fit`` calls), whose weights the model holds when they
        were restored (``restore_best_weights=True``, or early stopping's), else the best epoch by
        the validation score (with validation data) or the training loss. None for 'lbfgs'.
    history_ : dict of list or None
        Beyond scikit-learn: the training curves, one entry per epoch in equal-length lists, ready
        for ``pandas.DataFrame(est.history_)`` (pandas is not needed): ``epoch`` (1-based, along
        ``loss_curve_``), ``loss``, ``validation_loss``, ``validation_score``, ``lr`` (the rate the
        epoch started with) and ``time`` (wall-clock seconds spent in fitting since the model was
        initialised, each call's time added to the earlier calls' total). NaN where not measured
        (no validation data). Goes on over ``warm_start`` fits and ``partial_fit`` calls as
        ``loss_curve_``; None for 'lbfgs', which has no epochs.
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
        negative_slope=0.01,
        dropout=None,
        class_weight=None,
        restore_best_weights=None,
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
        self.negative_slope = negative_slope
        self.dropout = dropout
        self.class_weight = class_weight
        self.restore_best_weights = restore_best_weights

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "class_weight": [None, dict, StrOptions({"balanced"})],
    }

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

    def _class_weights(self, y, y_train=None):
        """The class weight of each row of the network's targets y (float64; None without
        class_weight), each class weighing as compute_class_weight gives it from the training
        targets (y_train, else y): ``compute_sample_weight(class_weight, labels)`` for a fit."""
        if self.class_weight is None:
            return None
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError(
                "class_weight is not supported for multilabel targets (each label is its own binary "
                "problem); pass sample_weight instead, e.g. from sklearn.utils.compute_sample_weight"
            )
        if isinstance(self.class_weight, dict):
            known = set(self.classes_.tolist())
            unknown = [c for c in self.class_weight if c not in known]
            if unknown:
                raise ValueError(
                    f"class_weight names classes that are not in the data: {unknown}; "
                    f"the classes are {self.classes_.tolist()}"
                )
        positions = _class_positions(y)
        train = positions if y_train is None else _class_positions(y_train)
        per_class = compute_class_weight(self.class_weight, classes=self.classes_, y=self.classes_[train])
        return np.asarray(per_class, dtype=np.float64)[positions]

    def _validation_targets(self, y_val, y, dtype):
        """y_val as the network's targets: labels among classes_ (a label indicator matrix of as many
        columns for multilabel y)."""
        y_val = check_array(y_val, accept_sparse="csr", ensure_2d=False, dtype=None, input_name="y_val")
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        if self._label_binarizer.y_type_.startswith("multilabel"):
            if type_of_target(y_val) != "multilabel-indicator" or y_val.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y_val must be a label indicator matrix of {len(self.classes_)} columns, as y; "
                    f"got {type_of_target(y_val)} of shape {y_val.shape}"
                )
        else:
            known = set(self.classes_.tolist())
            unknown = [c for c in unique_labels(y_val).tolist() if c not in known]
            if unknown:
                raise ValueError(
                    f"y_val has classes not in the training data: {unknown}; "
                    f"the classes are {self.classes_.tolist()}"
                )
        return _class_targets(self._label_binarizer, y_val, dtype)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. A C-contiguous float32 or float64 array is read in place.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The class labels (a label indicator matrix for multilabel).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights (multiplied by the weights of ``class_weight``).
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            Validation data, as ``HistGradientBoostingClassifier.fit`` takes it ('sgd', 'adam'
            only): with ``early_stopping=True`` it replaces the internal split (all of X trains,
            ``validation_fraction`` is unused); without, it is scored after every epoch all the
            same (``validation_scores_``, ``validation_loss_curve_``) and stopping stays on the
            training loss. A C-contiguous array of the model's dtype is read in place.
        y_val : array-like of shape (n_val,) or (n_val, n_classes), default=None
            The labels of X_val, classes of y.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows (multiplied by the weights of ``class_weight``).

        Returns
        -------
        self : MLPClassifier
            The trained model.
        """
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            incremental=False,
            X_val=X_val,
            y_val=y_val,
            sample_weight_val=sample_weight_val,
        )

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
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit. In order to use "
                "'balanced' weights, use compute_class_weight('balanced', classes=classes, y=y). "
                "In place of y you can use a large enough sample of the full training set target to "
                "properly estimate the class frequency distributions. Pass the resulting weights as "
                "the class_weight parameter."
            )
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
    loss : {'squared_error', 'poisson', 'absolute_error', 'huber', 'pinball'}, default='squared_error'
        Half squared error (identity output) or half Poisson deviance (exponential output), as
        scikit-learn's; beyond scikit-learn, after an identity output: 'absolute_error' (``|y - p|``),
        'huber' (``r**2 / 2`` where ``|r| <= huber_delta``, ``huber_delta * (|r| - huber_delta / 2)``
        beyond, ``r = y - p``) and 'pinball' (``quantile * max(r, 0) + (1 - quantile) * max(-r, 0)``,
        scikit-learn's ``mean_pinball_loss`` with ``alpha=quantile``: ``predict`` estimates that
        quantile of y). Each is the weighted mean over samples of the mean over outputs, plus the L2
        term; their gradient is that value's exact gradient (0 at the kinks: where ``p == y``).
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, learning_rate_init, \
power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, momentum, nesterovs_momentum, \
early_stopping, validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, max_fun, optimizer, \
lr_schedule, callbacks, progress, clip_grad_norm, on_divergence, negative_slope, dropout, \
restore_best_weights
        As :class:`MLPClassifier`; early stopping watches the validation R².
    huber_delta : float, default=1.0
        Beyond scikit-learn: where ``loss='huber'`` turns from quadratic to linear (> 0).
    quantile : float, default=0.5
        Beyond scikit-learn: the quantile ``loss='pinball'`` estimates, in (0, 1).

    Attributes
    ----------
    loss_, best_loss_, loss_curve_, lr_history_, d_history_, validation_scores_, best_validation_score_, \
validation_loss_curve_, best_epoch_, history_, t_, coefs_, intercepts_, n_features_in_, feature_names_in_, \
n_iter_, n_layers_, n_outputs_, out_activation_
        As :class:`MLPClassifier` (validation scores are R², the validation loss is ``loss``'s).

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
        "loss": [StrOptions({"squared_error", "poisson", "absolute_error", "huber", "pinball"})],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
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
        negative_slope=0.01,
        dropout=None,
        huber_delta=1.0,
        quantile=0.5,
        restore_best_weights=None,
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
        self.negative_slope = negative_slope
        self.dropout = dropout
        self.huber_delta = huber_delta
        self.quantile = quantile
        self.restore_best_weights = restore_best_weights

    def _network_options(self) -> dict:
        return {
            **super()._network_options(),
            "loss": self.loss,
            "huber_delta": float(self.huber_delta),
            "quantile": float(self.quantile),
        }

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

    def _validation_targets(self, y_val, y, dtype):
        """y_val as the network's targets: numbers of as many outputs as y."""
        y_val = check_array(y_val, ensure_2d=False, dtype=(np.float64, np.float32), input_name="y_val")
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val, warn=True)
        outputs = 1 if y.ndim == 1 else y.shape[1]
        if (1 if y_val.ndim == 1 else y_val.shape[1]) != outputs:
            raise ValueError(f"y_val has {y_val.shape[1]} outputs, but y has {outputs}")
        return y_val

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. A C-contiguous float32 or float64 array is read in place.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            Validation data, as in :meth:`MLPClassifier.fit` (scored by R²).
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            The targets of X_val.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows.

        Returns
        -------
        self : MLPRegressor
            The trained model.
        """
        return self._fit(
            X,
            y,
            sample_weight=sample_weight,
            incremental=False,
            X_val=X_val,
            y_val=y_val,
            sample_weight_val=sample_weight_val,
        )

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
