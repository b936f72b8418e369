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
        trainer.set_step_rule(*self._step_rule)
        trainer.set_rate_policy(*self._rate_policy)
        if getattr(self, "_schedule", None) is not None:
            trainer.set_schedule(*self._schedule)

    def __setstate__(self, state: dict) -> None:
        """Restores the state __getstate__ gave and rebuilds the trainer from it."""
        state = dict(state)
        optimizer_state = state.pop("_optimizer_state", None)
        schedule_steps = state.pop("_schedule_steps", 0)
        schedule_state = state.pop("_schedule_state", [])
        dropout_steps = state.pop("_dropout_steps", 0)
        super().__setstate__(state)
        if "_network" in state:
            units, activation, out_activation, options = state["_network"]
            dtype = np.asarray(state["coefs_"][0]).dtype
            trainer = _TRAINERS[np.dtype(dtype)](units, activation, out_activation, **options)
            trainer.dropout_steps = dropout_steps
            flat = np.concatenate([np.ravel(a) for a in list(state["coefs_"]) + list(state["intercepts_"])])
            trainer.set_params(np.ascontiguousarray(flat, dtype=dtype))
            if optimizer_state is not None:
                self._give_rule(trainer)
                if getattr(self, "_schedule", None) is not None:
                    trainer.schedule_steps = schedule_steps
                    trainer.schedule_state = schedule_state
                trainer.set_rule_state(optimizer_state)  # the rate too
            self._attach(trainer)
