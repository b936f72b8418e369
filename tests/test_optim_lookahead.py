"""Lookahead beyond its reference trajectories (tests/fixtures/optim/Lookahead.npz): when it synchronises,
train() / eval() (alone and around Schedule-Free), resume, the optimizers it refuses, and refusals that
change nothing."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from gradkit.optim import (
    LBFGS,
    SGD,
    Adam,
    Lookahead,
    ScheduleFreeAdamW,
    ScheduleFreeSGD,
)
from gradkit.schedules import RandomLR, StepLR

from optim_field import gradient


def _params(dtype="float64"):
    rng = np.random.default_rng(5)
    return [rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=4).astype(dtype)]


def _grads(params):
    return [gradient(p, k) for k, p in enumerate(params)]


def _snapshot(opt, params):
    return [p.copy() for p in params], pickle.dumps(opt.state_dict())


def _assert_unchanged(opt, params, snapshot):
    arrays, state = snapshot
    for p, before in zip(params, arrays):
        assert p.tobytes() == before.tobytes()
    assert pickle.dumps(opt.state_dict()) == state


# ---------------------------------------------------------------- construction


def test_defaults_and_the_inner_optimizers_groups():
    inner = Adam(_params(), lr=0.01)
    opt = Lookahead(inner)
    assert (opt.k, opt.alpha) == (5, 0.5)
    assert opt.defaults == {"k": 5, "alpha": 0.5, **inner.defaults}
    assert opt.param_groups is inner.param_groups  # the same list, as torch-optimizer
    opt.param_groups[0]["lr"] = 0.5
    assert inner.param_groups[0]["lr"] == 0.5


def test_lbfgs_is_refused_with_the_reason():
    with pytest.raises(TypeError, match=r"cannot wrap LBFGS.*closure.*line search"):
        Lookahead(LBFGS([np.zeros(2)]))


@pytest.mark.parametrize("optimizer", [[np.zeros(2)], "Adam", None])
def test_what_is_not_a_gradkit_optimizer_is_refused(optimizer):
    with pytest.raises(TypeError, match="optimizer: expected a gradkit.optim optimizer"):
        Lookahead(optimizer)  # type: ignore[arg-type]


def test_a_lookahead_of_a_lookahead_is_refused():
    with pytest.raises(TypeError, match="cannot wrap another Lookahead"):
        Lookahead(Lookahead(SGD([np.zeros(2)], lr=0.1)))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"k": 0}, ValueError, "^Invalid number of lookahead steps: 0$"),
        ({"k": -2}, ValueError, "^Invalid number of lookahead steps: -2$"),
        ({"alpha": -0.5}, ValueError, r"^Invalid linear interpolation factor: -0\.5$"),
        ({"alpha": 1.5}, ValueError, r"^Invalid linear interpolation factor: 1\.5$"),
        ({"alpha": float("nan")}, ValueError, "^Invalid linear interpolation factor: nan$"),
        ({"k": 2.0}, TypeError, "^k: expected an int"),
        ({"k": True}, TypeError, "^k: expected an int"),
        ({"alpha": "0.5"}, TypeError, "^alpha: expected a float"),
    ],
)
def test_out_of_range_or_mistyped_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        Lookahead(SGD([np.zeros(1)], lr=0.1), **kwargs)


def test_k_and_alpha_are_checked_when_set():
    opt = Lookahead(SGD([np.zeros(1)], lr=0.1), k=3, alpha=0.25)
    with pytest.raises(ValueError, match="lookahead steps"):
        opt.k = 0
    with pytest.raises(ValueError, match="interpolation factor"):
        opt.alpha = 2.0
    assert (opt.k, opt.alpha, opt.defaults["k"], opt.defaults["alpha"]) == (3, 0.25, 3, 0.25)
    opt.k, opt.alpha = 4, 1.0
    assert (opt.defaults["k"], opt.defaults["alpha"]) == (4, 1.0)


# ---------------------------------------------------------------- synchronisation


def test_it_synchronises_after_steps_1_k_plus_1_2k_plus_1_as_torch_optimizer():
    # alpha = 0: each synchronisation puts the parameters back at the slow weights, which the first one
    # (after step 1) sets to the parameters then: w = -1, -2, -3, back to -1 after step 4 (-4), ...
    w = np.zeros(1)
    opt = Lookahead(SGD([w], lr=1.0), k=3, alpha=0.0)
    seen = []
    for _ in range(10):
        opt.step([np.ones(1)])
        seen.append(float(w[0]))
    assert seen == [-1.0, -2.0, -3.0, -1.0, -2.0, -3.0, -1.0, -2.0, -3.0, -1.0]
    assert opt.state_dict()["counter"] == 10 % 3


def test_every_parameter_is_synchronised_with_or_without_a_gradient():
    a, b = np.zeros(1), np.zeros(1)
    opt = Lookahead(SGD([a, b], lr=1.0), k=2, alpha=0.5)
    opt.step([np.ones(1), np.ones(1)])  # slow = (-1, -1)
    opt.step([np.ones(1), None])  # a = -2, b = -1
    b[...] = 5.0  # moved by hand: the next synchronisation pulls it back too
    opt.step([np.ones(1), None])  # a = -3 -> (-3 - 1) / 2; b = (5 - 1) / 2
    np.testing.assert_array_equal([a[0], b[0]], [-2.0, 2.0])


def test_alpha_one_is_the_inner_optimizer_alone():
    a, b = _params(), _params()
    plain, wrapped = Adam(a, lr=0.05), Lookahead(Adam(b, lr=0.05), k=2, alpha=1.0)
    for _ in range(7):
        plain.step(_grads(a))
        wrapped.step(_grads(b))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_closure_steps_return_the_loss():
    w = np.array([3.0])
    opt = Lookahead(SGD([w], lr=0.25), k=2)
    assert opt.step(lambda: (float(w[0] ** 2), [2 * w])) == 9.0
    assert w[0] == pytest.approx(1.5)


def test_schedules_and_per_element_rates_act_on_the_inner_optimizer():
    params = _params()
    inner = SGD(params, lr=0.1)
    opt = Lookahead(inner, k=2)
    scheduler = StepLR(opt, step_size=1, gamma=0.5)
    opt.step(_grads(params))
    scheduler.step()
    assert inner.param_groups[0]["lr"] == 0.05
    RandomLR(opt, low=0.5, high=1.5, seed=0)
    with pytest.raises(ValueError, match="lr_scale"):
        opt.set_lr_scale([np.ones(2)])
    opt.set_lr_scale(None)


def test_a_group_added_later_gets_slow_weights_at_the_next_synchronisation():
    a, b = np.zeros(1), np.zeros(1)
    opt = Lookahead(SGD([a], lr=1.0), k=2, alpha=0.5)
    opt.step([np.ones(1)])  # synchronises a
    opt.add_param_group({"params": [b]})
    assert len(opt.param_groups) == 2 and opt.param_groups is opt.optimizer.param_groups
    opt.step([np.ones(1), np.ones(1)])  # a = -2, b = -1
    assert sorted(opt.state_dict()["slow_state"]) == [0]
    opt.step([np.ones(1), np.ones(1)])  # a = -3 -> -2; b = -2, first synchronisation: stays
    np.testing.assert_array_equal([a[0], b[0]], [-2.0, -2.0])
    assert sorted(opt.state_dict()["slow_state"]) == [0, 1]


# ---------------------------------------------------------------- train() / eval()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eval_puts_the_slow_weights_in_the_parameters_and_train_takes_them_out(dtype):
    params = _params(dtype)
    opt = Lookahead(Adam(params, lr=0.05), k=3, alpha=0.5)
    before = [p.copy() for p in params]
    opt.eval()  # no slow weights yet
    opt.train()
    for p, b in zip(params, before):
        assert p.tobytes() == b.tobytes()
    for _ in range(5):
        opt.step(_grads(params))
    fast = [p.copy() for p in params]
    slow = [s["slow_param"] for s in opt.state_dict()["slow_state"].values()]
    opt.eval()
    for p, s in zip(params, slow):
        assert p.tobytes() == s.tobytes()
    assert list(opt.state_dict()["slow_state"][0]) == ["fast_param"]
    opt.eval()  # already there
    snapshot = _snapshot(opt, params)
    with pytest.raises(ValueError, match=r"Lookahead is in eval mode.*call opt\.train\(\)"):
        opt.step(_grads(params))
    _assert_unchanged(opt, params, snapshot)
    opt.train()
    for p, f in zip(params, fast):
        assert p.tobytes() == f.tobytes()
    opt.step(_grads(params))


@pytest.mark.parametrize("cls", [ScheduleFreeSGD, ScheduleFreeAdamW])
def test_around_schedule_free_eval_is_the_slow_weights_moved_to_x(cls):
    params = _params()
    inner = cls(params, lr=0.05)
    opt = Lookahead(inner, k=3, alpha=0.5)
    with pytest.raises(ValueError, match=r"call opt\.train\(\)"):  # Schedule-Free starts in eval mode
        opt.step(_grads(params))
    opt.train()  # forwarded: Schedule-Free's train()
    assert inner.param_groups[0]["train_mode"] is True
    for _ in range(8):
        opt.step(_grads(params))
    fast = [p.copy() for p in params]
    sd = opt.state_dict()
    slow = [s["slow_param"] for s in sd["slow_state"].values()]
    z = [s["z"] for s in sd["fast_state"].values()]
    beta = inner.param_groups[0]["momentum"] if cls is ScheduleFreeSGD else inner.param_groups[0]["betas"][0]
    opt.eval()  # the slow weights, then Schedule-Free's eval(): x = lerp(slow, z, 1 - 1/beta)
    assert inner.param_groups[0]["train_mode"] is False
    for p, s, zi in zip(params, slow, z):
        np.testing.assert_allclose(p, (s - (1 - beta) * zi) / beta, rtol=1e-12, atol=1e-14)
    opt.train()  # Schedule-Free's train(), then the fast weights back, bit for bit
    assert inner.param_groups[0]["train_mode"] is True
    for p, f in zip(params, fast):
        assert p.tobytes() == f.tobytes()
    for s, t in zip(slow, opt.state_dict()["slow_state"].values()):
        np.testing.assert_allclose(t["slow_param"], s, rtol=1e-14, atol=1e-15)


def test_a_refused_inner_eval_leaves_the_lookahead_in_train_mode():
    params = _params()
    inner = ScheduleFreeSGD(params, lr=0.05)
    opt = Lookahead(inner, k=2)
    opt.train()
    for _ in range(3):
        opt.step(_grads(params))
    snapshot = _snapshot(opt, params)
    inner.param_groups[0]["momentum"] = 2.0
    with pytest.raises(ValueError, match="Momentum must be between 0 and 1"):
        opt.eval()
    inner.param_groups[0]["momentum"] = 0.9
    _assert_unchanged(opt, params, snapshot)
    opt.step(_grads(params))


# ---------------------------------------------------------------- state_dict


@pytest.mark.parametrize("make_inner", [lambda p: Adam(p, lr=0.05, amsgrad=True),
                                        lambda p: ScheduleFreeAdamW(p, lr=0.05, warmup_steps=2)])  # fmt: skip
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("checkpoint_mode", ["train", "eval"])
def test_state_dict_resume_is_bit_identical(make_inner, dtype, checkpoint_mode):
    params = _params(dtype)
    opt = Lookahead(make_inner(params), k=3, alpha=0.4)
    opt.train()
    for _ in range(7):
        opt.step(_grads(params))
    getattr(opt, checkpoint_mode)()
    saved_params = [p.copy() for p in params]
    sd = pickle.loads(pickle.dumps(opt.state_dict()))
    opt.train()
    for _ in range(8):
        opt.step(_grads(params))
    opt.eval()

    resumed_params = [p.copy() for p in saved_params]
    resumed = Lookahead(make_inner(resumed_params), k=9, alpha=0.9)
    resumed.load_state_dict(sd)
    assert (resumed.k, resumed.alpha, resumed.state_dict()["counter"]) == (3, 0.4, 7 % 3)
    resumed.train()
    for _ in range(8):
        resumed.step(_grads(resumed_params))
    resumed.eval()
    for p, r in zip(params, resumed_params):
        assert p.tobytes() == r.tobytes()


def test_state_dict_holds_the_inner_state_the_slow_weights_and_the_counter():
    params = _params()
    opt = Lookahead(Adam(params, lr=0.05), k=4, alpha=0.5)
    for _ in range(6):
        opt.step(_grads(params))
    sd = opt.state_dict()
    assert sorted(sd) == ["alpha", "counter", "fast_state", "k", "param_groups", "slow_state", "train_mode"]
    assert (sd["counter"], sd["k"], sd["alpha"], sd["train_mode"]) == (2, 4, 0.5, True)
    assert sorted(sd["fast_state"][0]) == ["exp_avg", "exp_avg_sq", "step"]
    assert sd["param_groups"] == opt.optimizer.state_dict()["param_groups"]
    slow = sd["slow_state"][1]["slow_param"]
    slow[...] = 0.0  # a copy
    assert not np.array_equal(opt.state_dict()["slow_state"][1]["slow_param"], slow)


def test_state_dicts_that_do_not_fit_are_refused_and_change_nothing():
    params = _params()
    opt = Lookahead(Adam(params, lr=0.05), k=4, alpha=0.5)
    for _ in range(6):
        opt.step(_grads(params))
    good = opt.state_dict()
    snapshot = _snapshot(opt, params)

    adam = Adam(_params(), lr=0.05)
    adam.step(_grads(_params()))
    with pytest.raises(ValueError, match=r"expected a Lookahead state dict.*opt\.optimizer\.load_state_dict"):
        opt.load_state_dict(adam.state_dict())
    other = Lookahead(SGD(_params(), lr=0.1, momentum=0.9), k=4)
    for _ in range(3):
        other.step(_grads(_params()))
    with pytest.raises(ValueError, match="not Adam's"):  # the inner optimizer refuses it
        opt.load_state_dict(other.state_dict())

    def altered(**changes):
        sd = copy.deepcopy(good)
        sd.update(changes)
        return sd

    cases = [
        (altered(counter=4), ValueError, r"counter: expected an int in \[0, k\) = \[0, 4\), got 4"),
        (altered(counter=1.0), ValueError, "counter: expected an int"),
        (altered(k=0), ValueError, "Invalid number of lookahead steps: 0"),
        (altered(alpha=-1.0), ValueError, "Invalid linear interpolation factor: -1.0"),
        (altered(train_mode="yes"), TypeError, "train_mode: expected a bool"),
        (
            altered(slow_state={0: {"fast_param": np.ones((3, 2))}}),
            ValueError,
            r"expected \{'slow_param': array\}",
        ),
        (altered(slow_state={0: {"slow_param": np.ones(6)}}), ValueError, r"expected shape \(3, 2\)"),
        (altered(slow_state={7: {"slow_param": np.ones(4)}}), ValueError, "not the index of one of the 2"),
        (altered(slow_state={0: {"slow_param": [1.0] * 6}}), TypeError, "expected a numeric array, got list"),
        (altered(slow_state=[]), TypeError, "slow_state: expected a dict"),
    ]
    bad_inner = copy.deepcopy(good)
    bad_inner["fast_state"][0]["exp_avg"] = np.ones(5)
    cases.append((bad_inner, ValueError, r"state\[0\]\['exp_avg'\]: expected shape \(3, 2\)"))
    bad_group = copy.deepcopy(good)
    bad_group["param_groups"][0]["lr"] = -1.0
    cases.append((bad_group, ValueError, "Invalid learning rate"))
    for sd, error, message in cases:
        with pytest.raises(error, match=message):
            opt.load_state_dict(sd)
    _assert_unchanged(opt, params, snapshot)
    opt.load_state_dict(good)
    _assert_unchanged(opt, params, snapshot)


def test_repr_is_torch_optimizers():
    opt = Lookahead(SGD([np.zeros(1)], lr=0.1), k=3, alpha=0.25)
    assert repr(opt) == f"Lookahead (\nk: 3\nalpha: 0.25\n{opt.optimizer!r}\n)"
