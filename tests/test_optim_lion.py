"""Lion beyond its reference trajectories (tests/fixtures/optim/Lion.npz): defaults, state, resume,
per-element rates and refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradkit.optim import SGD, Adam, Lion


def test_defaults_are_the_references() -> None:
    assert Lion([np.zeros(1)]).defaults == {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0}


def test_state_is_the_momentum_only() -> None:
    w = np.array([0.5, -1.5], dtype=np.float32)
    opt = Lion([w], lr=0.1)
    opt.step([np.array([1.0, -1.0], dtype=np.float32)])
    state = opt.state_dict()["state"][0]
    assert list(state) == ["exp_avg"] and state["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(state["exp_avg"], [0.01, -0.01], rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_dict_round_trip_continues_bit_for_bit(dtype) -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(size=(4, 3)).astype(dtype)
    b = a.copy()
    opt_a = Lion([a], lr=0.01, weight_decay=0.1)
    for _ in range(3):
        opt_a.step([np.sin(3 * a)])
    opt_b = Lion([b], lr=0.01, weight_decay=0.1)
    b[...] = a
    opt_b.load_state_dict(opt_a.state_dict())
    for _ in range(4):
        opt_a.step([np.sin(3 * a)])
        opt_b.step([np.sin(3 * b)])
    np.testing.assert_array_equal(a, b)


def test_per_element_rates_scale_each_elements_step() -> None:
    w = np.zeros(3)
    opt = Lion([w], lr=0.1)
    opt.set_lr_scale([np.array([1.0, 0.5, 0.0])])
    opt.step([np.ones(3)])
    np.testing.assert_allclose(w, [-0.1, -0.05, 0.0], rtol=0, atol=1e-17)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1e-4}, "Invalid learning rate: -0.0001"),
        ({"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
        ({"betas": (math.nan, 0.99)}, "Invalid beta parameter at index 0: nan"),
        ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ],
)
def test_out_of_range_hyperparameters_are_refused(kwargs, message) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        Lion([np.zeros(1)], **kwargs)


def test_unknown_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        Lion([np.zeros(1)], eps=1e-8)  # type: ignore[call-arg]


def test_a_refused_step_or_state_changes_nothing() -> None:
    w = np.ones(2)
    opt = Lion([w], lr=0.1)
    opt.step([np.ones(2)])
    before, state = w.copy(), opt.state_dict()
    opt.param_groups[0]["betas"] = (0.9, 2.0)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        opt.step([np.ones(2)])
    np.testing.assert_array_equal(w, before)
    opt.param_groups[0]["betas"] = (0.9, 0.99)
    adam = Adam([np.ones(2)])
    adam.step([np.ones(2)])
    with pytest.raises(ValueError, match="which Lion does not keep"):
        opt.load_state_dict(adam.state_dict())
    with pytest.raises(ValueError, match="not Lion's"):
        opt.load_state_dict(SGD([np.ones(2)], lr=0.1, momentum=0.9).state_dict())
    np.testing.assert_array_equal(opt.state_dict()["state"][0]["exp_avg"], state["state"][0]["exp_avg"])
