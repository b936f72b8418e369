"""Adafactor beyond its reference trajectories (tests/fixtures/optim/Adafactor.npz): defaults, the state of
each shape, resume, per-element rates and refusals that change nothing."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.optim import Adafactor, Adam

from optim_field import gradient


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


def test_defaults_are_torchs() -> None:
    assert Adafactor([np.zeros(1)]).defaults == {
        "lr": 1e-2,
        "beta2_decay": -0.8,
        "eps": (None, 1e-3),
        "d": 1.0,
        "weight_decay": 0.0,
        "foreach": None,
        "maximize": False,
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_state_of_each_shape(dtype) -> None:
    shapes = [(4, 3), (2, 3, 5), (6,), ()]
    params = [np.ones(s, dtype) for s in shapes]
    opt = Adafactor(params)
    opt.step([np.full(s, 0.5, dtype) for s in shapes])
    state = opt.state_dict()["state"]
    assert {k: v.shape for k, v in state[0].items() if k != "step"} == {"row_var": (4, 1), "col_var": (1, 3)}
    assert {k: v.shape for k, v in state[1].items() if k != "step"} == {
        "row_var": (2, 3, 1),
        "col_var": (2, 1, 5),
    }
    assert {k: v.shape for k, v in state[2].items() if k != "step"} == {"variance": (6,)}
    assert {k: v.shape for k, v in state[3].items() if k != "step"} == {"variance": ()}
    assert all(s["step"] == 1.0 and isinstance(s["step"], float) for s in state.values())
    assert all(v.dtype == dtype for s in state.values() for k, v in s.items() if k != "step")


def test_a_stack_is_factored_matrix_by_matrix() -> None:
    # Two matrices in one 3-D array step as two 2-D arrays would, but for the RMS of the parameter and
    # of the update, which torch takes over the whole array: with equal RMS the numbers are the same.
    rng = np.random.default_rng(0)
    m = rng.normal(size=(3, 4))
    stack = np.stack([m, m])
    single = m.copy()
    opt_stack, opt_single = Adafactor([stack], lr=0.05), Adafactor([single], lr=0.05)
    for _ in range(5):
        g = gradient(single, 0)
        opt_stack.step([np.stack([g, g])])
        opt_single.step([g])
    np.testing.assert_allclose(stack[0], single, rtol=1e-13)
    np.testing.assert_allclose(stack[1], single, rtol=1e-13)


def test_a_0d_parameter_steps_as_a_1_element_vector() -> None:
    a, b = np.array(0.7), np.array([0.7])
    opt_a, opt_b = Adafactor([a], lr=0.1), Adafactor([b], lr=0.1)
    for _ in range(5):
        opt_a.step([np.array(2 * a)])
        opt_b.step([2 * b])
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eps1_none_is_the_dtypes_machine_epsilon(dtype) -> None:
    a = np.linspace(-1, 1, 12, dtype=dtype).reshape(3, 4)
    b = a.copy()
    opt_a = Adafactor([a])
    opt_b = Adafactor([b], eps=(float(np.finfo(dtype).eps), 1e-3))
    for _ in range(5):
        opt_a.step([gradient(a, 0)])
        opt_b.step([gradient(b, 0)])
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_dict_round_trip_continues_bit_for_bit(dtype) -> None:
    rng = np.random.default_rng(1)
    a = [rng.normal(size=s).astype(dtype) for s in [(3, 4), (2, 2, 3), (5,)]]
    b = [x.copy() for x in a]
    kwargs = {"lr": 0.05, "weight_decay": 0.1}
    opt_a = Adafactor([{"params": a[:2]}, {"params": a[2:], "lr": 0.02}], **kwargs)
    for _ in range(4):
        opt_a.step([gradient(p, k) for k, p in enumerate(a)])
    opt_b = Adafactor([{"params": b[:2]}, {"params": b[2:], "lr": 0.02}], **kwargs)
    for x, y in zip(b, a):
        x[...] = y
    opt_b.load_state_dict(opt_a.state_dict())
    for step in range(5):
        if step == 2:
            for opt in (opt_a, opt_b):
                opt.param_groups[0]["lr"] = 0.01
        opt_a.step([gradient(p, k) for k, p in enumerate(a)])
        opt_b.step([gradient(p, k) for k, p in enumerate(b)])
    assert _bits(a) == _bits(b)
    assert _state_bits(opt_a) == _state_bits(opt_b)


def test_unit_multipliers_change_no_bit_and_zero_ones_freeze_an_element() -> None:
    a, b = np.linspace(-1, 1, 6).reshape(2, 3), np.linspace(-1, 1, 6).reshape(2, 3)
    opt_a, opt_b = Adafactor([a], weight_decay=0.1), Adafactor([b], weight_decay=0.1)
    opt_b.set_lr_scale([np.ones((2, 3))])
    for _ in range(5):
        opt_a.step([gradient(a, 0)])
        opt_b.step([gradient(b, 0)])
    assert _bits([a]) == _bits([b])
    c = np.linspace(-1, 1, 6).reshape(2, 3)
    opt_c = Adafactor([c], weight_decay=0.1)
    opt_c.set_lr_scale([np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])])
    for _ in range(5):
        opt_c.step([gradient(c, 0)])
    assert c[0, 1] == np.linspace(-1, 1, 6)[1] and c[0, 0] != -1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -0.1}, "Learning rate should be >= 0 but is: -0.1"),
        ({"beta2_decay": 0.5}, "beta2_decay should be <= 0 but is: 0.5"),
        ({"eps": (-1e-3, 1e-3)}, "epsilon1 should be >= 0 but is: -0.001"),
        ({"eps": (None, -1.0)}, "epsilon2 should be >= 0 but is: -1.0"),
        ({"d": 0.5}, "Clipping threshold d should be >= 1 but is: 0.5"),
        ({"weight_decay": -0.1}, "weight_decay should be >= 0 but is: -0.1"),
        ({"lr": np.array([0.1, 0.2])}, "Tensor lr must be 1-element"),
    ],
)
def test_out_of_range_hyperparameters_are_refused(kwargs, message) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        Adafactor([np.zeros(1)], **kwargs)


def test_a_one_element_array_lr_is_its_value() -> None:
    assert Adafactor([np.zeros(1)], lr=np.array([0.25])).param_groups[0]["lr"] == 0.25


def test_unknown_and_mistyped_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        Adafactor([np.zeros(1)], betas=(0.9, 0.99))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="eps"):
        Adafactor([np.zeros(1)], eps=1e-3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"params\[1\]: Adafactor does not support complex parameters"):
        Adafactor([np.zeros(2), np.zeros(2, complex)])


def test_an_infinite_parameter_makes_every_step_infinite_as_in_torch() -> None:
    # alpha = max(eps2, RMS(p)) * rho is infinite: torch.optim.Adafactor gives [nan, -inf] too.
    w = np.array([np.inf, 1.0])
    Adafactor([w], lr=0.1).step([np.array([1.0, 1.0])])
    assert np.isnan(w[0]) and w[1] == -np.inf


def test_a_refused_step_changes_nothing() -> None:
    w = np.ones((2, 3))
    opt = Adafactor([w], lr=0.1)
    opt.step([np.ones((2, 3))])
    before, state = w.copy(), _state_bits(opt)
    opt.param_groups[0]["d"] = 0.5
    with pytest.raises(ValueError, match="Clipping threshold d should be >= 1"):
        opt.step([np.ones((2, 3))])
    np.testing.assert_array_equal(w, before)
    opt.param_groups[0]["d"] = 1.0
    assert _state_bits(opt) == state


def test_another_optimizers_or_shapes_state_is_refused_and_changes_nothing() -> None:
    w, v = np.ones((3, 4)), np.ones(4)
    opt = Adafactor([w, v])
    opt.step([gradient(w, 0), gradient(v, 1)])
    before = _state_bits(opt)
    adam = Adam([np.ones((3, 4)), np.ones(4)])
    adam.step([np.ones((3, 4)), np.ones(4)])
    foreign = opt.state_dict()
    foreign["state"] = adam.state_dict()["state"]
    with pytest.raises(ValueError, match=r"state\[0\] has 'exp_avg', which Adafactor does not keep"):
        opt.load_state_dict(foreign)
    # The state of a 4 x 3 matrix for a 3 x 4 one: the factors' shapes are named.
    transposed = Adafactor([np.ones((4, 3)), np.ones(4)])
    transposed.step([np.ones((4, 3)), np.ones(4)])
    wrong = opt.state_dict()
    wrong["state"] = transposed.state_dict()["state"]
    with pytest.raises(ValueError, match=r"state\[0\]\['row_var'\]: expected shape \(3, 1\), got \(4, 1\)"):
        opt.load_state_dict(wrong)
    # A vector's state for a matrix, and a matrix's for a vector.
    wrong = opt.state_dict()
    wrong["state"] = {0: {"step": 1.0, "variance": np.ones((3, 4))}, 1: wrong["state"][1]}
    with pytest.raises(
        ValueError, match=r"state\[0\]: a parameter with 2 dimensions keeps 'row_var' and 'col_var'"
    ):
        opt.load_state_dict(wrong)
    wrong = opt.state_dict()
    wrong["state"][1] = {"step": 1.0, "row_var": np.ones(1), "col_var": np.ones(4)}
    with pytest.raises(ValueError, match=r"state\[1\]: a parameter with 1 dimension\(s\) keeps 'variance'"):
        opt.load_state_dict(wrong)
    assert _state_bits(opt) == before
