"""Muon beyond its trajectories (tests/fixtures/optim/Muon.npz, checked by test_optim_conformance.py):
each bfloat16 step against torch's from torch's own parameters, the (in, out) orientation, resume,
per-element rates and refusals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gradkit.optim import SGD, Adam, AdamW, Muon

from optim_field import gradient, initial_params

FIXTURE = Path(__file__).parent / "fixtures" / "optim" / "Muon.npz"
TORCH_DEFAULTS = {
    "lr": 1e-3,
    "weight_decay": 0.1,
    "momentum": 0.95,
    "nesterov": True,
    "ns_coefficients": (3.4445, -4.7750, 2.0315),
    "eps": 1e-7,
    "ns_steps": 5,
    "adjust_lr_fn": None,
}


def _kwargs(run: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in run["kwargs"].items()}


def _bfloat16_runs():
    with np.load(FIXTURE) as data:
        runs = json.loads(str(data["meta"]))
    return [
        pytest.param(run, id=f"{run['key']}-{run['dtype']}")
        for run in runs
        if run["kwargs"].get("ns_dtype", "bfloat16") == "bfloat16"
    ]


def test_defaults_are_torchs_and_the_newton_schulz_runs_in_bfloat16_as_torchs() -> None:
    assert Muon([np.zeros((2, 3))]).defaults == {
        **TORCH_DEFAULTS,
        "ns_dtype": "bfloat16",
        "rows_are_inputs": False,
    }


# Each step of every bfloat16 fixture run, taken from torch's parameters after the step before (so that
# a rounding apart at one step does not carry into the next), against torch's parameters after it.
# Measured: every run but ROUNDING_APART's gives torch's bits at every step; in those two runs 61 of
# 18,720 element-steps differ (0.33%), by at most 1.1e-4 (adjusted lr 0.014: a few bfloat16 steps of the
# orthogonalised update). Larger matrices measured the same way against torch (float32, 120 steps, up to
# 64 x 40): at most 2.2e-4 for an adjusted lr of 0.028, in at most 1.2% of the elements.
@pytest.mark.parametrize("run", _bfloat16_runs())
def test_every_bfloat16_step_is_torchs_from_torchs_parameters(run) -> None:
    init = initial_params(run["groups"], run["dtype"])
    group_kwargs = run.get("group_kwargs", [{}] * len(init))
    opt = Muon([{"params": ps, **gk} for ps, gk in zip(init, group_kwargs)], **_kwargs(run))
    flat = [p for ps in init for p in ps]
    with np.load(FIXTURE) as data:
        expected = [data[f"{run['key']}_traj{k}"] for k in range(len(flat))]
    change = run.get("lr_change")
    differing = total = 0
    for step in range(expected[0].shape[0]):
        if step > 0:
            for k, p in enumerate(flat):
                p[...] = expected[k][step - 1]
        if change and step == change[0]:
            opt.param_groups[change[1]]["lr"] = change[2]
        opt.step([gradient(p, k) for k, p in enumerate(flat)])
        for k, p in enumerate(flat):
            np.testing.assert_allclose(
                p, expected[k][step], rtol=0, atol=5e-4, err_msg=f"param {k}, step {step + 1}"
            )
            differing += int(np.count_nonzero(p != expected[k][step]))
            total += p.size
    assert differing <= 0.02 * total


def _run(W: np.ndarray, steps: int, **kwargs) -> Muon:
    opt = Muon([W], **kwargs)
    for _ in range(steps):
        opt.step([gradient(W, 0)])
    return opt


# torch's adjust_lr_fn reads (A, B) = param.shape as (out, in). A matrix stored (in, out), as
# scikit-learn's coefs_, declared rows_are_inputs, steps as its transpose does in torch's layout: bit for
# bit, since the orthogonalisation of a transpose is the transpose of the orthogonalisation.
@pytest.mark.parametrize("ns_dtype", ["bfloat16", "float32", "float64"])
@pytest.mark.parametrize("adjust_lr_fn", [None, "match_rms_adamw"])
@pytest.mark.parametrize("shape", [(9, 4), (4, 9)])
def test_a_matrix_stored_in_out_steps_as_its_transpose_with_rows_are_inputs(
    ns_dtype, adjust_lr_fn, shape
) -> None:
    rng = np.random.default_rng(7)
    out_in = rng.normal(size=shape).astype(np.float32)
    in_out = np.ascontiguousarray(out_in.T)
    kwargs = {"lr": 0.02, "ns_dtype": ns_dtype, "adjust_lr_fn": adjust_lr_fn}
    _run(out_in, 5, **kwargs)
    _run(in_out, 5, rows_are_inputs=True, **kwargs)
    np.testing.assert_array_equal(in_out, out_in.T)


def test_without_rows_are_inputs_an_in_out_matrix_gets_the_transposes_adjusted_lr() -> None:
    # "original": sqrt(max(1, A / B)) is 1.5 for a (9, 4) matrix read as (out, in), 1 for (4, 9).
    tall, wide = np.zeros((9, 4)), np.zeros((4, 9))
    g = np.random.default_rng(1).normal(size=(9, 4))
    kwargs = {"lr": 0.1, "momentum": 0.0, "weight_decay": 0.0, "ns_dtype": "float64"}
    Muon([tall], **kwargs).step([g])
    Muon([wide], **kwargs).step([np.ascontiguousarray(g.T)])
    np.testing.assert_allclose(tall, 1.5 * wide.T, rtol=1e-15)
    as_inputs = np.zeros((9, 4))
    Muon([as_inputs], rows_are_inputs=True, **kwargs).step([g])
    np.testing.assert_array_equal(as_inputs, wide.T)


# The orthogonalised update: with the converging cubic coefficients it is the polar factor U V^T of
# the (momentum-free) gradient U S V^T, every singular value 1.
def test_the_update_is_the_gradients_orthogonal_polar_factor() -> None:
    g = np.random.default_rng(3).normal(size=(6, 10))
    W = np.zeros((6, 10))
    opt = Muon(
        [W], lr=1.0, momentum=0.0, weight_decay=0.0, ns_dtype="float64", ns_coefficients=(1.5, -0.5, 0.0)
    )
    opt.param_groups[0]["ns_steps"] = 40
    opt.step([g])
    U, _, Vt = np.linalg.svd(g, full_matrices=False)
    np.testing.assert_allclose(-W, U @ Vt, atol=1e-12)


@pytest.mark.parametrize("ns_dtype", ["bfloat16", "float32", "float64"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_state_dict_round_trip_continues_bit_for_bit(dtype, ns_dtype) -> None:
    a = initial_params([[[5, 8]], [[9, 6], [4, 4]]], dtype)
    b = [[p.copy() for p in group] for group in a]
    flat_a, flat_b = [p for g in a for p in g], [p for g in b for p in g]

    def make(groups):
        return Muon([{"params": groups[0]}, {"params": groups[1], "lr": 0.03}], lr=0.02, ns_dtype=ns_dtype)

    opt_a = make(a)
    for _ in range(3):
        opt_a.step([gradient(p, k) for k, p in enumerate(flat_a)])
    opt_b = make(b)
    for pa, pb in zip(flat_a, flat_b):
        pb[...] = pa
    opt_b.load_state_dict(opt_a.state_dict())
    for _ in range(4):
        opt_a.step([gradient(p, k) for k, p in enumerate(flat_a)])
        opt_b.step([gradient(p, k) for k, p in enumerate(flat_b)])
    for pa, pb in zip(flat_a, flat_b):
        np.testing.assert_array_equal(pa, pb)


def test_a_parameter_without_gradient_is_skipped_and_gets_no_state() -> None:
    W, V = np.ones((2, 3)), np.ones((3, 2))
    opt = Muon([W, V], lr=0.1)
    opt.step([None, np.ones((3, 2))])
    np.testing.assert_array_equal(W, np.ones((2, 3)))
    assert list(opt.state_dict()["state"]) == [1]


def test_per_element_rates_scale_the_step_and_the_decay() -> None:
    g = np.random.default_rng(4).normal(size=(3, 5))
    W, frozen = np.ones((3, 5)), np.ones((3, 5))
    plain = np.ones((3, 5))
    Muon([plain], lr=0.1).step([g])
    opt = Muon([W, frozen], lr=0.1)
    opt.set_lr_scale([np.ones((3, 5)), np.zeros((3, 5))])
    opt.step([g, g])
    np.testing.assert_array_equal(W, plain)  # multipliers of 1: the unscaled numbers
    np.testing.assert_array_equal(frozen, np.ones((3, 5)))  # of 0: neither step nor decay


def test_muon_and_adamw_split_a_layer_as_torchs_docs_do() -> None:
    W, b = np.ones((4, 3)), np.ones(4)
    muon, adamw = Muon([W], lr=0.02), AdamW([b], lr=1e-3)
    muon.step([W.copy()])
    adamw.step([b.copy()])
    assert (W < 1).all() and (b < 1).all()


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(("shape", "shown"), [((5,), r"\(5,\)"), ((2, 3, 4), r"\(2, 3, 4\)"), ((), r"\(\)")])
def test_arrays_other_than_matrices_are_refused_naming_them_and_the_hybrid(shape, shown) -> None:
    W = np.zeros((2, 3))
    with pytest.raises(
        ValueError, match=rf"^params\[1\] has shape {shown}: Muon takes 2-D parameters only"
    ) as err:
        Muon([W, np.zeros(shape)])
    assert (
        "use Muon for 2-D weight matrices and AdamW for biases/other parameters, e.g. two optimizers"
        in str(err.value)
    )
    opt = Muon([W])
    with pytest.raises(ValueError, match=r"^params\[1\] has shape"):
        opt.add_param_group({"params": [np.zeros(shape)]})
    assert len(opt.param_groups) == 1 and len(opt.state_dict()["state"]) == 0
    opt.step([np.ones((2, 3))])  # the optimizer still steps its one matrix


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"lr": -0.1}, ValueError, r"^Learning rate should be >= 0 but is: -0\.1$"),
        ({"momentum": -0.5}, ValueError, r"^momentum should be >= 0 but is: -0\.5$"),
        ({"weight_decay": -1.0}, ValueError, r"^weight decay should be >= 0 but is: -1\.0$"),
        ({"adjust_lr_fn": "sqrt"}, ValueError, r"^Adjust learning rate function sqrt is not supported$"),
        ({"ns_coefficients": (3.4, -4.7)}, ValueError, r"^Coefficients must be a tuple of exactly 3 values$"),
        ({"ns_coefficients": (3.4, math.nan, 2.0)}, ValueError, r"^ns_coefficients must be finite"),
        ({"ns_coefficients": "abc"}, TypeError, "ns_coefficients"),
        ({"ns_steps": 100}, ValueError, r"^Number of steps must be less than 100"),
        ({"ns_steps": -1}, ValueError, r"^ns_steps should be >= 0 but is: -1$"),
        ({"ns_steps": 2.5}, TypeError, "ns_steps"),
        ({"eps": -1e-7}, ValueError, r"^eps should be >= 0"),
        (
            {"ns_dtype": "float16"},
            ValueError,
            r"^ns_dtype must be 'bfloat16', 'float32' or 'float64', got 'float16'$",
        ),
    ],
)
def test_bad_hyperparameters_are_refused_and_a_refused_step_changes_nothing(change, error, message) -> None:
    with pytest.raises(error, match=message):
        Muon([np.zeros((2, 3))], **change)
    W = np.ones((3, 2))
    opt = Muon([W], lr=0.1)
    opt.step([np.ones((3, 2))])
    before, state = W.copy(), opt.state_dict()
    opt.param_groups[0].update(change)
    with pytest.raises(error, match=message):
        opt.step([np.ones((3, 2))])
    np.testing.assert_array_equal(W, before)
    np.testing.assert_array_equal(
        opt.state_dict()["state"][0]["momentum_buffer"], state["state"][0]["momentum_buffer"]
    )


def test_another_optimizers_state_is_refused_and_changes_nothing() -> None:
    W = np.ones((2, 2))
    opt = Muon([W], lr=0.1)
    opt.step([np.ones((2, 2))])
    state = opt.state_dict()
    adam = Adam([np.ones((2, 2))])
    adam.step([np.ones((2, 2))])
    with pytest.raises(ValueError, match="not Muon's"):
        opt.load_state_dict(adam.state_dict())
    sgd = SGD([np.ones((2, 2))], lr=0.1, momentum=0.9)  # its state is a momentum_buffer too
    sgd.step([np.ones((2, 2))])
    with pytest.raises(ValueError, match="not Muon's"):
        opt.load_state_dict(sgd.state_dict())
    # Muon's groups with Adam's per-parameter state, or with a key Muon does not keep.
    with pytest.raises(ValueError, match="lacks 'momentum_buffer'"):
        opt.load_state_dict({**state, "state": adam.state_dict()["state"]})
    extra = {0: {**state["state"][0], "step": np.array(1.0)}}
    with pytest.raises(ValueError, match="which Muon does not keep"):
        opt.load_state_dict({**state, "state": extra})
    wrong_shape = Muon([np.ones((4, 1))])
    wrong_shape.step([np.ones((4, 1))])
    with pytest.raises(ValueError, match=r"momentum_buffer'\]: expected shape \(2, 2\)"):
        opt.load_state_dict(wrong_shape.state_dict())
    np.testing.assert_array_equal(
        opt.state_dict()["state"][0]["momentum_buffer"], state["state"][0]["momentum_buffer"]
    )
    assert opt.param_groups[0]["lr"] == 0.1


def test_unknown_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        Muon([np.zeros((2, 2))], betas=(0.9, 0.99))  # type: ignore[call-arg]
