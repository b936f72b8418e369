"""What users of gradkit.optim rely on beyond the numbers: in place, zero copy, refusals, resume."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import gradkit
from gradkit.optim import SGD, Adam, AdamW

from optim_field import gradient


def _params(dtype="float64"):
    rng = np.random.default_rng(1)
    return [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype)]


def _grads(params):
    return [gradient(p, k) for k, p in enumerate(params)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_step_updates_the_callers_arrays_in_place(dtype):
    params = _params(dtype)
    addresses = [p.__array_interface__["data"][0] for p in params]
    before = [p.copy() for p in params]
    opt = Adam(params, lr=0.1)
    opt.step(_grads(params))
    for p, b, addr in zip(params, before, addresses):
        assert p.__array_interface__["data"][0] == addr
        assert p.dtype == dtype
        assert not np.array_equal(p, b)


def test_a_view_into_a_larger_array_is_updated_where_it_lies():
    storage = np.zeros(10)
    w = storage[2:6]
    SGD([w], lr=1.0).step([np.ones(4)])
    np.testing.assert_array_equal(storage, [0, 0, -1, -1, -1, -1, 0, 0, 0, 0])


@pytest.mark.parametrize(
    ("param", "error", "words"),
    [
        (np.zeros(4, dtype=np.int64), TypeError, "params[0]: expected a writeable C-contiguous float64"),
        (np.zeros(4, dtype=np.float16), TypeError, "float16"),
        (np.zeros((4, 4))[:, 0], ValueError, "not C-contiguous"),
        (np.zeros((4, 4)).T, ValueError, "not C-contiguous"),
        ([0.0, 1.0], TypeError, "got list"),
        (np.zeros(4).astype(">f8"), TypeError, ">f8"),
    ],
)
def test_parameters_that_would_need_a_copy_are_refused(param, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        SGD([param], lr=0.1)


def test_read_only_parameter_is_refused():
    w = np.zeros(3)
    w.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\[0\].*read-only"):
        Adam([w])


def test_mixed_dtypes_in_one_group_are_refused_but_allowed_across_groups():
    with pytest.raises(TypeError, match=r"params\[1\].*float32.*share a dtype"):
        Adam([np.zeros(2), np.zeros(2, np.float32)])
    a, b = np.ones(2), np.ones(2, np.float32)
    opt = Adam([{"params": [a]}, {"params": [b]}], lr=0.5)
    opt.step([np.ones(2), np.ones(2, np.float32)])
    assert a[0] == pytest.approx(0.5) and b[0] == pytest.approx(0.5)


def _bad_grads(params):
    p0, p1 = params
    g = _grads(params)
    return [
        ([g[0]], ValueError, "grads: expected 2 arrays"),
        ([g[0].astype(np.float32), g[1]], TypeError, r"grads\[0\]: expected .*float64.*got float32"),
        ([g[0], g[1][:2]], ValueError, r"grads\[1\].*shape \(3,\).*got float64 array of shape \(2,\)"),
        ([g[0].reshape(3, 4), g[1]], ValueError, r"grads\[0\].*shape \(4, 3\)"),
        ([np.asfortranarray(g[0]), g[1]], ValueError, r"grads\[0\].*not C-contiguous"),
        ([g[0], list(g[1])], TypeError, r"grads\[1\].*got list"),
    ]


@pytest.mark.parametrize("case", range(6))
def test_bad_gradients_are_refused_and_change_nothing(case):
    params = _params()
    opt = Adam(params, lr=0.1)
    opt.step(_grads(params))
    before = [p.copy() for p in params]
    state_before = opt.state_dict()
    grads, error, words = _bad_grads(params)[case]
    with pytest.raises(error, match=words):
        opt.step(grads)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p, b)
    assert opt.state_dict()["state"][0]["step"] == state_before["state"][0]["step"]
    exp_avg = opt.state_dict()["state"][0]["exp_avg"]
    np.testing.assert_array_equal(exp_avg, state_before["state"][0]["exp_avg"])


def test_a_bad_gradient_in_a_later_group_changes_no_earlier_group():
    a, b = np.ones(3), np.ones(2)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    with pytest.raises(ValueError, match=r"grads\[1\]"):
        opt.step([np.ones(3), np.ones(5)])
    np.testing.assert_array_equal(a, np.ones(3))


def test_none_gradient_skips_the_parameter_like_torch():
    a, b = np.ones(2), np.ones(2)
    opt = Adam([a, b], lr=0.1)
    opt.step([np.ones(2), None])
    assert a[0] < 1 and b[0] == 1
    assert list(opt.state_dict()["state"]) == [0]


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (SGD, {"lr": -0.1}, "Invalid learning rate: -0.1"),
        (SGD, {"momentum": -0.5}, "Invalid momentum value: -0.5"),
        (SGD, {"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
        (SGD, {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        (SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov momentum requires"),
        (Adam, {"lr": float("nan")}, "Invalid learning rate: nan"),
        (Adam, {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        (Adam, {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        (Adam, {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        (AdamW, {"weight_decay": -0.01}, "Invalid weight_decay value: -0.01"),
    ],
)
def test_invalid_hyperparameters_raise_torchs_message(cls, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        cls([np.zeros(2)], **kwargs)


def test_invalid_hyperparameter_in_a_param_group_is_refused():
    opt = SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        opt.add_param_group({"params": [np.zeros(3)], "lr": -1.0})
    assert len(opt.param_groups) == 1
    with pytest.raises(ValueError, match=r"grads: expected 1 arrays"):
        opt.step([np.zeros(2), np.zeros(3)])


def test_params_must_be_a_list_and_not_empty_and_not_repeated():
    w = np.zeros(2)
    with pytest.raises(TypeError, match="iterable of arrays or dicts"):
        SGD(w)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([])
    with pytest.raises(ValueError, match="more than once"):
        SGD([w, w])
    opt = SGD([w])
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [w]})


def test_param_group_lr_change_takes_effect_on_next_step():
    w = np.zeros(1)
    opt = SGD([w], lr=1.0)
    opt.step([np.ones(1)])
    opt.param_groups[0]["lr"] = 0.25
    opt.step([np.ones(1)])
    assert w[0] == pytest.approx(-1.25)
    opt.param_groups[0]["momentum"] = 0.5  # any hyperparameter, not only lr
    opt.step([np.ones(1)])  # first momentum step: buffer = g
    opt.step([np.ones(1)])  # buffer = 0.5 + 1
    assert w[0] == pytest.approx(-1.25 - 0.25 - 0.25 * 1.5)


def test_add_param_group_uses_defaults_and_its_own_values():
    a, b = np.zeros(2), np.zeros(2)
    opt = SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 1.0})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 1.0
    opt.step([np.ones(2), np.ones(2)])
    assert a[0] == pytest.approx(-0.1) and b[0] == pytest.approx(-1.0)


def test_step_accepts_a_closure_returning_loss_and_grads():
    w = np.array([3.0])
    opt = SGD([w], lr=0.25)
    loss = opt.step(lambda: (float(w[0] ** 2), [2 * w]))
    assert loss == 9.0 and w[0] == pytest.approx(1.5)


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_dict_resume_is_bit_identical(cls, dtype):
    kwargs = {"lr": 0.05, "momentum": 0.9} if cls is SGD else {"lr": 0.05, "amsgrad": True}
    params = _params(dtype)
    opt = cls(params, **kwargs)
    for _ in range(7):
        opt.step(_grads(params))
    saved_params = [p.copy() for p in params]
    sd = pickle.loads(pickle.dumps(opt.state_dict()))
    for _ in range(5):
        opt.step(_grads(params))
    resumed_params = [p.copy() for p in saved_params]
    resumed = cls(resumed_params, lr=123.0)
    resumed.load_state_dict(sd)
    assert resumed.param_groups[0]["lr"] == 0.05
    for _ in range(5):
        resumed.step(_grads(resumed_params))
    for p, r in zip(params, resumed_params):
        np.testing.assert_array_equal(p, r)


def test_state_dict_is_a_snapshot():
    w = np.ones(3)
    opt = Adam([w], lr=0.1)
    opt.step([np.ones(3)])
    sd = opt.state_dict()
    kept = copy.deepcopy(sd)
    opt.step([np.ones(3)])
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], kept["state"][0]["exp_avg"])


def test_state_dict_that_does_not_fit_is_refused_and_changes_nothing():
    w = np.ones(3)
    opt = Adam([w], lr=0.1)
    opt.step([np.ones(3)])
    good = opt.state_dict()

    other_shape = Adam([np.ones(4)], lr=0.1)
    other_shape.step([np.ones(4)])
    with pytest.raises(ValueError, match=r"state\[0\]\['exp_avg'\]: expected shape \(3,\)"):
        opt.load_state_dict(other_shape.state_dict())

    sgd = SGD([np.ones(3)], lr=0.1, momentum=0.9)
    sgd.step([np.ones(3)])
    with pytest.raises(ValueError, match="not Adam's"):
        opt.load_state_dict(sgd.state_dict())
    mixed = copy.deepcopy(good)
    mixed["state"][0]["momentum_buffer"] = np.ones(3)
    with pytest.raises(ValueError, match="'momentum_buffer', which Adam does not keep"):
        opt.load_state_dict(mixed)
    missing = copy.deepcopy(good)
    del missing["state"][0]["exp_avg_sq"]
    with pytest.raises(ValueError, match="lacks 'exp_avg_sq'"):
        opt.load_state_dict(missing)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    bad_lr = copy.deepcopy(good)
    bad_lr["param_groups"][0]["lr"] = -1
    with pytest.raises(ValueError, match="Invalid learning rate"):
        opt.load_state_dict(bad_lr)

    after = opt.state_dict()
    assert after["param_groups"] == good["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["exp_avg"], good["state"][0]["exp_avg"])


def test_two_group_state_dict_refusal_leaves_first_group_unchanged():
    a, b = np.ones(2), np.ones(3)
    opt = Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    opt.step([np.ones(2), np.ones(3)])
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 0.01
    sd["state"][1]["exp_avg"] = np.ones(7)
    with pytest.raises(ValueError, match=r"state\[1\]"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.1


def test_adamw_defaults_and_repr():
    opt = AdamW([np.zeros(2)])
    assert opt.defaults["weight_decay"] == 1e-2
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    assert repr(opt).startswith("AdamW (\nParameter Group 0\n")


def test_many_small_arrays_in_one_step():
    params = [np.full(1000, float(i)) for i in range(100)]
    opt = SGD(params, lr=0.5)
    opt.step([np.ones(1000)] * 100)
    assert all(p[0] == i - 0.5 for i, p in enumerate(params))


def test_threads_can_be_set_and_give_identical_results():
    old = gradkit.get_num_threads()
    results = []
    for threads in (1, 2):
        gradkit.set_num_threads(threads)
        assert gradkit.get_num_threads() == threads
        w = np.linspace(-1, 1, 300_000)
        opt = Adam([w], lr=0.01)
        for _ in range(3):
            opt.step([np.sin(w)])
        results.append(w)
    gradkit.set_num_threads(old)
    np.testing.assert_array_equal(results[0], results[1])


def test_version_is_the_installed_one():
    from importlib.metadata import version

    assert gradkit.__version__ == version("gradkit")


# Optimizers the check below does not apply to, and why.
NOT_INFINITY_PRESERVING = {
    "Optimizer": "the abstract base class",
    "LBFGS": "steps with a closure",
    "Lookahead": "a wrapper: the optimizers it wraps are checked",
    # y is interpolated toward z, which starts as a copy of y: torch.lerp(inf, inf, 1) is NaN in the
    # reference too (tests/test_optim_schedulefree.py checks that it is the reference's NaN).
    "ScheduleFreeSGD": "interpolates between two copies of the infinite parameter, as its reference",
    "ScheduleFreeAdamW": "interpolates between two copies of the infinite parameter, as its reference",
    # Adafactor's step is relative to the parameter's RMS: an infinite element makes every step infinite
    # (torch gives [nan, -inf] here too; tests/test_optim_adafactor.py checks that).
    "Adafactor": "its step is relative to the parameter's RMS, as its reference's",
}


@pytest.mark.parametrize(
    "name", sorted(n for n in gradkit.optim.__all__ if n[0].isupper() and n not in NOT_INFINITY_PRESERVING)
)
def test_no_weight_decay_leaves_an_infinite_parameter_infinite(name):
    # torch adds weight_decay * p only when weight_decay != 0: with none, 0 * inf must not make a NaN.
    cls = getattr(gradkit.optim, name)
    w, g = np.array([np.inf, 1.0]), np.array([1.0, 1.0])
    kwargs = {"lr": 0.1} if name != "ASGD" else {"lr": 0.1, "t0": 0}
    if name == "Muon":  # matrices only, and its weight decay is on by default
        w, g = w.reshape(1, 2), g.reshape(1, 2)
        kwargs["weight_decay"] = 0.0
    opt = cls([w], **kwargs)
    opt.step([g])
    assert w.flat[0] == np.inf, f"{name} turned an infinite parameter into {w.flat[0]}"
    assert np.isfinite(w.flat[1])
