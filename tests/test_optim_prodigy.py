"""Prodigy beyond its reference trajectories (tests/fixtures/optim/Prodigy.npz): defaults, the group state,
the no-progress return, state and resume, per-element rates, and refusals that change nothing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradkit.optim import Adam, Prodigy

from optim_field import gradient

GROUP_STATE = ("d", "d_max", "d_numerator", "d_denom", "d_hat", "k")


def _bits(arrays) -> list[bytes]:
    return [np.asarray(a).tobytes() for a in arrays]


def _state_bits(opt) -> tuple:
    sd = opt.state_dict()
    state = tuple(
        (i, key, np.asarray(v).tobytes(), np.asarray(v).shape)
        for i, s in sd["state"].items()
        for key, v in s.items()
    )
    groups = tuple(tuple(sorted((k, repr(v)) for k, v in g.items())) for g in sd["param_groups"])
    return state, groups


def test_defaults_are_the_references() -> None:
    assert Prodigy([np.zeros(1)]).defaults == {
        "lr": 1.0,
        "betas": (0.9, 0.999),
        "beta3": None,
        "eps": 1e-8,
        "weight_decay": 0,
        "d": 1e-6,
        "d0": 1e-6,
        "d_max": 1e-6,
        "d_numerator": 0.0,
        "d_coef": 1.0,
        "k": 0,
        "growth_rate": math.inf,
        "use_bias_correction": False,
        "decouple": True,
        "safeguard_warmup": False,
        "fsdp_in_use": False,
        "slice_p": 1,
    }


def test_every_group_holds_the_one_estimate_of_d() -> None:
    a, b = np.linspace(-1, 1, 6).reshape(2, 3), np.array([0.5, -0.2])
    opt = Prodigy([{"params": [a]}, {"params": [b], "weight_decay": 0.1}])
    assert "d_hat" not in opt.param_groups[0] and "d_denom" not in opt.param_groups[0]
    for _ in range(20):
        opt.step([gradient(a, 0), gradient(b, 1)])
    g0, g1 = opt.param_groups
    for key in GROUP_STATE:
        assert g0[key] == g1[key], key
    assert g0["k"] == 20 and isinstance(g0["k"], int)
    assert g0["d"] > 1e-6 and g0["d_max"] >= g0["d"]
    assert opt.state_dict()["state"][0]["step"] == 20


def test_zero_gradients_make_no_progress_and_change_only_the_buffers() -> None:
    # The reference returns before its second pass: the state exists, nothing moves, k stays.
    w = np.array([1.0, -2.0])
    opt = Prodigy([w], weight_decay=0.5)
    opt.step([np.zeros(2)])
    np.testing.assert_array_equal(w, [1.0, -2.0])
    group = opt.param_groups[0]
    assert group["k"] == 0 and group["d"] == 1e-6 and "d_hat" not in group
    state = opt.state_dict()["state"][0]
    assert state["step"] == 0 and sorted(state) == ["exp_avg", "exp_avg_sq", "p0", "s", "step"]
    opt.step([np.ones(2)])
    assert opt.param_groups[0]["k"] == 1 and "d_hat" in opt.param_groups[0]


def test_a_group_at_lr_zero_leaves_the_estimate_alone() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0])
    opt = Prodigy([{"params": [a]}, {"params": [b], "lr": 0.0}])
    ref_a = a.copy()
    alone = Prodigy([ref_a])
    for _ in range(10):
        opt.step([gradient(a, 0), gradient(b, 1)])
        alone.step([gradient(ref_a, 0)])
    np.testing.assert_array_equal(a, ref_a)
    assert opt.param_groups[0]["d"] == alone.param_groups[0]["d"]
    # b's first moment never moves (its group's lr is 0), so neither does b.
    np.testing.assert_array_equal(b, [3.0])


def test_state_of_a_zero_parameter_and_of_sliced_statistics() -> None:
    z, w = np.zeros((2, 3), dtype=np.float32), np.arange(1.0, 6.0, dtype=np.float32)
    opt = Prodigy([z, w], slice_p=2, betas=(0.0, 0.99))
    opt.step([np.ones((2, 3), np.float32), np.ones(5, np.float32)])
    state = opt.state_dict()["state"]
    assert sorted(state[0]) == ["exp_avg_sq", "p0", "s", "step"]  # beta1 == 0: no exp_avg
    np.testing.assert_array_equal(state[0]["p0"], np.zeros(1, np.float32))  # the reference's 0-d zero
    assert state[0]["s"].shape == (3,) and state[0]["s"].dtype == np.float32
    np.testing.assert_array_equal(state[1]["p0"], [1.0, 3.0, 5.0])
    assert state[0]["exp_avg_sq"].shape == (2, 3)


def test_the_callers_gradient_is_not_changed_by_coupled_decay() -> None:
    w = np.array([1.0, -1.0])
    g = np.array([0.5, 0.5])
    opt = Prodigy([w], weight_decay=0.1, decouple=False)
    for _ in range(3):
        opt.step([g])
    np.testing.assert_array_equal(g, [0.5, 0.5])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_dict_round_trip_continues_bit_for_bit(dtype) -> None:
    rng = np.random.default_rng(4)

    def make():
        a = rng.normal(size=(3, 4)).astype(dtype)
        b = rng.normal(size=5).astype(dtype)
        return a, b

    a, b = make()
    c, e = a.copy(), b.copy()
    kwargs = {"weight_decay": 0.05, "slice_p": 2, "use_bias_correction": True}
    opt_a = Prodigy([{"params": [a]}, {"params": [b], "lr": 0.0}], **kwargs)
    for _ in range(5):
        opt_a.step([gradient(a, 0), gradient(b, 1)])
    opt_b = Prodigy([{"params": [c]}, {"params": [e], "lr": 0.0}], **kwargs)
    c[...], e[...] = a, b
    opt_b.load_state_dict(opt_a.state_dict())
    assert opt_b.param_groups[0]["d"] == opt_a.param_groups[0]["d"]
    for step in range(6):
        if step == 3:
            for opt in (opt_a, opt_b):
                opt.param_groups[1]["lr"] = 1.0
        opt_a.step([gradient(a, 0), gradient(b, 1)])
        opt_b.step([gradient(c, 0), gradient(e, 1)])
    assert _bits([a, b]) == _bits([c, e])
    assert _state_bits(opt_a) == _state_bits(opt_b)


def test_unit_multipliers_change_no_bit_and_zero_ones_freeze_an_element() -> None:
    a, b = np.linspace(-1, 1, 5), np.linspace(-1, 1, 5)
    opt_a, opt_b = Prodigy([a], weight_decay=0.1), Prodigy([b], weight_decay=0.1)
    opt_b.set_lr_scale([np.ones(5)])
    for _ in range(10):
        opt_a.step([gradient(a, 0)])
        opt_b.step([gradient(b, 0)])
    assert _bits([a]) == _bits([b])
    c = np.linspace(-1, 1, 5)
    opt_c = Prodigy([c])
    opt_c.set_lr_scale([np.array([1.0, 1.0, 0.0, 1.0, 1.0])])
    for _ in range(10):
        opt_c.step([gradient(c, 0)])
    assert c[2] == 0.0 and c[0] != -1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"d0": 0.0}, "Invalid d0 value: 0.0"),
        ({"lr": 0.0}, "Invalid learning rate: 0.0"),
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"eps": 0.0}, "Invalid epsilon value: 0.0"),
        ({"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        ({"betas": (0.9, math.nan)}, "Invalid beta parameter at index 1: nan"),
        ({"slice_p": 0}, "Invalid slice_p value: 0"),
        ({"fsdp_in_use": True}, "fsdp_in_use=True is not supported"),
    ],
)
def test_out_of_range_hyperparameters_are_refused(kwargs, message) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        Prodigy([np.zeros(1)], **kwargs)


def test_unknown_and_mistyped_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        Prodigy([np.zeros(1)], momentum=0.9)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="slice_p"):
        Prodigy([np.zeros(1)], slice_p=1.5)  # type: ignore[arg-type]


def test_groups_of_both_dtypes_are_refused() -> None:
    with pytest.raises(
        ValueError, match="param group 1: Prodigy steps all param groups at once.*share one dtype"
    ):
        Prodigy([{"params": [np.zeros(2)]}, {"params": [np.zeros(2, np.float32)]}])


def test_different_nonzero_rates_are_refused_and_change_nothing() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0])
    opt = Prodigy([{"params": [a]}, {"params": [b]}])
    opt.step([gradient(a, 0), gradient(b, 1)])
    before, state = _bits([a, b]), _state_bits(opt)
    opt.param_groups[1]["lr"] = 0.5
    with pytest.raises(ValueError, match=r"param_groups\[1\]\['lr'\] is 0.5.*only supported for values of 0"):
        opt.step([gradient(a, 0), gradient(b, 1)])
    assert _bits([a, b]) == before
    opt.param_groups[1]["lr"] = 1.0
    assert _state_bits(opt) == state


def test_another_optimizers_state_is_refused_and_changes_nothing() -> None:
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    opt = Prodigy([w])
    opt.step([gradient(w, 0)])
    before = _state_bits(opt)
    adam = Adam([np.zeros((2, 2))])
    adam.step([np.ones((2, 2))])
    foreign = opt.state_dict()
    foreign["state"] = adam.state_dict()["state"]
    with pytest.raises(TypeError, match=r"state\[0\]\['step'\]: expected an integer, got float"):
        opt.load_state_dict(foreign)  # Adam counts its steps in a float, Prodigy in an int
    foreign["state"][0]["step"] = 1
    with pytest.raises(ValueError, match=r"state\[0\] lacks 's'"):
        opt.load_state_dict(foreign)
    wrong = opt.state_dict()
    wrong["state"][0]["s"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"state\[0\]: 's' has 3 elements"):
        opt.load_state_dict(wrong)
    wrong = opt.state_dict()
    wrong["state"][0]["s"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"state\[0\]\['s'\]: expected shape \(4,\), got \(2, 2\)"):
        opt.load_state_dict(wrong)
    wrong = opt.state_dict()
    wrong["param_groups"][0]["slice_p"] = 2  # the buffers were sliced with 1
    with pytest.raises(ValueError, match="slice_p=2 has 2"):
        opt.load_state_dict(wrong)
    assert _state_bits(opt) == before


def test_a_loaded_state_with_its_own_slice_p_is_checked_against_it() -> None:
    a, b = np.arange(1.0, 7.0), np.arange(1.0, 7.0)
    opt_a = Prodigy([a], slice_p=3)
    opt_a.step([gradient(a, 0)])
    opt_b = Prodigy([b])  # slice_p=1 until the state dict brings 3
    opt_b.load_state_dict(opt_a.state_dict())
    b[...] = a
    assert opt_b.param_groups[0]["slice_p"] == 3
    opt_a.step([gradient(a, 0)])
    opt_b.step([gradient(b, 0)])
    assert _bits([a]) == _bits([b])


def test_changing_slice_p_after_the_first_step_is_refused() -> None:
    w = np.arange(1.0, 5.0)
    opt = Prodigy([w])
    opt.step([gradient(w, 0)])
    before = w.copy()
    opt.param_groups[0]["slice_p"] = 2
    with pytest.raises(ValueError, match="slice_p cannot change after the first step"):
        opt.step([gradient(w, 0)])
    np.testing.assert_array_equal(w, before)
