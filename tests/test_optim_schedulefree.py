"""Schedule-Free SGD and AdamW beyond their reference trajectories (tests/fixtures/optim/ScheduleFree*.npz):
defaults and group state, train() / eval(), resume, per-element rates, and refusals that change nothing."""

from __future__ import annotations

import copy
import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest

from gradkit.optim import SGD, Adam, ScheduleFreeAdamW, ScheduleFreeSGD

from optim_field import gradient, initial_params

CLASSES = [ScheduleFreeSGD, ScheduleFreeAdamW]
FIXTURES = Path(__file__).parent / "fixtures" / "optim"
# The reference's group dict keys (schedulefree 1.4.1), less its foreach flag, which gradkit has not.
GROUP_STATE = {"k": 0, "train_mode": False, "weight_sum": 0.0, "lr_max": -1.0, "scheduled_lr": 0.0}


def _params(dtype="float64"):
    rng = np.random.default_rng(3)
    return [rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=4).astype(dtype)]


def _grads(params):
    return [gradient(p, k) for k, p in enumerate(params)]


def _snapshot(opt, params):
    """Everything a refusal must leave as it was: the arrays, the state and the group dicts."""
    return [p.copy() for p in params], pickle.dumps(opt.state_dict())


def _assert_unchanged(opt, params, snapshot):
    arrays, state = snapshot
    for p, before in zip(params, arrays):
        np.testing.assert_array_equal(p, before)
        assert p.tobytes() == before.tobytes()
    now, then = opt.state_dict(), pickle.loads(state)
    assert now["param_groups"] == then["param_groups"]
    assert sorted(now["state"]) == sorted(then["state"])
    for k, entry in then["state"].items():
        for key, value in entry.items():
            assert np.asarray(now["state"][k][key]).tobytes() == np.asarray(value).tobytes()


# ---------------------------------------------------------------- defaults and group state


def test_defaults_and_group_dict_are_the_references():
    sgd = ScheduleFreeSGD([np.zeros(1)])
    assert sgd.defaults == {
        "lr": 1.0, "momentum": 0.9, "r": 0.0, "warmup_steps": 0, "weight_lr_power": 2,
        "weight_decay": 0, **GROUP_STATE,
    }  # fmt: skip
    adamw = ScheduleFreeAdamW([np.zeros(1)])
    assert adamw.defaults == {
        "lr": 0.0025, "betas": (0.9, 0.999), "eps": 1e-8, "r": 0.0, "warmup_steps": 0,
        "weight_lr_power": 2.0, "weight_decay": 0, **GROUP_STATE,
    }  # fmt: skip
    for opt in (sgd, adamw):
        assert {k: opt.param_groups[0][k] for k in GROUP_STATE} == GROUP_STATE


@pytest.mark.parametrize("cls", CLASSES)
def test_group_state_follows_every_step_with_k_an_int(cls):
    w = np.ones(3)
    opt = cls([w], lr=0.2, warmup_steps=4)
    opt.train()
    for step in range(1, 7):
        opt.step([np.full(3, 0.5)])
        group = opt.param_groups[0]
        assert group["k"] == step and type(group["k"]) is int
        assert group["scheduled_lr"] == pytest.approx(0.2 * min(1.0, step / 4))
        assert group["lr_max"] == pytest.approx(0.2 * min(1.0, step / 4))
        assert group["train_mode"] is True
    # lr_max^2 summed: warm-up weights 0.05^2, 0.1^2, 0.15^2, then 0.2^2 three times
    assert opt.param_groups[0]["weight_sum"] == pytest.approx(
        sum((0.05 * min(4, s)) ** 2 for s in range(1, 7))
    )


@pytest.mark.parametrize("cls", CLASSES)
def test_state_is_the_references(cls):
    w = np.array([0.5, -1.5], dtype=np.float32)
    opt = cls([w], lr=0.1)
    opt.train()
    opt.step([np.array([1.0, -1.0], dtype=np.float32)])
    state = opt.state_dict()["state"][0]
    expected = ["z"] if cls is ScheduleFreeSGD else ["z", "exp_avg_sq"]
    assert list(state) == expected and all(state[k].dtype == np.float32 for k in expected)
    # the first step puts all the weight on the new point: y = z = y0 - lr * d
    np.testing.assert_array_equal(state["z"], w)


# ---------------------------------------------------------------- train() / eval()


@pytest.mark.parametrize("cls", CLASSES)
def test_it_starts_in_eval_mode_and_refuses_to_step_there(cls):
    params = _params()
    opt = cls([{"params": params[:1]}, {"params": params[1:], "lr": 0.01}], lr=0.05)
    snapshot = _snapshot(opt, params)
    with pytest.raises(ValueError, match=r"not in train mode.*call opt\.train\(\) before step\(\)"):
        opt.step(_grads(params))
    _assert_unchanged(opt, params, snapshot)
    opt.train()
    for _ in range(3):
        opt.step(_grads(params))
    opt.eval()
    snapshot = _snapshot(opt, params)
    with pytest.raises(ValueError, match=r"call opt\.train\(\)"):
        opt.step(_grads(params))
    _assert_unchanged(opt, params, snapshot)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eval_moves_to_x_and_train_moves_back(cls, dtype):
    params = _params(dtype)
    opt = cls(params, lr=0.05)
    before = [p.copy() for p in params]
    opt.train()  # no state yet: nothing moves
    opt.eval()
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p, b)
    opt.train()
    for _ in range(10):
        opt.step(_grads(params))
    y = [p.copy() for p in params]
    z = [s["z"] for s in opt.state_dict()["state"].values()]
    beta = opt.param_groups[0]["momentum"] if cls is ScheduleFreeSGD else opt.param_groups[0]["betas"][0]
    opt.eval()
    assert opt.param_groups[0]["train_mode"] is False
    tol = {"float64": 1e-12, "float32": 1e-5}[dtype]
    for p, yi, zi in zip(params, y, z):  # x = (y - (1 - beta) z) / beta
        np.testing.assert_allclose(p, (yi - (1 - beta) * zi) / beta, rtol=tol, atol=tol)
    x = [p.copy() for p in params]
    opt.eval()  # already there
    for p, xi in zip(params, x):
        np.testing.assert_array_equal(p, xi)
    opt.train()
    assert opt.param_groups[0]["train_mode"] is True
    for p, yi in zip(params, y):
        np.testing.assert_allclose(p, yi, rtol=tol, atol=tol)


def test_a_group_added_later_starts_in_the_optimizers_mode():
    a, b = np.ones(2), np.ones(3)
    opt = ScheduleFreeSGD([a], lr=0.1)
    opt.train()
    opt.step([np.ones(2)])
    opt.add_param_group({"params": [b]})
    assert opt.param_groups[1]["train_mode"] is True and opt.param_groups[1]["k"] == 0
    opt.step([np.ones(2), np.ones(3)])
    assert [g["k"] for g in opt.param_groups] == [2, 1]
    opt.eval()
    opt.add_param_group({"params": [np.ones(1)]})
    assert opt.param_groups[2]["train_mode"] is False


# ---------------------------------------------------------------- resume


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_dict_resume_is_bit_identical(cls, dtype):
    params = _params(dtype)
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.02, "warmup_steps": 3}]
    opt = cls(groups, lr=0.05, weight_decay=0.01)
    opt.train()
    for _ in range(7):
        opt.step(_grads(params))
    opt.eval()  # the reference's advice: checkpoint in eval mode, the parameters at x
    saved_params = [p.copy() for p in params]
    sd = pickle.loads(pickle.dumps(opt.state_dict()))
    opt.train()
    for _ in range(5):
        opt.step(_grads(params))
    opt.eval()

    resumed_params = [p.copy() for p in saved_params]
    resumed = cls([{"params": resumed_params[:1]}, {"params": resumed_params[1:]}], lr=123.0)
    resumed.load_state_dict(sd)
    assert resumed.param_groups[1]["lr"] == 0.02 and resumed.param_groups[0]["k"] == 7
    resumed.train()
    for _ in range(5):
        resumed.step(_grads(resumed_params))
    resumed.eval()
    for p, r in zip(params, resumed_params):
        np.testing.assert_array_equal(p, r)
    assert resumed.state_dict()["param_groups"] == opt.state_dict()["param_groups"]


@pytest.mark.parametrize("name", ["ScheduleFreeSGD", "ScheduleFreeAdamW"])
def test_resuming_mid_run_from_an_eval_mode_checkpoint_follows_the_reference(name):
    with np.load(FIXTURES / f"{name}.npz") as data:
        runs = json.loads(str(data["meta"]))
        run = next(r for r in runs if "group_kwargs" in r and r["dtype"] == "float64")
        expected = [data[f"{run['key']}_traj{k}"] for k in range(sum(len(g) for g in run["groups"]))]
    cls = {"ScheduleFreeSGD": ScheduleFreeSGD, "ScheduleFreeAdamW": ScheduleFreeAdamW}[name]
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in run["kwargs"].items()}

    def build(init):
        return cls([{"params": ps, **gk} for ps, gk in zip(init, run["group_kwargs"])], **kwargs)

    init = initial_params(run["groups"], "float64")
    flat = [p for ps in init for p in ps]
    opt = build(init)
    opt.train()
    for _ in range(50):
        opt.step([gradient(p, k) for k, p in enumerate(flat)])
    opt.eval()
    checkpoint = [p.copy() for p in flat], pickle.dumps(opt.state_dict())

    fresh = initial_params(run["groups"], "float64")
    fresh_flat = [p for ps in fresh for p in ps]
    for p, saved in zip(fresh_flat, checkpoint[0]):
        p[...] = saved
    resumed = build(fresh)
    resumed.load_state_dict(pickle.loads(checkpoint[1]))
    resumed.train()
    for step in range(50, 120):
        resumed.step([gradient(p, k) for k, p in enumerate(fresh_flat)])
        for k, p in enumerate(fresh_flat):
            np.testing.assert_allclose(p, expected[k][step], rtol=1e-7, atol=1e-10)


# ---------------------------------------------------------------- numbers the fixtures do not isolate


@pytest.mark.parametrize("cls", CLASSES)
def test_the_callers_gradient_is_never_written(cls):
    params = _params()
    opt = cls(params, lr=0.05, weight_decay=0.5)
    opt.train()
    grads = _grads(params)
    kept = [g.copy() for g in grads]
    for _ in range(3):
        opt.step(grads)
    for g, k in zip(grads, kept):
        np.testing.assert_array_equal(g, k)


@pytest.mark.parametrize("cls", CLASSES)
def test_lr_zero_at_first_moves_nothing_and_counts_steps(cls):
    w = np.array([1.0, -2.0])
    opt = cls([w], lr=0.0)
    opt.train()
    for _ in range(3):
        opt.step([np.ones(2)])
    np.testing.assert_array_equal(w, [1.0, -2.0])
    group = opt.param_groups[0]
    assert (group["k"], group["weight_sum"], group["lr_max"]) == (3, 0.0, 0.0)


@pytest.mark.parametrize("cls", CLASSES)
def test_an_infinite_parameter_becomes_nan_as_in_the_reference(cls):
    # z starts as a copy of y, and torch.lerp(inf, inf, 1) is NaN: the reference gives [nan, 0.9] here.
    w = np.array([np.inf, 1.0])
    opt = cls([w], lr=0.1)
    opt.train()
    opt.step([np.array([1.0, 1.0])])
    assert np.isnan(w[0]) and w[1] == pytest.approx(0.9)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_per_element_rates_of_one_change_nothing_and_zero_keeps_z(cls, dtype):
    a, b = _params(dtype), _params(dtype)
    plain, scaled = cls(a, lr=0.05, weight_decay=0.1), cls(b, lr=0.05, weight_decay=0.1)
    scaled.set_lr_scale([np.ones_like(p) for p in b])
    for opt, params in ((plain, a), (scaled, b)):
        opt.train()
        for _ in range(5):
            opt.step(_grads(params))
        opt.eval()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c = _params(dtype)
    frozen = cls(c, lr=0.05)
    z0 = c[1].copy()
    frozen.set_lr_scale([None, np.zeros_like(c[1])])
    frozen.train()
    for _ in range(5):
        frozen.step(_grads(c))
    np.testing.assert_array_equal(frozen.state_dict()["state"][1]["z"], z0)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "message"),
    [
        (ScheduleFreeSGD, {"lr": -0.5}, ValueError, "Invalid learning rate: -0.5"),
        (ScheduleFreeSGD, {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1"),
        (ScheduleFreeSGD, {"momentum": 1.0}, ValueError, "Momentum must be between 0 and 1 exclusive: 1.0"),
        (ScheduleFreeSGD, {"momentum": 0.0}, ValueError, "Momentum must be between 0 and 1 exclusive: 0.0"),
        (ScheduleFreeSGD, {"warmup_steps": -1}, ValueError, "Invalid warmup_steps value: -1"),
        (ScheduleFreeSGD, {"weight_lr_power": -1.0}, ValueError, "Invalid weight_lr_power value: -1.0"),
        (ScheduleFreeSGD, {"r": math.nan}, ValueError, "Invalid r value: nan"),
        (
            ScheduleFreeSGD,
            {"warmup_steps": 2.5},
            TypeError,
            "param group 'warmup_steps': cannot use 2.5 here",
        ),
        (ScheduleFreeAdamW, {"lr": math.nan}, ValueError, "Invalid learning rate: nan"),
        (ScheduleFreeAdamW, {"eps": -1e-8}, ValueError, "Invalid epsilon value: -1e-08"),
        (ScheduleFreeAdamW, {"betas": (0.9, 1.0)}, ValueError, r"Invalid beta parameter at index 1: 1\.0$"),
        (
            ScheduleFreeAdamW,
            {"betas": (0.0, 0.999)},
            ValueError,
            r"index 0: 0\.0 \(Schedule-Free needs beta1 > 0",
        ),
        (ScheduleFreeAdamW, {"weight_decay": -1.0}, ValueError, "Invalid weight_decay value: -1.0"),
    ],
)
def test_out_of_range_hyperparameters_are_refused(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls([np.zeros(1)], **kwargs)


@pytest.mark.parametrize("cls", CLASSES)
def test_unknown_arguments_are_refused(cls):
    with pytest.raises(TypeError):
        cls([np.zeros(1)], foreach=False)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        cls([np.zeros(1)], amsgrad=True)  # type: ignore[call-arg]


@pytest.mark.parametrize("cls", CLASSES)
def test_refused_steps_mode_switches_and_groups_change_nothing(cls):
    params = _params()
    opt = cls(params, lr=0.05)
    opt.train()
    for _ in range(3):
        opt.step(_grads(params))
    snapshot = _snapshot(opt, params)
    key, bad = ("momentum", 1.5) if cls is ScheduleFreeSGD else ("betas", (0.9, 2.0))
    good = opt.param_groups[0][key]
    opt.param_groups[0][key] = bad
    with pytest.raises(ValueError):
        opt.step(_grads(params))
    with pytest.raises(ValueError):
        opt.eval()
    opt.param_groups[0][key] = good
    _assert_unchanged(opt, params, snapshot)
    with pytest.raises(ValueError, match=r"grads\[1\]"):
        opt.step([_grads(params)[0], np.ones(7)])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        opt.add_param_group({"params": [np.ones(2)], "lr": -1.0})
    assert len(opt.param_groups) == 1
    _assert_unchanged(opt, params, snapshot)


def _trained(cls, **kwargs):
    params = _params()
    opt = cls(params, lr=0.05, **kwargs)
    opt.train()
    for _ in range(3):
        opt.step(_grads(params))
    return opt, params


@pytest.mark.parametrize("cls", CLASSES)
def test_state_dicts_of_other_optimizers_are_refused_and_change_nothing(cls):
    opt, params = _trained(cls)
    snapshot = _snapshot(opt, params)
    other_sf = ScheduleFreeAdamW if cls is ScheduleFreeSGD else ScheduleFreeSGD
    adam = Adam(_params(), lr=0.1)
    adam.step(_grads(_params()))
    for other in (_trained(other_sf)[0], adam, SGD(_params(), lr=0.1, momentum=0.9)):
        with pytest.raises(ValueError, match=f"not {cls.__name__}'s"):
            opt.load_state_dict(other.state_dict())
    good = opt.state_dict()
    extra = copy.deepcopy(good)
    extra["state"][0]["exp_avg"] = np.ones((3, 2))
    with pytest.raises(ValueError, match=f"'exp_avg', which {cls.__name__} does not keep"):
        opt.load_state_dict(extra)
    missing = copy.deepcopy(good)
    del missing["state"][1]["z"]
    with pytest.raises(ValueError, match=r"state\[1\] lacks 'z'"):
        opt.load_state_dict(missing)
    shape = copy.deepcopy(good)
    shape["state"][1]["z"] = np.ones(5)
    with pytest.raises(ValueError, match=r"state\[1\]\['z'\]: expected shape \(4,\)"):
        opt.load_state_dict(shape)
    float_k = copy.deepcopy(good)
    float_k["param_groups"][0]["k"] = 2.5
    with pytest.raises(TypeError, match="param group 'k'"):
        opt.load_state_dict(float_k)
    negative_k = copy.deepcopy(good)
    negative_k["param_groups"][0]["k"] = -1
    with pytest.raises(ValueError, match="Invalid k"):
        opt.load_state_dict(negative_k)
    _assert_unchanged(opt, params, snapshot)


def test_repr_lists_the_group_state():
    text = repr(ScheduleFreeSGD([np.zeros(1)], lr=0.5))
    assert text.startswith("ScheduleFreeSGD (\nParameter Group 0\n")
    for line in ("    k: 0", "    lr_max: -1.0", "    train_mode: False", "    weight_sum: 0.0"):
        assert line in text.splitlines()
