"""Adagrad, RMSprop, Adadelta and Adamax beyond the trajectories: state, flags, checks, signatures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradkit.optim import Adadelta, Adagrad, Adamax, RMSprop

STATE_KEYS = {
    Adagrad: ["step", "sum"],
    RMSprop: ["step", "square_avg"],
    Adadelta: ["step", "square_avg", "acc_delta"],
    Adamax: ["step", "exp_avg", "exp_inf"],
}


@pytest.mark.parametrize("cls", list(STATE_KEYS))
def test_state_has_torchs_keys_after_a_step(cls) -> None:
    w = np.array([0.5, -1.5])
    opt = cls([w])
    opt.step([w.copy()])
    state = opt.state_dict()["state"][0]
    assert list(state) == STATE_KEYS[cls]
    assert state["step"] == 1.0 and isinstance(state["step"], float)


@pytest.mark.parametrize("cls", list(STATE_KEYS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_dict_round_trip_continues_bit_for_bit(cls, dtype) -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 4)).astype(dtype)
    b = a.copy()
    opt_a = cls([a], weight_decay=0.01)
    for _ in range(3):
        opt_a.step([np.sin(a)])
    opt_b = cls([b], weight_decay=0.01)
    b[...] = a
    opt_b.load_state_dict(opt_a.state_dict())
    for _ in range(3):
        opt_a.step([np.sin(a)])
        opt_b.step([np.sin(b)])
    np.testing.assert_array_equal(a, b)


def test_adagrad_creates_state_at_construction_like_torch() -> None:
    w = np.zeros(3, dtype=np.float32)
    opt = Adagrad([w], initial_accumulator_value=0.1)
    state = opt.state_dict()["state"][0]
    assert state["step"] == 0.0
    assert state["sum"].dtype == np.float32
    np.testing.assert_array_equal(state["sum"], np.full(3, 0.1, dtype=np.float32))


def test_adagrad_skipped_parameter_keeps_its_initial_state() -> None:
    w, v = np.ones(2), np.ones(2)
    opt = Adagrad([w, v], lr=0.5)
    opt.step([np.ones(2), None])
    state = opt.state_dict()["state"]
    assert state[0]["step"] == 1.0 and state[1]["step"] == 0.0
    np.testing.assert_array_equal(v, np.ones(2))


def test_rmsprop_buffers_follow_momentum_and_centered() -> None:
    w = np.ones(2)
    opt = RMSprop([w], momentum=0.9, centered=True)
    opt.step([np.ones(2)])
    assert list(opt.state_dict()["state"][0]) == ["step", "square_avg", "momentum_buffer", "grad_avg"]


def test_rmsprop_momentum_switched_on_later_starts_from_zero() -> None:
    w = np.zeros(1)
    opt = RMSprop([w], lr=0.5, alpha=0.75, eps=0.0)
    g = [np.ones(1)]
    opt.step(g)
    opt.param_groups[0]["momentum"] = 0.9
    opt.step(g)
    buf = opt.state_dict()["state"][0]["momentum_buffer"]
    np.testing.assert_allclose(buf, [1 / math.sqrt(0.4375)], rtol=1e-15)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (Adagrad, {"lr": -1.0}, "Invalid learning rate: -1.0"),
        (Adagrad, {"lr_decay": -0.5}, "Invalid lr_decay value: -0.5"),
        (Adagrad, {"initial_accumulator_value": -1.0}, "Invalid initial_accumulator_value value: -1.0"),
        (Adagrad, {"eps": math.nan}, "Invalid epsilon value: nan"),
        (RMSprop, {"alpha": -0.1}, "Invalid alpha value: -0.1"),
        (RMSprop, {"momentum": math.nan}, "Invalid momentum value: nan"),
        (RMSprop, {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
        (Adadelta, {"rho": 1.5}, "Invalid rho value: 1.5"),
        (Adadelta, {"rho": math.nan}, "Invalid rho value: nan"),
        (Adadelta, {"eps": -1e-6}, "Invalid epsilon value: -1e-06"),
        (Adamax, {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
        (Adamax, {"betas": (math.nan, 0.9)}, "Invalid beta parameter at index 0: nan"),
        (Adamax, {"lr": math.nan}, "Invalid learning rate: nan"),
    ],
)
def test_invalid_hyperparameters_raise_torchs_messages(cls, kwargs, message) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        cls([np.zeros(1)], **kwargs)


def test_invalid_group_value_is_refused_at_step_without_changing_anything() -> None:
    w = np.ones(1)
    opt = Adadelta([w])
    opt.param_groups[0]["rho"] = 2.0
    with pytest.raises(ValueError, match="Invalid rho value: 2.0"):
        opt.step([np.ones(1)])
    np.testing.assert_array_equal(w, np.ones(1))


@pytest.mark.parametrize("cls", list(STATE_KEYS))
def test_torch_only_flags_are_not_accepted(cls) -> None:
    for flag in ("foreach", "fused", "capturable", "differentiable"):
        with pytest.raises(TypeError):
            cls([np.zeros(1)], **{flag: False})


def test_maximize_is_keyword_only() -> None:
    # RMSprop too: torch's positional slots before maximize (capturable, foreach) are not here.
    with pytest.raises(TypeError):
        RMSprop([np.zeros(1)], 0.01, 0.99, 1e-8, 0, 0, False, True)
    with pytest.raises(TypeError):
        Adamax([np.zeros(1)], 2e-3, (0.9, 0.999), 1e-8, 0, True)


def test_defaults_are_torchs() -> None:
    w = [np.zeros(1)]
    assert Adagrad(w).defaults == {
        "lr": 1e-2,
        "lr_decay": 0,
        "eps": 1e-10,
        "weight_decay": 0,
        "initial_accumulator_value": 0,
        "maximize": False,
    }
    assert RMSprop(w).defaults == {
        "lr": 1e-2,
        "momentum": 0,
        "alpha": 0.99,
        "eps": 1e-8,
        "centered": False,
        "weight_decay": 0,
        "maximize": False,
    }
    assert Adadelta(w).defaults == {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0, "maximize": False}
    assert Adamax(w).defaults == {
        "lr": 2e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0,
        "maximize": False,
    }
