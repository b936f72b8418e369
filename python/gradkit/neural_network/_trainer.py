"""The estimators' handle on the core's trainer, which holds the network's weights and the optimizer.

An estimator's network lives in a ``gradkit._core.train.MLPTrainer_float32`` / ``_float64``, in one
packed buffer of weights. ``_TrainerHandle`` owns that trainer: it creates it, makes ``coefs_`` and
``intercepts_`` views of the buffer, copies back any array a user assigned to them, and pickles the
trainer (its weights, the optimizer's and the schedule's state) and rebuilds it on unpickling.
``_SharedRandomState`` lets the core draw from the estimator's NumPy generator.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from sklearn.base import BaseEstimator

from .. import _core

_TRAINERS: dict[np.dtype, type[_core.train.MLPTrainer_float32] | type[_core.train.MLPTrainer_float64]] = {
    np.dtype(np.float32): _core.train.MLPTrainer_float32,
    np.dtype(np.float64): _core.train.MLPTrainer_float64,
}


class _SharedRandomState:
    """The core's copy of a NumPy RandomState, for draws made in C++ between draws made in Python.

    ``core()`` hands the generator's current state to the core; ``give_back()`` moves the core's
    state back into the NumPy generator, so that the next NumPy draw continues where the core's last
    one ended, as if NumPy had made them all. A RandomState over another bit generator than MT19937
    cannot be mirrored: the core is then seeded from one draw of it (reproducible, but not
    scikit-learn's numbers).
    """

    def __init__(self, random_state: np.random.RandomState) -> None:
        self._rs = random_state
        self._core: _core.nn.LegacyRandomState | None = None
        self._mirrored = False

    def core(self) -> _core.nn.LegacyRandomState:
        state = self._rs.get_state(legacy=False)
        if state["bit_generator"] != "MT19937":
            self._core = _core.nn.LegacyRandomState(int(self._rs.randint(0, 2**32, dtype=np.uint64)))
            self._mirrored = False
            return self._core
        self._core = _core.nn.LegacyRandomState(0)
        self._core.set_state(np.asarray(state["state"]["key"], dtype=np.uint32), int(state["state"]["pos"]))
        self._mirrored = True
        return self._core

    def give_back(self) -> None:
        if self._core is None or not self._mirrored:
            return
        key, pos = self._core.get_state()
        state = self._rs.get_state(legacy=False)
        state["state"] = {"key": key, "pos": pos}
        self._rs.set_state(state)
        self._core = None


def _layer_views(flat: np.ndarray, units: list[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Views of a packed vector (scikit-learn's ``_pack`` order: every coefficient matrix, then every
    intercept) as the layers' coefficients and intercepts."""
    coefs, intercepts, at = [], [], 0
    for fan_in, fan_out in pairwise(units):
        coefs.append(flat[at : at + fan_in * fan_out].reshape(fan_in, fan_out))
        at += fan_in * fan_out
    for fan_out in units[1:]:
        intercepts.append(flat[at : at + fan_out])
        at += fan_out
    return coefs, intercepts


class _TrainerHandle(BaseEstimator):
    """An estimator whose network is a core trainer, ``self._trainer``, with ``coefs_`` and
    ``intercepts_`` views of its weights.

    The estimator gives ``activation``, ``out_activation_`` and ``_network_options()`` (read by
    ``_new_trainer``) and, once
    it has set the trainer's optimizer, ``_step_rule``, ``_rate_policy`` and ``_schedule`` (the
    arguments of the trainer's ``set_step_rule``, ``set_rate_policy`` and ``set_schedule``, which
    unpickling gives the rebuilt trainer). It is a BaseEstimator because its pickling extends
    BaseEstimator's.
    """

    def _new_trainer(self, layer_units: list[int], dtype: np.dtype) -> None:
        """A new trainer of these layer sizes and dtype (its weights not yet initialised), attached."""
        options = self._network_options()
        trainer = _TRAINERS[np.dtype(dtype)](layer_units, self.activation, self.out_activation_, **options)
        self._network = (list(layer_units), self.activation, self.out_activation_, options)
        self._attach(trainer)

    def _network_options(self) -> dict:
        """The trainer constructor's keywords (negative_slope, loss, huber_delta, quantile)."""
        return {}

    def _attach(self, trainer) -> None:
        """Makes coefs_ and intercepts_ views of the trainer's weights."""
        coefs, intercepts = _layer_views(trainer.params, list(trainer.layer_units))
        self._trainer = trainer
        self._views = (tuple(coefs), tuple(intercepts))
        self.coefs_ = coefs
        self.intercepts_ = intercepts

    def _sync_weights(self) -> None:
        """Copies into the trainer any coefs_ / intercepts_ the user replaced (they are views otherwise)."""
        coefs, intercepts = self._views
        if (
            len(self.coefs_) == len(coefs)
            and len(self.intercepts_) == len(intercepts)
            and all(a is b for a, b in zip(self.coefs_, coefs))
            and all(a is b for a, b in zip(self.intercepts_, intercepts))
        ):
            return
        if len(self.coefs_) != len(coefs) or len(self.intercepts_) != len(intercepts):
            raise ValueError(
                f"coefs_ and intercepts_ must hold {len(coefs)} arrays each, as the network has "
                f"{len(coefs)} layers of weights; got {len(self.coefs_)} and {len(self.intercepts_)}"
            )
        for name, given, views in (
            ("coefs_", self.coefs_, coefs),
            ("intercepts_", self.intercepts_, intercepts),
        ):
            for i, (new, view) in enumerate(zip(given, views)):
                new = np.asarray(new)
                if new.shape != view.shape:
                    raise ValueError(f"{name}[{i}]: expected shape {view.shape}, got {new.shape}")
        for given, views in ((self.coefs_, coefs), (self.intercepts_, intercepts)):
            for new, view in zip(given, views):
                if new is not view:
                    np.copyto(view, np.asarray(new), casting="same_kind")
        self.coefs_ = list(coefs)
        self.intercepts_ = list(intercepts)

    @property
    def _dtype(self) -> np.dtype:
        """The dtype of the work: the trainer's."""
        return self._trainer.params.dtype

    def __getstate__(self) -> dict:
        """BaseEstimator's state, with copies of the weights and the trainer's optimizer and schedule
        state in place of the trainer."""
        state = dict(super().__getstate__())
        state.pop("_trainer", None)
        state.pop("_views", None)
        trainer = getattr(self, "_trainer", None)
        if trainer is not None:
            self._sync_weights()
            state["coefs_"] = [c.copy() for c in self.coefs_]
            state["intercepts_"] = [b.copy() for b in self.intercepts_]
            state["_optimizer_state"] = trainer.rule_state()
            state["_schedule_steps"] = trainer.schedule_steps if trainer.has_step_rule else 0
            state["_schedule_state"] = trainer.schedule_state if trainer.has_step_rule else []
            state["_dropout_steps"] = trainer.dropout_steps  # where the masks' stream goes on
        return state

    def _give_rule(self, trainer: _core.train.MLPTrainer_float32 | _core.train.MLPTrainer_float64) -> None:
        """Gives the trainer the estimator's step rule, rate policy and schedule (``_step_rule``,
        ``_rate_policy``, ``_schedule``), each from a fresh state."""
        _give_rule_of(trainer, self.__dict__)

    def __setstate__(self, state: dict) -> None:
        """Restores the state __getstate__ gave and rebuilds the trainer from it. A state that does not
        fit (truncated, tampered: wrong shapes or types, a NaN step count) is refused with a
        ValueError, TypeError or KeyError before anything changes: the trainer is rebuilt first."""
        if not isinstance(state, dict):
            raise TypeError(
                f"{type(self).__name__}.__setstate__: expected a dict, got {type(state).__name__}"
            )
        state = dict(state)
        optimizer_state = state.pop("_optimizer_state", None)
        schedule_steps = state.pop("_schedule_steps", 0)
        schedule_state = state.pop("_schedule_state", [])
        dropout_steps = state.pop("_dropout_steps", 0)
        trainer = None
        if "_network" in state:
            trainer = _rebuilt_trainer(state, optimizer_state, schedule_steps, schedule_state, dropout_steps)
        super().__setstate__(state)
        if trainer is not None:
            self._attach(trainer)


def _give_rule_of(trainer, attributes: dict) -> None:
    """Gives the trainer the step rule, rate policy and schedule named in an estimator's attributes."""
    trainer.set_step_rule(*attributes["_step_rule"])
    trainer.set_rate_policy(*attributes["_rate_policy"])
    if attributes.get("_schedule") is not None:
        trainer.set_schedule(*attributes["_schedule"])


def _rebuilt_trainer(state: dict, optimizer_state, schedule_steps, schedule_state, dropout_steps):
    """The trainer a pickled estimator's state describes, every part of the state checked on the way."""
    network = state["_network"]
    if not isinstance(network, (tuple, list)) or len(network) != 4 or not isinstance(network[3], dict):
        raise ValueError(
            "the state's '_network' must be (layer_units, activation, out_activation, options), as "
            f"this gradkit pickles it; got {network!r} (a state from another version?)"
        )
    units, activation, out_activation, options = network
    coefs, intercepts = state["coefs_"], state["intercepts_"]
    if not isinstance(coefs, (list, tuple)) or not isinstance(intercepts, (list, tuple)):
        raise TypeError("the state's coefs_ and intercepts_ must be lists of arrays")
    arrays = [np.asarray(a) for a in list(coefs) + list(intercepts)]
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) != 1 or next(iter(dtypes)) not in _TRAINERS:
        raise TypeError(
            f"the state's coefs_ and intercepts_ must be float32 or float64 arrays of one dtype, got {dtypes}"
        )
    dtype = next(iter(dtypes))
    trainer = _TRAINERS[dtype](units, activation, out_activation, **options)
    units = list(trainer.layer_units)
    wanted = [(a, b) for a, b in pairwise(units)] + [(b,) for b in units[1:]]
    given = [a.shape for a in arrays]
    if given != wanted:
        raise ValueError(
            f"the state's coefs_ and intercepts_ have shapes {given}; the network {units} needs {wanted}"
        )
    if (
        not isinstance(dropout_steps, (int, np.integer))
        or isinstance(dropout_steps, bool)
        or dropout_steps < 0
    ):
        raise ValueError(
            f"the state's '_dropout_steps' must be a step count (an integer >= 0), got {dropout_steps!r}"
        )
    trainer.dropout_steps = int(dropout_steps)
    trainer.set_params(np.ascontiguousarray(np.concatenate([a.ravel() for a in arrays]), dtype=dtype))
    if optimizer_state is not None:
        _check_rule_state(optimizer_state)
        _give_rule_of(trainer, state)
        if state.get("_schedule") is not None:
            if not isinstance(schedule_steps, (int, np.integer)) or isinstance(schedule_steps, bool):
                raise TypeError(f"the state's '_schedule_steps' must be an integer, got {schedule_steps!r}")
            trainer.schedule_steps = int(schedule_steps)
            if any(isinstance(v, float) and np.isnan(v) for v in schedule_state):
                raise ValueError("the state's '_schedule_state' holds NaN")
            trainer.schedule_state = schedule_state
        trainer.set_rule_state(optimizer_state)  # the rate too
    return trainer


def _check_rule_state(rule_state) -> None:
    """Refuses a step rule's state (the trainer's rule_state()) whose numbers cannot be a state: a
    non-finite rate, a NaN, or a step count that is not a whole number >= 0. The core checks its
    names, keys and buffer sizes."""
    if not isinstance(rule_state, dict):
        raise TypeError(f"the state's '_optimizer_state' must be a dict, got {type(rule_state).__name__}")
    lr = rule_state.get("lr")
    if isinstance(lr, (int, float, np.number)) and not np.isfinite(lr):
        raise ValueError(f"the optimizer state's lr must be finite, got {lr!r}")
    numbers = list(dict(rule_state.get("group") or {}).items())
    for entry in rule_state.get("params") or []:
        if isinstance(entry, dict):
            numbers += list(dict(entry.get("scalars") or {}).items())
    for key, value in numbers:
        if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            if np.isnan(value):
                raise ValueError(f"the optimizer state's {key!r} is NaN")
            if key == "step" and not (np.isfinite(value) and value >= 0 and float(value).is_integer()):
                raise ValueError(
                    f"the optimizer state's step count must be a whole number >= 0, got {value!r}"
                )
