"""Writes tests/fixtures/optim/<Name>.npz: torch.optim trajectories the tests compare against.

Needs torch (``make fixtures`` installs torch==2.13.0 into the venv); ``make test`` does not run it.
Each case: an optimizer, its arguments, a dtype, param groups, and the parameters after every step
of a run on the gradient field in tests/optim_field.py, with the optimizer state after the last
step (fixtures written before that was recorded lack it). Some cases change a group's lr mid-run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from optim_field import gradient, initial_params  # noqa: E402

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
