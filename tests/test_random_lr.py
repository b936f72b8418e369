"""Per-element learning rates (Optimizer.set_lr_scale) in every optimizer family, and RandomLR on top."""

from __future__ import annotations

import copy
import gc
import pickle
import re

import numpy as np
import pytest

import gradkit
from gradkit import optim
from gradkit.schedules import RandomLR, StepLR, lr_curve

from optim_field import gradient

# (name, hyperparameters) covering each family's code paths; Rprop's step-size bounds are wide so that
# they never bind (they hold for the unscaled step size), ASGD's lambd is 0 so that eta is lr (below).
FAMILIES = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.2}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.8, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.9, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.02, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Rprop", {"lr": 0.01, "step_sizes": (1e-12, 1e3)}),
    ("ASGD", {"lr": 0.05, "lambd": 0.0, "t0": 5, "weight_decay": 0.1}),
]
FAMILY_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(FAMILIES)]
STEPS = 25  # RAdam rectifies from step 6 on: both of its branches run
# A uniform multiplier c and running with lr * c round differently (lr*c vs lr then *c).
RTOL = {"float64": 1e-12, "float32": 2e-5}


def _start(dtype: str, shape=(3, 4)) -> np.ndarray:
    return np.random.default_rng(3).normal(size=shape).astype(dtype)


def _run(name, hyper, params, scales=None, steps=STEPS):
    """Train ``params`` in place; ``scales`` are installed with set_lr_scale first."""
    opt = getattr(optim, name)(params, **hyper)
    if scales is not None:
        opt.set_lr_scale(scales)
    for _ in range(steps):
        opt.step([gradient(p, k) for k, p in enumerate(params)])
    return params


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "hyper"), FAMILIES, ids=FAMILY_IDS)
def test_multipliers_of_one_give_the_unscaled_numbers_bit_for_bit(name, hyper, dtype):
    plain = _run(name, hyper, [_start(dtype)])
    scaled = _run(name, hyper, [_start(dtype)], [np.ones((3, 4), dtype=dtype)])
    np.testing.assert_array_equal(scaled[0], plain[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "hyper"), FAMILIES, ids=FAMILY_IDS)
@pytest.mark.parametrize("c", [0.3, 1.7])
def test_a_uniform_multiplier_is_the_same_as_multiplying_lr(name, hyper, dtype, c):
    scaled = _run(name, hyper, [_start(dtype)], [np.full((3, 4), c, dtype=dtype)])
    reference = _run(name, {**hyper, "lr": hyper["lr"] * c}, [_start(dtype)])
    np.testing.assert_allclose(scaled[0], reference[0], rtol=RTOL[dtype], atol=0)


@pytest.mark.parametrize(("name", "hyper"), FAMILIES, ids=FAMILY_IDS)
def test_each_element_steps_as_if_alone_with_its_own_lr(name, hyper):
    a, b = 0.4, 2.5
    together = _run(name, hyper, [np.array([0.7, -1.3])], [np.array([a, b])])[0]
    alone_a = _run(name, {**hyper, "lr": hyper["lr"] * a}, [np.array([0.7])])[0]
    alone_b = _run(name, {**hyper, "lr": hyper["lr"] * b}, [np.array([-1.3])])[0]
    np.testing.assert_allclose(together, np.concatenate([alone_a, alone_b]), rtol=1e-12, atol=0)


def test_asgd_multiplies_its_decayed_rate_eta():
    # With lambd > 0, eta = lr / (1 + lambd lr t)^alpha decays with the group's lr; the multiplier
    # scales eta, which is what multiplying the state's eta before each step does.
    hyper = {"lr": 0.05, "lambd": 0.3, "t0": 4, "weight_decay": 0.1}
    c = 1.7
    scaled = [_start("float64")]
    manual = [_start("float64")]
    opt_scaled = optim.ASGD(scaled, **hyper)
    opt_scaled.set_lr_scale([np.full((3, 4), c)])
    opt_manual = optim.ASGD(manual, **hyper)
    for _ in range(20):
        opt_scaled.step([gradient(scaled[0], 0)])
        saved = opt_manual.state_dict()
        fresh = {"step": 0.0, "eta": hyper["lr"], "mu": 1.0, "ax": np.zeros((3, 4))}  # torch's initial state
        saved["state"][0] = saved["state"].get(0, fresh)
        saved["state"][0]["eta"] *= c
        opt_manual.load_state_dict(saved)
        opt_manual.step([gradient(manual[0], 0)])
    np.testing.assert_allclose(scaled[0], manual[0], rtol=1e-12)
    ax = [opt.state_dict()["state"][0]["ax"] for opt in (opt_scaled, opt_manual)]
    np.testing.assert_allclose(ax[0], ax[1], rtol=1e-12)


def test_rprop_bounds_hold_for_the_unscaled_step_size():
    w = _start("float64")
    opt = optim.Rprop([w], lr=0.01, step_sizes=(1e-6, 0.02))
    opt.set_lr_scale([np.full((3, 4), 0.5)])
    for _ in range(10):
        before = w.copy()
        opt.step([gradient(w, 0)])
        size = opt.state_dict()["state"][0]["step_size"]
        assert size.max() <= 0.02
        assert np.all(np.abs(w - before) <= 0.5 * size + 1e-12)


def test_scales_follow_param_group_order_and_none_leaves_a_parameter_unscaled():
    w32, b32, w64 = np.ones(3, np.float32), np.ones(2, np.float32), np.ones(2)
    opt = optim.SGD([{"params": [w32, b32]}, {"params": [w64], "lr": 1.0}], lr=0.5)
    opt.set_lr_scale([np.array([0, 1, 2], np.float32), None, np.array([0.25, 4.0])])
    opt.step([np.ones(3, np.float32), np.ones(2, np.float32), np.ones(2)])
    np.testing.assert_array_equal(w32, [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(b32, [0.5, 0.5])
    np.testing.assert_array_equal(w64, [0.75, -3.0])


def test_scales_are_read_where_they_lie_at_every_step():
    w = np.zeros(2)
    scale = np.ones(2)
    scale.flags.writeable = False  # read-only arrays are fine: the core only reads them
    opt = optim.SGD([w], lr=1.0)
    opt.set_lr_scale([scale])
    opt.step([np.ones(2)])
    scale.flags.writeable = True
    scale[:] = [0.0, 3.0]  # in place, as RandomLR redraws
    opt.step([np.ones(2)])
    np.testing.assert_array_equal(w, [-1.0, -4.0])


def test_the_optimizer_keeps_the_scale_arrays_alive():
    w = np.zeros(1000)
    opt = optim.SGD([w], lr=1.0)
    opt.set_lr_scale([np.full(1000, 0.5)])  # the only reference is the optimizer's
    gc.collect()
    np.full(1000, 7.0)  # reuse freed memory, if any
    opt.step([np.ones(1000)])
    np.testing.assert_array_equal(w, -0.5)


def test_none_removes_every_multiplier():
    w = np.zeros(2)
    opt = optim.Adagrad([w], lr=1.0)
    opt.set_lr_scale([np.zeros(2)])
    opt.step([np.ones(2)])
    np.testing.assert_array_equal(w, 0.0)
    opt.set_lr_scale(None)
    opt.step([np.ones(2)])
    assert np.all(w < 0)


def test_a_param_group_added_later_steps_with_its_lr():
    w, v = np.zeros(2), np.zeros(2)
    opt = optim.SGD([w], lr=1.0)
    opt.set_lr_scale([np.full(2, 0.5)])
    opt.add_param_group({"params": [v]})
    opt.step([np.ones(2), np.ones(2)])
    np.testing.assert_array_equal(w, -0.5)
    np.testing.assert_array_equal(v, -1.0)


def _esc(s: str) -> str:
    return re.escape(s)


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (np.ones(3, np.float32), TypeError, "lr_scale[1]: expected None or a C-contiguous float64 array"),
        (np.ones(4), ValueError, "lr_scale[1]: expected None or a C-contiguous float64 array of shape (3,)"),
        (np.ones(6)[::2], ValueError, "not C-contiguous"),
        (
            [1.0, 1.0, 1.0],
            TypeError,
            "lr_scale[1]: expected None or a C-contiguous float64 array of shape (3,)",
        ),
        (
            np.array([1.0, -0.5, 1.0]),
            ValueError,
            "lr_scale[1]: learning-rate multipliers must be finite and >= 0",
        ),
        (np.array([1.0, 1.0, np.nan]), ValueError, "got nan at flat index 2"),
        (np.array([np.inf, 1.0, 1.0]), ValueError, "got inf at flat index 0"),
    ],
)
def test_scales_that_do_not_fit_are_refused_naming_them_and_nothing_changes(bad, error, words):
    a, b, c = np.zeros(2), np.zeros(3), np.zeros(3)
    opt = optim.SGD([{"params": [a, b]}, {"params": [c]}], lr=1.0)
    with pytest.raises(error, match=_esc(words)):
        opt.set_lr_scale([np.zeros(2), bad, np.zeros(3)])
    # A refusal in the second group leaves the first without multipliers as well.
    with pytest.raises(error, match=_esc(words.replace("[1]", "[2]"))):
        opt.set_lr_scale([np.zeros(2), np.zeros(3), bad])
    opt.step([np.ones(2), np.ones(3), np.ones(3)])
    np.testing.assert_array_equal(np.concatenate([a, b, c]), -1.0)


def test_a_scale_sharing_memory_with_a_parameter_is_refused():
    w = np.ones(4)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match=_esc("lr_scale[0] shares memory with params[0]")):
        opt.set_lr_scale([w])
    storage = np.ones(8)
    a = storage[:4]
    opt2 = optim.SGD([a], lr=0.1)
    opt2.set_lr_scale([storage[4:].copy()])
    with pytest.raises(ValueError, match="shares memory"):
        opt2.set_lr_scale([storage[2:6]])


def test_the_wrong_number_or_kind_of_scales_is_refused():
    opt = optim.SGD([np.zeros(2), np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="expected 2 entries, one per parameter in param-group order, got 1"):
        opt.set_lr_scale([np.ones(2)])
    with pytest.raises(TypeError, match="got ndarray"):
        opt.set_lr_scale(np.ones(2))
    with pytest.raises(TypeError, match="got float"):
        opt.set_lr_scale(0.5)


def test_lbfgs_refuses_per_element_rates():
    x = np.zeros(2)
    opt = optim.LBFGS([x])
    with pytest.raises(ValueError, match="LBFGS doesn't support per-element learning rates"):
        opt.set_lr_scale([np.ones(2)])
    opt.set_lr_scale(None)  # nothing to remove
    with pytest.raises(ValueError, match="LBFGS doesn't support per-element learning rates"):
        RandomLR(opt, 0.5, 1.5, seed=0)
    assert "initial_lr" not in opt.param_groups[0]


# RandomLR -----------------------------------------------------------------------------------------


def _adam(dtype="float64", shapes=((30, 20), (20,))):
    params = [np.random.default_rng(5).normal(size=s).astype(dtype) for s in shapes]
    return params, optim.Adam(params, lr=0.01)


def _train(params, opt, scheduler, steps):
    for _ in range(steps):
        opt.step([gradient(p, k) for k, p in enumerate(params)])
        scheduler.step()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_multiplier_array_per_parameter_with_its_dtype_and_shape(dtype):
    params, opt = _adam(dtype)
    scheduler = RandomLR(opt, 0.5, 1.5, seed=1)
    assert [m.shape for m in scheduler.multipliers] == [p.shape for p in params]
    assert all(m.dtype == dtype and m.flags.c_contiguous for m in scheduler.multipliers)
    assert not np.array_equal(scheduler.multipliers[0][0], scheduler.multipliers[1])  # streams differ


def test_float32_multipliers_are_the_float64_ones_rounded():
    m64 = RandomLR(_adam("float64")[1], 0.1, 3.0, seed=11).multipliers
    m32 = RandomLR(_adam("float32")[1], 0.1, 3.0, seed=11).multipliers
    for a, b in zip(m32, m64):
        np.testing.assert_array_equal(a, b.astype(np.float32))


def test_the_same_seed_gives_the_same_multipliers_and_trajectory():
    runs = []
    for seed in (123, 123, 124):
        params, opt = _adam()
        scheduler = RandomLR(opt, 0.2, 2.0, seed=seed)
        first = [m.copy() for m in scheduler.multipliers]
        _train(params, opt, scheduler, 8)
        runs.append((first, params))
    for a, b in zip(runs[0][0] + runs[0][1], runs[1][0] + runs[1][1]):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(runs[0][0][0], runs[2][0][0])
    assert not np.array_equal(runs[0][1][0], runs[2][1][0])


def test_the_optimizer_steps_with_the_multipliers_drawn():
    w = np.zeros(1000)
    opt = optim.SGD([w], lr=0.1)
    scheduler = RandomLR(opt, 0.0, 4.0, seed=3)
    m = scheduler.multipliers[0].copy()
    opt.step([np.ones(1000)])
    np.testing.assert_allclose(w, -0.1 * m, rtol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multipliers_lie_in_the_range_with_its_mean(dtype):
    w = np.zeros(400_000, dtype=dtype)
    low, high = np.float32(0.25) if dtype == "float32" else 0.25, 1.75
    m = RandomLR(optim.SGD([w], lr=0.1), low, high, seed=2).multipliers[0]
    assert m.min() >= np.dtype(dtype).type(low) and m.max() <= np.dtype(dtype).type(high)
    assert abs(m.mean(dtype=np.float64) - 1.0) < 0.005  # standard error 0.0007
    assert m.min() < 0.26 and m.max() > 1.74  # the whole range is used


def test_low_equal_to_high_gives_that_multiplier_everywhere():
    m = RandomLR(optim.SGD([np.zeros(10)], lr=0.1), 0.5, 0.5, seed=0).multipliers[0]
    np.testing.assert_array_equal(m, 0.5)


def test_new_multipliers_every_resample_every_steps_in_the_same_arrays():
    params, opt = _adam()
    scheduler = RandomLR(opt, 0.5, 1.5, seed=4, resample_every=3)
    arrays = scheduler.multipliers
    addresses = [m.__array_interface__["data"][0] for m in arrays]
    seen = [arrays[0].copy()]
    for _ in range(7):
        opt.step([gradient(p, k) for k, p in enumerate(params)])
        scheduler.step()
        seen.append(arrays[0].copy())
    assert scheduler.multipliers is arrays
    assert [m.__array_interface__["data"][0] for m in scheduler.multipliers] == addresses
    same = [np.array_equal(seen[k], seen[k + 1]) for k in range(7)]
    # steps 1, 2 keep draw 0; step 3 is draw 1; 4, 5 keep it; 6 is draw 2; 7 keeps it.
    assert same == [True, True, False, True, True, False, True]
    assert len({seen[k].tobytes() for k in (0, 3, 6)}) == 3


def test_multipliers_do_not_depend_on_the_thread_count():
    before = gradkit.get_num_threads()
    try:
        drawn = []
        for threads in (1, 2):
            gradkit.set_num_threads(threads)
            scheduler = RandomLR(optim.SGD([np.zeros(250_000)], lr=0.1), 0.0, 1.0, seed=8)
            scheduler.step()
            drawn.append(scheduler.multipliers[0])
    finally:
        gradkit.set_num_threads(before)
    np.testing.assert_array_equal(drawn[0], drawn[1])


def test_the_group_lr_is_left_as_it_is_and_other_schedules_combine():
    w = np.zeros(4)
    opt = optim.SGD([w], lr=0.1)
    step_lr = StepLR(opt, step_size=2, gamma=0.5)
    scheduler = RandomLR(opt, 0.5, 1.5, seed=0)
    lrs = []
    for _ in range(4):
        opt.step([np.ones(4)])
        step_lr.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    assert lrs == [[0.1], [0.05], [0.05], [0.025]]
    assert opt.param_groups[0]["lr"] == 0.025


def test_resume_from_state_dict_continues_exactly():
    params, opt = _adam()
    scheduler = RandomLR(opt, 0.5, 1.5, seed=77, resample_every=2)
    _train(params, opt, scheduler, 5)
    saved_opt = copy.deepcopy(opt.state_dict())
    saved = pickle.loads(pickle.dumps(scheduler.state_dict()))
    assert saved["seed"] == 77 and saved["last_epoch"] == 5
    assert not any(isinstance(v, np.ndarray) for v in saved.values())

    params2 = [p.copy() for p in params]
    opt2 = optim.Adam(params2, lr=0.01)
    opt2.load_state_dict(saved_opt)
    resumed = RandomLR(opt2, 0.0, 9.0, seed=1, resample_every=7)  # all replaced by the saved state
    resumed.load_state_dict(saved)
    for a, b in zip(resumed.multipliers, scheduler.multipliers):
        np.testing.assert_array_equal(a, b)
    _train(params, opt, scheduler, 6)
    _train(params2, opt2, resumed, 6)
    for a, b in zip(params2, params):
        np.testing.assert_array_equal(a, b)


def test_a_state_dict_that_does_not_fit_is_refused_and_changes_nothing():
    scheduler = RandomLR(optim.SGD([np.zeros(5)], lr=0.1), 0.5, 1.5, seed=3)
    before = (scheduler.state_dict(), scheduler.multipliers[0].copy())
    for bad in ({"low": 2.0, "high": 1.0}, {"resample_every": 0}, {"seed": -1}, {"seed": None}):
        with pytest.raises(ValueError):
            scheduler.load_state_dict({**before[0], **bad})
        assert scheduler.state_dict() == before[0]
        np.testing.assert_array_equal(scheduler.multipliers[0], before[1])


def test_seed_none_draws_a_seed_once_and_keeps_it():
    a = RandomLR(optim.SGD([np.zeros(50)], lr=0.1), 0.0, 1.0)
    b = RandomLR(optim.SGD([np.zeros(50)], lr=0.1), 0.0, 1.0)
    assert isinstance(a.seed, int) and 0 <= a.seed < 2**64
    assert a.state_dict()["seed"] == a.seed
    assert not np.array_equal(a.multipliers[0], b.multipliers[0])
    again = RandomLR(optim.SGD([np.zeros(50)], lr=0.1), 0.0, 1.0, seed=a.seed)
    np.testing.assert_array_equal(again.multipliers[0], a.multipliers[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"low": 2.0, "high": 1.0}, ValueError, "Invalid low, high: 2.0, 1.0 (need low <= high)"),
        ({"low": -0.1, "high": 1.0}, ValueError, "Invalid low: -0.1"),
        ({"low": 0.0, "high": float("inf")}, ValueError, "Invalid high: inf"),
        ({"low": float("nan"), "high": 1.0}, ValueError, "Invalid low: nan"),
        ({"low": 0.5, "high": 1.0, "resample_every": 0}, ValueError, "Invalid resample_every: 0"),
        ({"low": 0.5, "high": 1.0, "seed": -1}, ValueError, "seed must be in [0, 2**64), got -1"),
        ({"low": 0.5, "high": 1.0, "seed": 2**64}, ValueError, "seed must be in [0, 2**64)"),
        ({"low": 0.5, "high": 1.0, "seed": 1.5}, TypeError, "seed must be None or an int, got float"),
        ({"low": "a", "high": 1.0}, TypeError, "RandomLR argument 'low'"),
    ],
)
def test_bad_arguments_are_refused_before_the_optimizer_changes(kwargs, error, words):
    w = np.zeros(3)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(error, match=_esc(words)):
        RandomLR(opt, **kwargs)
    assert "initial_lr" not in opt.param_groups[0]
    opt.step([np.ones(3)])
    np.testing.assert_array_equal(w, -0.1)  # no multipliers installed


def test_something_that_is_not_an_optimizer_is_refused():
    with pytest.raises(TypeError, match="is not a gradkit Optimizer"):
        RandomLR(object(), 0.5, 1.5, seed=0)


def test_remove_and_a_second_random_lr_replaces_the_first():
    w = np.zeros(100)
    opt = optim.SGD([w], lr=1.0)
    first = RandomLR(opt, 0.0, 1.0, seed=1)
    second = RandomLR(opt, 2.0, 3.0, seed=2)
    opt.step([np.ones(100)])
    np.testing.assert_array_equal(w, -second.multipliers[0])
    assert not np.array_equal(first.multipliers[0], second.multipliers[0])
    second.remove()
    w[:] = 0
    opt.step([np.ones(100)])
    np.testing.assert_array_equal(w, -1.0)


def test_step_with_an_epoch_draws_for_that_epoch():
    opt = optim.SGD([np.zeros(20)], lr=0.1)
    scheduler = RandomLR(opt, 0.0, 1.0, seed=6, resample_every=2)
    reference = RandomLR(optim.SGD([np.zeros(20)], lr=0.1), 0.0, 1.0, seed=6, resample_every=2)
    for _ in range(4):
        reference.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(4)
    assert scheduler.last_epoch == 4
    np.testing.assert_array_equal(scheduler.multipliers[0], reference.multipliers[0])


def test_lr_curve_refuses_random_lr_saying_why():
    with pytest.raises(TypeError, match="RandomLR has no learning-rate curve: .* multiplier for every"):
        lr_curve(RandomLR, 5, low=0.5, high=1.5)
