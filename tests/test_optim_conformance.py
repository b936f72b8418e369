"""gradkit.optim against torch.optim: trajectories recorded by tests/fixtures/make_optim_fixtures.py.

Every optimizer is put in train mode first (a no-op for most; Schedule-Free requires it). Runs recorded
with "modes" also check the evaluation point after eval(), then CONTINUED steps after train(), and the
final group state (Schedule-Free's k, lr_max, weight_sum, ...). Runs with "inner" wrap that optimizer in
the named wrapper (Lookahead).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import gradkit.optim

from optim_field import gradient, initial_params

FIXTURES = Path(__file__).parent / "fixtures" / "optim"
TOLERANCE = {"float64": dict(rtol=1e-7, atol=1e-10), "float32": dict(rtol=1e-4, atol=1e-6)}
# Final state buffers accumulate 120 steps of rounding (torch's CPU sqrt is not always correctly
# rounded, ours is); in float32 they are compared at 1e-3, the parameters at 1e-4.
STATE_TOLERANCE = {"float64": TOLERANCE["float64"], "float32": dict(rtol=1e-3, atol=1e-6)}
# Muon's Newton-Schulz iteration runs in ns_dtype whatever the parameters' dtype. In float32 its result
# carries float32 rounding (Eigen's summation order is not MKL's), which the iteration amplifies (its
# polynomial's slope at 0 is a = 3.4): parameters of either dtype are held to float32's tolerance
# (measured: at most 6.6e-7 absolute over 120 steps). In float64, the float64 tolerances hold (3.5e-15).
# In bfloat16 (the default, torch's Muon itself), a product summed in float32 in Eigen's order instead
# of oneDNN's now and then rounds to the neighbouring bfloat16 (a few elements in 10^4), and from then
# on the run follows its own path a little apart from torch's. Measured over the fixtures: most runs are
# torch's bit for bit; the one built to round apart (ROUNDING_APART in the generator) drifts to 3.5e-3
# absolute in the parameters by step 120 (lr 0.02) and 2.7e-3 in the momentum buffer; 1e-2 holds both.
# tests/test_optim_muon.py checks each step on its own, from torch's parameters, much tighter.
MUON_BF16_TOLERANCE = dict(rtol=0.0, atol=1e-2)


def _tolerances(name: str, run: dict) -> tuple[dict, dict]:
    """The (parameters, final state) tolerances of a fixture run."""
    dtype = run["dtype"]
    if name == "Muon":
        ns_dtype = run["kwargs"].get("ns_dtype", "bfloat16")
        if ns_dtype == "bfloat16":
            return MUON_BF16_TOLERANCE, MUON_BF16_TOLERANCE
        if ns_dtype == "float32":
            return TOLERANCE["float32"], STATE_TOLERANCE["float32"]
    return TOLERANCE[dtype], STATE_TOLERANCE[dtype]


def _runs():
    for path in sorted(FIXTURES.glob("*.npz")):
        with np.load(path) as data:
            for run in json.loads(str(data["meta"])):
                if "closure" not in run:
                    yield pytest.param(path.stem, run, id=f"{path.stem}-{run['key']}-{run['dtype']}")


def _trajectories(name: str, key: str, kind: str = "traj") -> list[np.ndarray]:
    """The recorded arrays ``<key>_<kind><k>`` in parameter order: traj, eval or cont."""
    with np.load(FIXTURES / f"{name}.npz") as data:
        return [
            data[k] for k in sorted(data.files, key=lambda s: (len(s), s)) if k.startswith(f"{key}_{kind}")
        ]


def _optimizer(name: str, groups: list[dict], run: dict) -> gradkit.optim.Optimizer:
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in run["kwargs"].items()}
    if "inner" in run:  # a wrapper around another optimizer
        inner_name, inner_kwargs = run["inner"]
        inner_run = {"kwargs": inner_kwargs}
        return getattr(gradkit.optim, name)(_optimizer(inner_name, groups, inner_run), **kwargs)
    return getattr(gradkit.optim, name)(groups, **kwargs)


def _per_param_state(opt: gradkit.optim.Optimizer) -> dict[int, dict]:
    """{param index: {key: value}}; a Lookahead's slow weights beside its inner optimizer's state."""
    sd = opt.state_dict()
    if "slow_state" not in sd:
        return sd["state"]
    merged: dict[int, dict] = {}
    for part in (sd["fast_state"], sd["slow_state"]):
        for k, entry in part.items():
            merged.setdefault(k, {}).update(entry)
    return merged


def _steps(opt, flat, expected, first, change, tolerance, what, zero_grad_steps=0):
    for step in range(expected[0].shape[0]):
        if change and first + step == change[0]:
            opt.param_groups[change[1]]["lr"] = change[2]
        grads = [gradient(p, k) for k, p in enumerate(flat)]
        if first + step < zero_grad_steps:
            grads = [np.zeros_like(g) for g in grads]
        opt.step(grads)
        for k, p in enumerate(flat):
            np.testing.assert_allclose(
                p, expected[k][step], **tolerance, err_msg=f"param {k} after {what} step {step + 1}"
            )


def _final_state(name: str, key: str, kind: str = "state") -> dict[int, dict[str, np.ndarray]]:
    """{param index: {state key: value}} after the last step (kind "group": {group index: {key: value}}
    of the group state a step changes, e.g. Prodigy's d); empty for fixtures that lack it."""
    pattern = re.compile(rf"{key}_{kind}(\d+)_(.+)")
    out: dict[int, dict[str, np.ndarray]] = {}
    with np.load(FIXTURES / f"{name}.npz") as data:
        for file in data.files:
            match = pattern.fullmatch(file)
            if match:
                out.setdefault(int(match.group(1)), {})[match.group(2)] = data[file]
    return out


@pytest.mark.parametrize(("name", "run"), list(_runs()))
def test_trajectory_matches_torch(name: str, run: dict) -> None:
    dtype = run["dtype"]
    init = initial_params(run["groups"], dtype, zero=run.get("zero_params", ()))
    group_kwargs = run.get("group_kwargs", [{}] * len(init))
    groups = [{"params": ps, **gk} for ps, gk in zip(init, group_kwargs)]
    opt = _optimizer(name, groups, run)
    flat = [p for ps in init for p in ps]
    expected = _trajectories(name, run["key"])
    change = run.get("lr_change")
    tolerance, state_tolerance = _tolerances(name, run)
    opt.train()
    _steps(opt, flat, expected, 0, change, tolerance, "the", run.get("zero_grad_steps", 0))
    if run.get("modes"):
        opt.eval()
        for k, (p, x) in enumerate(zip(flat, _trajectories(name, run["key"], "eval"))):
            np.testing.assert_allclose(p, x, **tolerance, err_msg=f"param {k} after eval()")
        opt.train()
        _steps(
            opt,
            flat,
            _trajectories(name, run["key"], "cont"),
            len(expected[0]),
            change,
            tolerance,
            "a continued",
        )
        for g, (group, reference) in enumerate(zip(opt.param_groups, run["final_groups"])):
            for key in sorted(set(group) & set(reference)):
                assert group[key] == pytest.approx(reference[key], rel=1e-12), f"param_groups[{g}][{key!r}]"
                assert type(group[key]) is type(reference[key]), f"param_groups[{g}][{key!r}] type"
            if "counter" in reference:  # torch-optimizer's Lookahead keeps its counter in each group
                assert opt.state_dict()["counter"] == reference["counter"]
    state = _per_param_state(opt)
    for k, expected_state in _final_state(name, run["key"]).items():
        assert sorted(state[k]) == sorted(expected_state), f"state keys of param {k}"
        for state_key, value in expected_state.items():
            np.testing.assert_allclose(
                state[k][state_key], value, **state_tolerance, err_msg=f"state[{k}][{state_key!r}]"
            )
    for g, expected_group in _final_state(name, run["key"], "group").items():
        for group_key, value in expected_group.items():
            np.testing.assert_allclose(
                opt.param_groups[g][group_key],
                value,
                **STATE_TOLERANCE[dtype],
                err_msg=f"param_groups[{g}][{group_key!r}]",
            )
