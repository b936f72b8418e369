"""Writes tests/fixtures/optim/<Name>.npz: torch.optim trajectories the tests compare against.

Needs torch (``make fixtures`` installs torch==2.13.0 into the venv); ``make test`` does not run it.
Each case: an optimizer, its arguments, a dtype, param groups, and the parameters after every step
of a run on the gradient field in tests/optim_field.py, with the optimizer state after the last
step. Some cases change a group's lr mid-run.
Closure cases (LBFGS) minimise the loss in tests/optim_field.py instead, recording the parameters
and the returned loss after every step() call; their meta entries carry a "closure" key.

Usage: make_optim_fixtures.py [NAME ...]   (only those optimizers; all by default)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from optim_field import LOSSES, gradient, initial_params  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "optim"
STEPS = 120

# name -> list of (kwargs, options). options: groups (sizes per group), group_kwargs (per group),
# lr_change (step, group, new lr), dtypes.
ONE = {"groups": [[5, 3]]}
TWO = {"groups": [[4], [3, 2]], "group_kwargs": [{}, {"lr": 0.02}]}
CASES: dict[str, list[tuple[dict, dict]]] = {
    "SGD": [
        ({"lr": 0.05}, ONE),
        ({"lr": 0.05, "momentum": 0.9}, ONE),
        ({"lr": 0.03, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}, ONE),
        ({"lr": 0.03, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}, TWO),
        ({"lr": 0.01, "momentum": 0.5, "maximize": True}, {**ONE, "lr_change": (60, 0, 0.002)}),
    ],
    "Adam": [
        ({"lr": 0.05}, ONE),
        ({"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}, ONE),
        ({"lr": 0.05, "amsgrad": True}, TWO),
        ({"lr": 0.01, "maximize": True, "weight_decay": 0.01}, {**ONE, "lr_change": (50, 0, 0.03)}),
        ({"lr": 0.02, "decoupled_weight_decay": True, "weight_decay": 0.1}, ONE),
    ],
    "AdamW": [
        ({"lr": 0.05}, ONE),
        ({"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}, TWO),
        (
            {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-3, "maximize": True},
            {**ONE, "lr_change": (70, 0, 0.005)},
        ),
    ],
    "Adagrad": [
        ({"lr": 0.1}, ONE),
        ({"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}, ONE),
        ({"lr": 0.05, "weight_decay": 0.1, "eps": 1e-6}, TWO),
        (
            {"lr": 0.05, "lr_decay": 0.001, "weight_decay": 0.01, "maximize": True},
            {**ONE, "lr_change": (60, 0, 0.2)},
        ),
    ],
    "RMSprop": [
        ({"lr": 0.01}, ONE),
        ({"lr": 0.01, "alpha": 0.9, "centered": True}, ONE),
        ({"lr": 0.005, "momentum": 0.9, "weight_decay": 0.05}, TWO),
        # alpha < 0.5 puts torch's lerp of grad_avg on its other branch. Centered with a small alpha
        # divides by sqrt(v - mean^2) ~ 0, which amplifies rounding: torch's CPU sqrt is not correctly
        # rounded (1 ulp off for some inputs), and with eps=1e-4 float32 drifts 3% from torch by step
        # 100. eps=1e-2 bounds the amplification.
        ({"lr": 0.01, "alpha": 0.4, "eps": 1e-2, "momentum": 0.5, "centered": True}, ONE),
        ({"lr": 0.002, "weight_decay": 0.01, "maximize": True}, {**ONE, "lr_change": (60, 0, 0.01)}),
    ],
    "Adadelta": [
        ({}, ONE),
        ({"lr": 0.5, "rho": 0.95, "eps": 1e-5}, ONE),
        ({"lr": 2.0, "weight_decay": 0.1}, TWO),
        ({"rho": 0.5, "eps": 1e-4, "maximize": True}, {**ONE, "lr_change": (60, 0, 0.3)}),
    ],
    "Adamax": [
        ({"lr": 0.02}, ONE),
        # beta1 < 0.5 puts torch's lerp of exp_avg on its other branch.
        ({"lr": 0.02, "betas": (0.3, 0.9), "eps": 1e-3}, ONE),
        ({"lr": 0.01, "weight_decay": 0.1}, TWO),
        ({"lr": 0.01, "betas": (0.8, 0.99), "maximize": True}, {**ONE, "lr_change": (50, 0, 0.03)}),
    ],
    # betas (0.4, 0.9): 1 - beta1 >= 0.5 takes the other formula of torch.lerp.
    "NAdam": [
        ({"lr": 0.01}, ONE),
        ({"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "momentum_decay": 0.01}, ONE),
        ({"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True, "momentum_decay": 0.05}, TWO),
        ({"lr": 0.01, "maximize": True, "weight_decay": 0.01}, {**ONE, "lr_change": (60, 0, 0.03)}),
        ({"lr": 0.03, "betas": (0.4, 0.9), "momentum_decay": 0.2}, ONE),
    ],
    # Default betas rectify from step 6 on; beta2 = 0.5 never does (rho_inf = 3 <= 5).
    "RAdam": [
        ({"lr": 0.01}, ONE),
        ({"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}, ONE),
        ({"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}, TWO),
        ({"lr": 0.01, "maximize": True, "betas": (0.3, 0.999)}, {**ONE, "lr_change": (50, 0, 0.03)}),
        ({"lr": 0.01, "betas": (0.9, 0.5)}, ONE),
    ],
    # lr only sets the initial step sizes, so changing it mid-run changes nothing (in torch too).
    "Rprop": [
        ({"lr": 0.01}, ONE),
        ({"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)}, ONE),
        ({"lr": 0.02, "etas": (0.6, 1.1)}, TWO),
        ({"lr": 0.01, "maximize": True, "step_sizes": (1e-4, 1.0)}, {**ONE, "lr_change": (60, 0, 0.5)}),
    ],
    # t0 < STEPS so averaging starts (the final state, with "ax", is recorded too).
    "ASGD": [
        ({"lr": 0.01}, ONE),
        ({"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 30}, ONE),
        ({"lr": 0.03, "lambd": 1e-3, "t0": 10, "weight_decay": 0.05}, TWO),
        ({"lr": 0.02, "maximize": True, "t0": 50, "alpha": 1.0}, {**ONE, "lr_change": (70, 0, 0.005)}),
    ],
}


# Closure-driven optimizers: name -> list of (kwargs, options). options: loss (a name in
# optim_field.LOSSES) and loss_kwargs, sizes (shapes of the arrays of the one group), steps (step()
# calls), dtypes, change (before step k, set param_groups[0][key] = value).
#
# L-BFGS amplifies rounding differences, and some are unavoidable: torch's dot products come from
# MKL, whose summation order is its own. Every case here stays well within the tests' tolerances
# whether gradkit is built with FMA or without. float32 is left out where a one-ulp change flips a
# line-search decision and the runs part (Rosenbrock with a=10 along its valley; tiny steps whose
# loss changes are at float32's resolution); a gentler float32 case covers the same code instead.
RB = {"loss": "rosenbrock", "loss_kwargs": {"a": 10.0}}
RB3 = {"loss": "rosenbrock", "loss_kwargs": {"a": 3.0}}
RB1 = {"loss": "rosenbrock", "loss_kwargs": {"a": 1.0}}
WAVY = {"loss": "wavy", "loss_kwargs": {"amp": 0.5, "freq": 3.0}}
F64 = {"dtypes": ["float64"]}
CLOSURE_CASES: dict[str, list[tuple[dict, dict]]] = {
    "LBFGS": [
        ({}, {**RB, **F64, "steps": 10}),
        ({}, {**RB3, "steps": 10}),
        ({"lr": 0.5, "max_iter": 4}, RB),
        ({"line_search_fn": "strong_wolfe"}, {**RB, **F64, "steps": 10}),
        ({"line_search_fn": "strong_wolfe"}, {**RB3, "steps": 10}),
        ({"line_search_fn": "strong_wolfe", "max_iter": 3, "history_size": 2}, {**RB, **F64}),
        ({"line_search_fn": "strong_wolfe", "max_iter": 3, "history_size": 2}, RB1),
        (
            {"lr": 0.6, "line_search_fn": "strong_wolfe", "max_iter": 5, "max_eval": 6, "history_size": 4},
            {**RB, **F64},
        ),
        ({"lr": 0.6, "line_search_fn": "strong_wolfe", "max_iter": 5, "max_eval": 6, "history_size": 4}, RB3),
        ({"lr": 0.3, "max_iter": 2, "history_size": 3}, {**RB, "change": (8, "max_iter", 5)}),
        ({"line_search_fn": "strong_wolfe", "max_iter": 4, "tolerance_grad": 1e-3}, {**RB, "steps": 12}),
        # bracketing runs out of evaluations (small steps keep extrapolating)
        ({"lr": 0.01, "line_search_fn": "strong_wolfe", "max_iter": 4, "history_size": 2}, {**RB, **F64}),
        # zoom: insufficient progress near the bracket's ends
        ({"lr": 5, "line_search_fn": "strong_wolfe", "max_iter": 5, "max_eval": 4, "history_size": 3}, RB3),
        # zoom: t moved off the bracket's ends, old high becoming new low, reversed brackets
        ({"lr": 20, "line_search_fn": "strong_wolfe", "max_iter": 3}, WAVY),
        ({"lr": 20, "line_search_fn": "strong_wolfe", "max_iter": 4, "history_size": 2}, {**WAVY, **F64}),
        (
            {"lr": 2, "line_search_fn": "strong_wolfe", "max_iter": 8},
            {"loss": "wavy", "loss_kwargs": {"amp": 2.0, "freq": 3.0}},
        ),
        # matrices and longer vectors, on gentler landscapes
        (
            {"line_search_fn": "strong_wolfe", "max_iter": 5, "history_size": 5},
            {**RB1, "sizes": [[6, 5], [2, 5]], "steps": 10},
        ),
        (
            {"lr": 0.5, "max_iter": 4},
            {"loss": "wavy", "loss_kwargs": {"amp": 0.2, "freq": 1.0}, "sizes": [[20, 10], 56], "steps": 10},
        ),
        (
            {"line_search_fn": "strong_wolfe", "max_iter": 4, "history_size": 10},
            {"loss": "wavy", "loss_kwargs": {"amp": 0.2, "freq": 1.0}, "sizes": [[20, 10], 56], "steps": 10},
        ),
    ],
}
CLOSURE_STEPS = 15
CLOSURE_SIZES = [5, 3]


def run_closure_case(name: str, kwargs: dict, options: dict, dtype: str) -> dict:
    init = initial_params([options.get("sizes", CLOSURE_SIZES)], dtype)[0]
    tparams = [torch.tensor(a.copy()) for a in init]
    loss_fn = LOSSES[options["loss"]]

    def closure() -> float:
        loss, grads = loss_fn([p.detach().numpy() for p in tparams], **options["loss_kwargs"])
        for p, g in zip(tparams, grads):
            p.grad = torch.from_numpy(g)
        return float(loss)

    opt = getattr(torch.optim, name)(tparams, **kwargs)
    traj = [[] for _ in tparams]
    losses = []
    change = options.get("change")
    for step in range(options.get("steps", CLOSURE_STEPS)):
        if change and step == change[0]:
            opt.param_groups[0][change[1]] = change[2]
        losses.append(opt.step(closure))
        for k, p in enumerate(tparams):
            traj[k].append(p.detach().numpy().copy())
    return {"traj": [np.stack(t) for t in traj], "loss": np.array(losses)}


def run_case(name: str, kwargs: dict, options: dict, dtype: str) -> dict:
    sizes = options["groups"]
    init = initial_params(sizes, dtype)
    tparams = [[torch.tensor(a.copy()) for a in group] for group in init]
    group_kwargs = options.get("group_kwargs", [{}] * len(sizes))
    groups = [{"params": ps, **gk} for ps, gk in zip(tparams, group_kwargs)]
    opt = getattr(torch.optim, name)(groups, **kwargs)
    flat = [p for ps in tparams for p in ps]
    traj = [[] for _ in flat]
    change = options.get("lr_change")
    for step in range(STEPS):
        if change and step == change[0]:
            opt.param_groups[change[1]]["lr"] = change[2]
        for k, p in enumerate(flat):
            p.grad = torch.from_numpy(gradient(p.detach().numpy().copy(), k))
        opt.step()
        for k, p in enumerate(flat):
            traj[k].append(p.detach().numpy().copy())
    # The final state, by torch's keys: buffers and scalars the trajectory alone may not reveal.
    state = [
        {
            key: np.array(v.detach().numpy() if torch.is_tensor(v) else v)
            for key, v in opt.state[p].items()
            if v is not None
        }
        for p in flat
    ]
    return {"init": [a for g in init for a in g], "traj": [np.stack(t) for t in traj], "state": state}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    unknown = only - set(CASES) - set(CLOSURE_CASES)
    if unknown:
        sys.exit(f"no fixture cases for {sorted(unknown)}; known: {sorted({*CASES, *CLOSURE_CASES})}")
    for name, cases in CLOSURE_CASES.items():
        if only and name not in only:
            continue
        arrays = {}
        meta = []
        for i, (kwargs, options) in enumerate(cases):
            for dtype in options.get("dtypes", ["float64", "float32"]):
                key = f"c{len(meta)}"
                result = run_closure_case(name, kwargs, options, dtype)
                for k, a in enumerate(result["traj"]):
                    arrays[f"{key}_traj{k}"] = a
                arrays[f"{key}_loss"] = result["loss"]
                meta.append({
                    "key": key, "case": i, "kwargs": kwargs, "dtype": dtype,
                    "closure": options["loss"], "sizes": options.get("sizes", CLOSURE_SIZES),
                    "steps": options.get("steps", CLOSURE_STEPS), **options,
                })  # fmt: skip
        arrays["meta"] = np.array(json.dumps(meta))
        np.savez_compressed(OUT / f"{name}.npz", **arrays)
        print(f"{name}: {len(meta)} closure runs")
    for name, cases in CASES.items():
        if only and name not in only:
            continue
        arrays: dict[str, np.ndarray] = {}
        meta = []
        for i, (kwargs, options) in enumerate(cases):
            for dtype in options.get("dtypes", ["float64", "float32"]):
                key = f"c{len(meta)}"
                result = run_case(name, kwargs, options, dtype)
                for k, a in enumerate(result["traj"]):
                    arrays[f"{key}_traj{k}"] = a
                for k, s in enumerate(result["state"]):
                    for state_key, a in s.items():
                        arrays[f"{key}_state{k}_{state_key}"] = a
                meta.append({"key": key, "case": i, "kwargs": kwargs, "dtype": dtype, **options})
        arrays["meta"] = np.array(json.dumps(meta))
        np.savez_compressed(OUT / f"{name}.npz", **arrays)
        print(f"{name}: {len(meta)} runs of {STEPS} steps")


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    main()
