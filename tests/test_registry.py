"""The core's registries reach every consumer: each optimizer and schedule a user can name trains the
estimators, and each wrapper names its core object, so that subclasses of gradkit's classes work.

The C++ registries (optim/registry.hpp, schedules/registry.hpp, train/registry.hpp) are iterated by the
bindings and by the trainer's factories; these tests check, from the Python side, that no class of
gradkit.optim or gradkit.schedules falls between them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradkit
from gradkit import _core, optim, schedules

pytest.importorskip("sklearn")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

# Classes that cannot be an estimator's optimizer=, and why.
NOT_A_STEP_RULE = {
    "Optimizer": "the abstract base class",
    "LBFGS": "a full-batch method stepped with a closure: the estimators' solver='lbfgs' runs it",
    "Lookahead": "a wrapper: the estimators take it as ('Lookahead', {'optimizer': spec, 'k', 'alpha'})",
}
# Schedules that cannot be an estimator's lr_schedule=, and why.
NOT_A_RATE_POLICY = {
    "LRScheduler": "the abstract base class",
    "LambdaLR": "calls a Python function at every step",
    "MultiplicativeLR": "calls a Python function at every step",
    "SequentialLR": "drives other scheduler objects",
    "ChainedScheduler": "drives other scheduler objects",
    "RandomLR": "draws per-element multipliers (set_lr_scale), not one rate",
}
# Arguments a schedule needs (the rest take their defaults).
SCHEDULE_ARGS = {
    "StepLR": {"step_size": 2},
    "ExponentialLR": {"gamma": 0.9},
    "MultiStepLR": {"milestones": [1, 2]},
    "CosineAnnealingLR": {"T_max": 3},
    "CosineAnnealingWarmRestarts": {"T_0": 2},
    "PolynomialLR": {"total_iters": 3},
    "OneCycleLR": {"max_lr": 0.05, "total_steps": 3},
    "CyclicLR": {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 2},
    "InverseTimeLR": {"decay_rate": 0.5},
    "RestartLR": {"period": 2},
    "PiecewiseConstantLR": {"boundaries": [1], "values": [0.01, 0.001]},
    "WarmupCosineLR": {"warmup_steps": 1, "total_steps": 3},
}


def _classes(module, base):
    return {
        name: getattr(module, name)
        for name in module.__all__
        if isinstance(getattr(module, name), type) and issubclass(getattr(module, name), base)
    }


OPTIMIZERS = _classes(optim, optim.Optimizer)
SCHEDULES = _classes(schedules, schedules.LRScheduler)


def _small_fit(**kwargs):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    model = gradkit.MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def test_every_optimizer_is_a_core_step_rule_or_says_why_not():
    step_rules = set(_core.train.MLPTrainer_float64.step_rules())
    for name, cls in OPTIMIZERS.items():
        if name in NOT_A_STEP_RULE:
            continue
        assert cls._core_algorithm.__name__ in step_rules, f"the trainer cannot step with {name}"
    # scikit-learn's own rules are step rules too, with no Python class.
    assert {"SklearnSGD", "SklearnAdam"} <= step_rules


@pytest.mark.parametrize("name", sorted(set(OPTIMIZERS) - set(NOT_A_STEP_RULE)))
def test_every_optimizer_trains_the_estimators(name):
    model = _small_fit(solver="adam", optimizer=name)
    assert model.n_iter_ == 3 and np.isfinite(model.loss_curve_).all()


def test_the_optimizers_the_estimators_refuse_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="full-batch method"):
        _small_fit(optimizer="LBFGS")
    with pytest.raises(ValueError, match="unknown optimizer"):
        _small_fit(optimizer="Optimizer")
    # A wrapper needs the optimizer it wraps; it wraps anything the estimators step with, once.
    with pytest.raises(ValueError, match="give the optimizer it wraps"):
        _small_fit(optimizer="Lookahead")
    with pytest.raises(ValueError, match="full-batch method"):
        _small_fit(optimizer=("Lookahead", {"optimizer": "LBFGS"}))
    with pytest.raises(ValueError, match="cannot wrap another Lookahead"):
        _small_fit(optimizer=("Lookahead", {"optimizer": ("Lookahead", {"optimizer": "Adam"})}))
    with pytest.raises(ValueError, match="unknown hyperparameters"):
        _small_fit(optimizer=("Lookahead", {"optimizer": "Adam", "lr": 0.1}))


@pytest.mark.parametrize("name", sorted(set(OPTIMIZERS) - set(NOT_A_STEP_RULE)))
def test_every_optimizer_trains_the_estimators_under_lookahead(name):
    model = _small_fit(solver="adam", optimizer=("Lookahead", {"optimizer": name, "k": 2}))
    assert model.n_iter_ == 3 and np.isfinite(model.loss_curve_).all()


def test_every_schedule_is_a_core_rate_policy_or_says_why_not():
    policies = set(_core.train.MLPTrainer_float64.schedules())
    documented = set(SCHEDULES) - set(NOT_A_RATE_POLICY)
    for name in documented:
        assert SCHEDULES[name]._core_schedule.__name__ in policies, f"lr_schedule= cannot use {name}"
    # The trainer has no rate policy that gradkit.schedules does not offer.
    assert policies == {SCHEDULES[n]._core_schedule.__name__ for n in documented}


@pytest.mark.parametrize("name", sorted(set(SCHEDULES) - set(NOT_A_RATE_POLICY)))
def test_every_schedule_trains_the_estimators(name):
    model = _small_fit(solver="sgd", lr_schedule=(name, SCHEDULE_ARGS.get(name, {})))
    assert model.n_iter_ == 3 and len(model.lr_history_) == 3


@pytest.mark.parametrize("name", sorted(set(NOT_A_RATE_POLICY) - {"LRScheduler"}))
def test_the_schedules_the_estimators_refuse_are_refused(name):
    with pytest.raises(ValueError, match="cannot drive the estimators' rate"):
        _small_fit(solver="sgd", lr_schedule=(name, {}))


# ---------------------------------------------------------------- subclasses


class MyAdam(optim.Adam):
    """A user's Adam: only its name differs."""


class MyStepLR(schedules.StepLR):
    pass


class MyBoldDriver(schedules.BoldDriverLR):
    pass


class MyPlateau(schedules.ReduceLROnPlateau):
    pass


def test_a_subclass_of_an_optimizer_steps_as_its_base():
    w, v = np.array([1.0, -2.0]), np.array([1.0, -2.0])
    mine, base = MyAdam([w], lr=0.1), optim.Adam([v], lr=0.1)
    for _ in range(3):
        mine.step([2 * w])
        base.step([2 * v])
    np.testing.assert_array_equal(w, v)
    mine.load_state_dict(base.state_dict())
    assert repr(mine).startswith("MyAdam (")


def _lrs(scheduler_class, steps, losses=None, **kwargs):
    opt = optim.SGD([np.zeros(2)], lr=0.1)
    scheduler = scheduler_class(opt, **kwargs)
    out = []
    for k in range(steps):
        if losses is None:
            scheduler.step()
        else:
            scheduler.step(losses[k])
        out.append(opt.param_groups[0]["lr"])
    return out


def test_a_subclass_of_a_closed_form_schedule_gives_its_bases_rates():
    assert _lrs(MyStepLR, 5, step_size=2, gamma=0.5) == _lrs(schedules.StepLR, 5, step_size=2, gamma=0.5)
    np.testing.assert_array_equal(
        schedules.lr_curve(MyStepLR, 6, step_size=2), schedules.lr_curve(schedules.StepLR, 6, step_size=2)
    )


def test_a_subclass_of_a_loss_driven_schedule_gives_its_bases_rates():
    losses = [1.0, 0.8, 0.9, 0.7, 0.7, 0.75]
    assert _lrs(MyBoldDriver, 6, losses) == _lrs(schedules.BoldDriverLR, 6, losses)
    np.testing.assert_array_equal(MyBoldDriver.lr_history(losses), schedules.BoldDriverLR.lr_history(losses))


def test_a_subclass_of_reduce_lr_on_plateau_gives_its_bases_rates():
    losses = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    assert _lrs(MyPlateau, 8, losses, patience=1) == _lrs(schedules.ReduceLROnPlateau, 8, losses, patience=1)


def test_subclasses_train_the_estimators_as_their_bases():
    mine = _small_fit(solver="adam", optimizer=MyAdam, lr_schedule=(MyStepLR, {"step_size": 1}))
    base = _small_fit(solver="adam", optimizer="Adam", lr_schedule=("StepLR", {"step_size": 1}))
    np.testing.assert_array_equal(mine.coefs_[0], base.coefs_[0])
    assert mine.lr_history_ == base.lr_history_


# ---------------------------------------------------------------- public names


@pytest.mark.parametrize(
    "module_name", ["gradkit", "gradkit.optim", "gradkit.schedules", "gradkit.neural_network"]
)
def test_dir_of_a_public_package_lists_its_public_names(module_name):
    import importlib

    module = importlib.import_module(module_name)
    names = set(dir(module))
    assert names >= set(module.__all__)
    assert "annotations" not in names and not any(n.startswith("_") and n != "__version__" for n in names)
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.__all__ names {name}, which it lacks"


def test_every_public_module_says_what_it_exports():
    import importlib
    import pkgutil

    for package in (optim, schedules):
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            assert hasattr(module, "__all__"), f"{module.__name__} has no __all__"
            exported = set(module.__all__)
            assert exported <= set(package.__all__), (
                f"{module.__name__} exports what {package.__name__} does not"
            )
