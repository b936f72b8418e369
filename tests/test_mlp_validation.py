"""The estimators beyond scikit-learn's MLP: class_weight, a validation set given to fit (X_val, y_val),
validation_loss_curve_, restore_best_weights and best_epoch_, history_, and partial_fit keeping the
optimizer's and the schedule's state for every optimizer=."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network._base import LOSS_FUNCTIONS
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import compute_sample_weight
from sklearn.utils._param_validation import InvalidParameterError

from gradkit import MLPClassifier, MLPRegressor
from gradkit.neural_network import _base

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _flat(est) -> np.ndarray:
    return np.concatenate([a.ravel() for a in list(est.coefs_) + list(est.intercepts_)])


def _classes(n_classes: int = 3, n: int = 240, weights=None, seed: int = 0):
    X, y = make_classification(
        n_samples=n,
        n_features=8,
        n_informative=5,
        n_classes=n_classes,
        weights=weights,
        random_state=seed,
    )
    return X, y


def _regression(n: int = 200, seed: int = 0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.randn(n)


def _clf(**kwargs) -> MLPClassifier:
    options = {"hidden_layer_sizes": (16,), "max_iter": 15, "random_state": 0, "learning_rate_init": 0.01}
    return MLPClassifier(**{**options, **kwargs})


def _reg(**kwargs) -> MLPRegressor:
    options = {"hidden_layer_sizes": (16,), "max_iter": 15, "random_state": 0, "learning_rate_init": 0.01}
    return MLPRegressor(**{**options, **kwargs})


# ------------------------------------------------------------------------------------- class_weight
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_balanced_class_weight_is_compute_sample_weight_as_sample_weight(n_classes, early_stopping):
    X, y = _classes(n_classes, weights=[0.7] + [0.3 / (n_classes - 1)] * (n_classes - 1))
    a = _clf(class_weight="balanced", early_stopping=early_stopping).fit(X, y)
    b = _clf(early_stopping=early_stopping).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_array_equal(_flat(a), _flat(b))
    assert a.loss_curve_ == b.loss_curve_
    assert a.validation_scores_ == b.validation_scores_  # the split's rows weighted alike
    assert not np.array_equal(_flat(a), _flat(_clf(early_stopping=early_stopping).fit(X, y)))


def test_dict_class_weight_is_its_weights_as_sample_weight():
    X, y = _classes(3)
    class_weight = {0: 2.0, 1: 0.5}  # class 2 is omitted: it weighs 1
    a = _clf(class_weight=class_weight).fit(X, y)
    b = _clf().fit(X, y, sample_weight=compute_sample_weight(class_weight, y))
    np.testing.assert_array_equal(_flat(a), _flat(b))


def test_class_weight_and_sample_weight_multiply():
    X, y = _classes(3)
    sw = np.random.RandomState(1).uniform(0.5, 2.0, size=len(y))
    a = _clf(class_weight="balanced").fit(X, y, sample_weight=sw)
    b = _clf().fit(X, y, sample_weight=sw * compute_sample_weight("balanced", y))
    np.testing.assert_array_equal(_flat(a), _flat(b))


def test_class_weight_weighs_the_lbfgs_objective_too():
    X, y = _classes(3)
    a = _clf(solver="lbfgs", class_weight="balanced", max_iter=30).fit(X, y)
    b = _clf(solver="lbfgs", max_iter=30).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_array_equal(_flat(a), _flat(b))
    assert a.loss_ != _clf(solver="lbfgs", max_iter=30).fit(X, y).loss_


def test_class_weight_with_string_labels_and_float32():
    X, y = _classes(3)
    labels = np.array(["ant", "bee", "cat"])[y]
    a = _clf(class_weight={"ant": 3.0, "bee": 1.0, "cat": 0.5}).fit(X.astype(np.float32), labels)
    b = _clf().fit(
        X.astype(np.float32), labels, sample_weight=compute_sample_weight({"ant": 3.0, "cat": 0.5}, labels)
    )
    assert a.coefs_[0].dtype == np.float32
    np.testing.assert_array_equal(_flat(a), _flat(b))


def test_balanced_class_weight_improves_balanced_accuracy_on_imbalanced_data():
    X, y = make_classification(
        n_samples=2100, n_features=10, n_informative=4, weights=[20 / 21], class_sep=0.6, random_state=3
    )
    X_train, y_train, X_test, y_test = X[:1400], y[:1400], X[1400:], y[1400:]
    plain = _clf(max_iter=50).fit(X_train, y_train)
    balanced = _clf(max_iter=50, class_weight="balanced").fit(X_train, y_train)
    plain_score = balanced_accuracy_score(y_test, plain.predict(X_test))
    balanced_score = balanced_accuracy_score(y_test, balanced.predict(X_test))
    assert balanced_score > plain_score + 0.05, (plain_score, balanced_score)


def test_partial_fit_takes_a_dict_class_weight_and_refuses_balanced():
    X, y = _classes(3)
    class_weight = {0: 2.0, 1: 0.5, 2: 1.0}
    a, b = _clf(class_weight=class_weight), _clf()
    for _ in range(3):
        a.partial_fit(X, y, classes=[0, 1, 2])
        b.partial_fit(X, y, classes=[0, 1, 2], sample_weight=compute_sample_weight(class_weight, y))
    np.testing.assert_array_equal(_flat(a), _flat(b))
    est = _clf(class_weight="balanced")
    with pytest.raises(ValueError, match="class_weight 'balanced' is not supported for partial_fit"):
        est.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(est, "coefs_")


def test_bad_class_weight_is_refused_before_the_fit_changes_anything():
    X, y = _classes(3)
    est = _clf().fit(X, y)
    before = _flat(est).copy()
    with pytest.raises(ValueError, match=r"class_weight names classes that are not in the data: \[7\]"):
        est.set_params(class_weight={0: 1.0, 7: 2.0}, warm_start=True).fit(X, y)
    np.testing.assert_array_equal(_flat(est), before)
    with pytest.raises(InvalidParameterError, match="class_weight"):
        _clf(class_weight="uniform").fit(X, y)
    with pytest.raises(InvalidParameterError, match="class_weight"):
        _clf(class_weight=[1.0, 2.0]).fit(X, y)
    Y = np.stack([y == 0, y == 1], axis=1).astype(int)
    fresh = _clf(class_weight="balanced")
    with pytest.raises(ValueError, match="class_weight is not supported for multilabel"):
        fresh.fit(X, Y)
    assert not hasattr(fresh, "coefs_")


def test_class_weight_is_searchable_cloned_and_pickled():
    X, y = _classes(2, weights=[0.85])
    search = GridSearchCV(
        _clf(max_iter=5),
        {"class_weight": [None, "balanced", {0: 1.0, 1: 3.0}]},
        cv=2,
        scoring="balanced_accuracy",
    ).fit(X, y)
    assert [p["class_weight"] for p in search.cv_results_["params"]] == [None, "balanced", {0: 1.0, 1: 3.0}]
    est = clone(_clf(class_weight="balanced"))
    assert est.get_params()["class_weight"] == "balanced"
    est.fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    assert copy.class_weight == "balanced"
    np.testing.assert_array_equal(copy.predict_proba(X), est.predict_proba(X))


# ---------------------------------------------------------------------------- X_val, validation loss
def _recorded_split(monkeypatch):
    """Records the rows of early stopping's internal split (train_index, val_index)."""
    split = {}
    original = _base.train_test_split

    def recording(*args, **kwargs):
        result = original(*args, **kwargs)
        split["train"], split["val"] = result
        return result

    monkeypatch.setattr(_base, "train_test_split", recording)
    return split


@pytest.mark.parametrize("make", ["classifier", "regressor"])
def test_x_val_as_the_internal_split_gives_its_results(monkeypatch, make):
    X, y = _classes(3) if make == "classifier" else _regression()
    new = _clf if make == "classifier" else _reg
    split = _recorded_split(monkeypatch)
    internal = new(early_stopping=True, shuffle=False, max_iter=25).fit(X, y)
    tr, va = split["train"], split["val"]
    given = new(early_stopping=True, shuffle=False, max_iter=25, validation_fraction=0.5)
    given.fit(X[tr], y[tr], X_val=X[va], y_val=y[va])
    assert given.validation_scores_ == internal.validation_scores_
    assert given.validation_loss_curve_ == internal.validation_loss_curve_
    assert given.loss_curve_ == internal.loss_curve_
    np.testing.assert_array_equal(_flat(given), _flat(internal))


def _numpy_loss(est, X, y, sample_weight=None) -> float:
    """The network's data loss on (X, y) computed by scikit-learn's LOSS_FUNCTIONS from predictions."""
    if isinstance(est, MLPClassifier):
        Y = LabelBinarizer().fit(est.classes_).transform(y).astype(np.float64)
        p = est.predict_proba(X)
        if Y.shape[1] == 1:
            return LOSS_FUNCTIONS["binary_log_loss"](Y, p[:, 1:], sample_weight)
        return LOSS_FUNCTIONS["log_loss"](Y, p, sample_weight)
    return LOSS_FUNCTIONS[est.loss](y.reshape(len(y), -1), est.predict(X).reshape(len(y), -1), sample_weight)


@pytest.mark.parametrize(
    "make, early_stopping",
    [("binary", True), ("multiclass", False), ("regressor", True), ("poisson", False)],
)
def test_validation_loss_and_score_are_those_of_each_epochs_weights(make, early_stopping):
    if make == "binary":
        X, y = _classes(2)
        est = _clf(early_stopping=early_stopping, alpha=0.1)
    elif make == "multiclass":
        X, y = _classes(3)
        est = _clf(early_stopping=early_stopping, alpha=0.1)
    else:
        X, y = _regression()
        if make == "poisson":
            y = np.exp(y / 2)
        est = _reg(
            early_stopping=early_stopping,
            alpha=0.1,
            loss="squared_error" if make == "regressor" else "poisson",
        )
    X_val, y_val = X[:60], y[:60]
    sw_val = np.random.RandomState(2).uniform(0.5, 2.0, size=60)
    losses, scores = [], []

    def record(info):
        losses.append(_numpy_loss(est, X_val, y_val, sw_val))
        scores.append(est.score(X_val, y_val, sample_weight=sw_val))
        assert info["validation_loss"] == est.history_["validation_loss"][-1]

    est.set_params(callbacks=[record]).fit(X[60:], y[60:], X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == len(est.loss_curve_) > 3
    # Without the L2 term (alpha=0.1 would show): the data loss alone.
    np.testing.assert_allclose(est.validation_loss_curve_, losses, rtol=1e-10)
    np.testing.assert_allclose(est.validation_scores_, scores, rtol=1e-10)


def test_x_val_without_early_stopping_is_scored_and_changes_no_weight():
    X, y = _classes(3)
    plain = _clf(max_iter=200, tol=1e-3).fit(X[60:], y[60:])
    scored = _clf(max_iter=200, tol=1e-3).fit(X[60:], y[60:], X_val=X[:60], y_val=y[:60])
    assert scored.n_iter_ == plain.n_iter_ < 200  # stopped on the training loss
    np.testing.assert_array_equal(_flat(scored), _flat(plain))
    assert scored.best_loss_ == plain.best_loss_
    assert len(scored.validation_scores_) == scored.n_iter_
    assert scored.best_validation_score_ == max(scored.validation_scores_)
    assert plain.validation_scores_ is None and plain.validation_loss_curve_ is None


def test_early_stopping_records_the_validation_loss_of_its_internal_split():
    X, y = _classes(3)
    est = _clf(early_stopping=True).fit(X, y)
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == est.n_iter_
    assert all(np.isfinite(est.validation_loss_curve_))


def test_x_val_float32_reads_the_model_dtype_and_pickles():
    X, y = _classes(3)
    X32 = X.astype(np.float32)
    est = _clf(early_stopping=True).fit(X32[60:], y[60:], X_val=X32[:60], y_val=y[:60])
    ref = _clf(early_stopping=True).fit(X[60:], y[60:], X_val=X[:60], y_val=y[:60])
    assert est.coefs_[0].dtype == np.float32
    np.testing.assert_allclose(est.validation_loss_curve_[:3], ref.validation_loss_curve_[:3], rtol=1e-4)
    copy = pickle.loads(pickle.dumps(est))
    assert copy.validation_loss_curve_ == est.validation_loss_curve_
    assert copy.history_ == est.history_ and copy.best_epoch_ == est.best_epoch_
    np.testing.assert_array_equal(copy.predict_proba(X32), est.predict_proba(X32))


@pytest.mark.parametrize(
    "fit_kwargs, est, match",
    [
        ({"X_val": "X"}, _clf(), "X_val is provided, but y_val was not provided"),
        ({"y_val": "y"}, _clf(), "y_val is provided, but X_val was not provided"),
        ({"X_val": "X3", "y_val": "y"}, _clf(), "X has 3 features, but MLPClassifier is expecting 8"),
        ({"X_val": "X", "y_val": "y9"}, _clf(), r"y_val has classes not in the training data: \[9\]"),
        ({"X_val": "X", "y_val": "y_short"}, _clf(), "inconsistent numbers of samples"),
        ({"X_val": "X", "y_val": "y", "sample_weight_val": "sw_short"}, _clf(), "sample_weight"),
        ({"X_val": "X", "y_val": "y"}, _clf(solver="lbfgs"), "solver='lbfgs' has no epochs"),
        ({"sample_weight_val": "sw"}, _clf(), "sample_weight_val is provided, but X_val and y_val were not"),
        ({"X_val": "X", "y_val": "y2"}, _reg(), "y_val has 2 outputs, but y has 1"),
    ],
)
def test_bad_validation_data_is_refused_before_the_fit_changes_anything(fit_kwargs, est, match):
    X, y = _classes(3)
    if isinstance(est, MLPRegressor):
        y = y.astype(float)
    values = {
        "X": X,
        "y": y,
        "X3": X[:, :3],
        "y9": np.where(y == 2, 9, y),
        "y_short": y[:-1],
        "sw_short": np.ones(len(y) - 1),
        "sw": np.ones(len(y)),
        "y2": np.stack([y, y], axis=1),
    }
    est.fit(X, y)
    before = _flat(est).copy()
    est.set_params(warm_start=True)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y, **{k: values[v] for k, v in fit_kwargs.items()})
    np.testing.assert_array_equal(_flat(est), before)


# ------------------------------------------------------------------ restore_best_weights, best_epoch_
def _snapshots(est):
    """A callback keeping a copy of the weights after every epoch."""
    kept = []
    est.set_params(callbacks=[lambda info: kept.append(_flat(est).copy())])
    return kept


def test_restore_best_weights_true_ends_on_the_best_validation_epoch():
    X, y = _classes(3, seed=4)
    est = _clf(learning_rate_init=0.05, max_iter=40, restore_best_weights=True)
    kept = _snapshots(est)
    est.fit(X[60:], y[60:], X_val=X[:60], y_val=y[:60])
    best = int(np.argmax(est.validation_scores_))  # the first of equal bests
    assert est.best_epoch_ == best + 1 < est.n_iter_
    np.testing.assert_array_equal(_flat(est), kept[best])
    assert len(est.loss_curve_) == est.n_iter_ and est.loss_ == est.loss_curve_[-1]  # the fit's
    # The same predictions as a model stopped at that epoch.
    stopped = _clf(learning_rate_init=0.05, max_iter=est.best_epoch_).fit(X[60:], y[60:])
    np.testing.assert_array_equal(stopped.predict_proba(X), est.predict_proba(X))


def test_restore_best_weights_true_without_validation_data_watches_the_training_loss():
    X, y = _classes(3, seed=4)
    est = _clf(
        solver="sgd", learning_rate_init=0.3, max_iter=30, restore_best_weights=True, n_iter_no_change=np.inf
    )
    kept = _snapshots(est)
    est.fit(X, y)
    best = int(np.argmin(est.loss_curve_))
    assert est.best_epoch_ == best + 1 < est.n_iter_  # a rate this large makes the loss go up and down
    np.testing.assert_array_equal(_flat(est), kept[best])
    plain = _clf(solver="sgd", learning_rate_init=0.3, max_iter=30, n_iter_no_change=np.inf).fit(X, y)
    assert plain.best_epoch_ == est.best_epoch_  # named, not restored
    np.testing.assert_array_equal(_flat(plain), kept[-1])


@pytest.mark.parametrize("restore, which", [(None, "best"), (True, "best"), (False, "last")])
def test_restore_best_weights_with_early_stopping(restore, which):
    X, y = _classes(3, seed=4)
    est = _clf(learning_rate_init=0.05, max_iter=60, early_stopping=True, restore_best_weights=restore)
    kept = _snapshots(est)
    est.fit(X, y)
    best = int(np.argmax(est.validation_scores_))
    np.testing.assert_array_equal(_flat(est), kept[best] if which == "best" else kept[-1])
    assert est.best_epoch_ == best + 1
    if restore is None:  # scikit-learn's own weights
        assert est.n_iter_ > best + 1


def test_restore_best_weights_is_searchable_and_refuses_other_values():
    X, y = _classes(3)
    assert clone(_clf(restore_best_weights=True)).restore_best_weights is True
    with pytest.raises(InvalidParameterError, match="restore_best_weights"):
        _clf(restore_best_weights="yes").fit(X, y)
    search = GridSearchCV(_reg(max_iter=3), {"restore_best_weights": [None, True, False]}, cv=2)
    search.fit(*_regression())
    assert len(search.cv_results_["params"]) == 3


def test_partial_fit_ends_on_each_calls_weights_and_names_the_best_epoch():
    X, y = _classes(3)
    a, b = _clf(restore_best_weights=True, learning_rate_init=0.3), _clf(learning_rate_init=0.3)
    for _ in range(6):
        a.partial_fit(X, y, classes=[0, 1, 2])
        b.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_array_equal(_flat(a), _flat(b))
    assert a.best_epoch_ == int(np.argmin(a.loss_curve_)) + 1


# ------------------------------------------------------------------------------------------ history_
def test_history_is_the_training_curves_in_equal_length_lists():
    X, y = _classes(3)
    est = _clf(early_stopping=True).fit(X, y)
    h = est.history_
    assert list(h) == ["epoch", "loss", "validation_loss", "validation_score", "lr", "time"]
    assert h["epoch"] == list(range(1, est.n_iter_ + 1))
    assert h["loss"] == est.loss_curve_
    assert h["validation_loss"] == est.validation_loss_curve_
    assert h["validation_score"] == est.validation_scores_
    assert h["lr"] == est.lr_history_
    assert all(0 < t0 <= t1 for t0, t1 in zip(h["time"], h["time"][1:]))
    without = _clf().fit(X, y).history_
    assert np.isnan(without["validation_loss"]).all() and np.isnan(without["validation_score"]).all()


def test_history_goes_on_over_partial_fit_and_warm_start_and_is_none_for_lbfgs():
    X, y = _classes(3)
    est = _clf()
    for _ in range(3):
        est.partial_fit(X, y, classes=[0, 1, 2])
    assert est.history_["epoch"] == [1, 2, 3] and est.history_["loss"] == est.loss_curve_
    est.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert est.history_["epoch"] == [1, 2, 3, 4, 5] and est.history_["loss"] == est.loss_curve_
    assert all(t0 <= t1 for t0, t1 in zip(est.history_["time"], est.history_["time"][1:]))
    est.set_params(warm_start=False).fit(X, y)
    assert est.history_["epoch"] == [1, 2]  # a new model
    assert _clf(solver="lbfgs").fit(X, y).history_ is None


def test_history_is_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = _regression()
    est = _reg(early_stopping=True).fit(X, y)
    frame = pd.DataFrame(est.history_)
    assert list(frame.columns) == ["epoch", "loss", "validation_loss", "validation_score", "lr", "time"]
    assert len(frame) == est.n_iter_


# ------------------------------------------------------------------- partial_fit keeps its optimizer
OPTIMIZERS = [
    ("Adam", {}),
    ("ScheduleFreeAdamW", {}),
    "Prodigy",
    ("Lookahead", {"optimizer": ("SGD", {"momentum": 0.9}), "k": 3, "alpha": 0.5}),
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=["Adam", "ScheduleFreeAdamW", "Prodigy", "Lookahead"])
@pytest.mark.parametrize("schedule", [None, ("StepLR", {"step_size": 2, "gamma": 0.5})])
def test_partial_fit_calls_are_one_fit_of_as_many_epochs(optimizer, schedule):
    X, y = _classes(3)
    options = {
        "solver": "sgd",
        "optimizer": optimizer,
        "lr_schedule": schedule,
        "shuffle": False,
        "tol": 0.0,
        "n_iter_no_change": np.inf,
        "batch_size": 64,
        "learning_rate_init": 1.0 if optimizer == "Prodigy" else 0.01,
    }
    fitted = _clf(max_iter=5, **options).fit(X, y)
    stepped, pickled = _clf(**options), None
    for call in range(5):
        if call == 2:
            pickled = pickle.loads(pickle.dumps(stepped))
        stepped.partial_fit(X, y, classes=[0, 1, 2])
        if pickled is not None:
            pickled.partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_array_equal(_flat(stepped), _flat(fitted))
    np.testing.assert_array_equal(_flat(pickled), _flat(fitted))
    assert stepped.loss_curve_ == fitted.loss_curve_ == pickled.loss_curve_
    assert stepped.lr_history_ == fitted.lr_history_


def test_warm_start_fit_renews_the_optimizer_as_sklearn():
    X, y = _classes(3)
    options = {"solver": "adam", "shuffle": False, "tol": 0.0, "n_iter_no_change": np.inf}
    once = _clf(max_iter=6, **options).fit(X, y)
    twice = _clf(max_iter=3, warm_start=True, **options).fit(X, y).fit(X, y)
    assert twice.loss_curve_[:3] == once.loss_curve_[:3]
    assert twice.loss_curve_[3] != once.loss_curve_[3]  # Adam's moments start anew for the second fit
