"""Run tests/test_fuzz.py with a large budget and write benchmarks/results/fuzz.md (`make fuzz`).

The budget is examples per fuzz target (``--examples``, default 260: 45 targets, >= 10,000 examples in
all); the counts are (examples that reached the property, counted by the test).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "fuzz.md"


BUGS = [
    "Found and fixed (tests/test_fuzz_regressions.py):",
    "- a schedule step that raised (torch's ZeroDivisionError of ConstantLR(factor=0) or CosineAnnealingLR(T_max=0),",  # noqa: E501
    "  a LambdaLR/MultiplicativeLR function that raises) had already advanced last_epoch and _step_count;",
    "- a scheduler whose first step raised (LambdaLR(opt, lambda e: 1 / 0)) left initial_lr in the optimizer;",  # noqa: E501
    "- MLP partial_fit with early_stopping=True, and fit with a validation_fraction that leaves no sample on one side,",  # noqa: E501
    "  were refused after the weights were drawn (coefs_ left behind).",
    "- CyclicLR, OneCycleLR and ReduceLROnPlateau constructors that refused their arguments had already written into",  # noqa: E501
    "  the optimizer's param groups (initial_lr, momentum, or an lr clipped to min_lr/max_lr): now put back",
    "  (lr_scheduler.restores_param_groups; tests/test_fuzz.py covers them).",
    "- clip_grad_value_ with a NaN clip_value kept the gradient (torch's clamp makes it NaN): fixed in the core;",  # noqa: E501
    "- an LBFGS whose closure returned a NaN loss (kept as prev_loss, as torch) refused its own state_dict:",
    "  a state's numbers may be NaN but for its counts (step, n_iter, func_evals);",
    "- SequentialLR/ChainedScheduler: a sub-scheduler raising in a step (ZeroDivisionError, a lambda's error)",  # noqa: E501
    "  left the earlier sub-schedulers stepped; SequentialLR with non-numeric milestones reset the lrs and the",  # noqa: E501
    "  sub-schedulers before failing; SequentialLR(last_epoch=nan) was accepted with a state that could not",
    "  load back; ChainedScheduler([object()]) raised AttributeError: now all refused with nothing changed.",
    "- CyclicLR, OneCycleLR and CosineAnnealingWarmRestarts counted a step before the value that may fail",
    "  (OneCycleLR past total_steps): a refused step had advanced last_epoch (lr_scheduler.restores_on_error);",  # noqa: E501
    "  CyclicLR with a NaN step size was accepted with a state that could not load back (torch refuses it).",
    "- States a scheduler wrote that its own load_state_dict refused: a NaN argument torch accepts (ConstantLR's",  # noqa: E501
    "  factor, PolynomialLR's power, ReduceLROnPlateau's eps, ...; now NaN is refused only in base rates, and",  # noqa: E501
    "  CyclicLR/OneCycleLR refuse a NaN base or peak rate), an int past int64 (cycle_momentum).",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=260, help="examples per fuzz target")
    args = parser.parse_args()
    counts_path = ROOT / "build" / "fuzz_counts.json"
    counts_path.parent.mkdir(exist_ok=True)
    counts_path.unlink(missing_ok=True)
    env = {**os.environ, "GRADKIT_FUZZ_EXAMPLES": str(args.examples), "GRADKIT_FUZZ_COUNTS": str(counts_path)}
    start = time.perf_counter()
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore"]
    run = subprocess.run([*pytest, "tests/test_fuzz.py"], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    print(run.stdout[-3000:], run.stderr[-2000:], sep="\n")
    counts = json.loads(counts_path.read_text()) if counts_path.exists() else {}
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "(no output)"
    total = sum(counts.values())
    lines = [
        "# Fuzzing (tests/test_fuzz.py, hypothesis)",
        "",
        f"`make fuzz` (`python benchmarks/fuzz_report.py --examples {args.examples}`): "
        f"{total} examples run over {len(counts)} targets in {seconds / 60:.1f} min; pytest: `{summary}`; "
        f"exit status {run.returncode} (a crash of the interpreter would be a signal, e.g. -11).",
        "",
        "Property: no crash; an input is refused with TypeError/ValueError leaving every array and all",
        "state bit-identical, or accepted and consistent (a step equals the same step on fresh contiguous",
        "copies; sane inputs give finite outputs).",
        "",
        *BUGS,
        "",
        "| target | examples run |",
        "|---|---:|",
        *[f"| {name} | {n} |" for name, n in sorted(counts.items())],
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
