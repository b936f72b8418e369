"""Runs every benchmark script and writes benchmarks/results.md, which the README quotes.

Each script runs in a process of its own, one after another (never two at once, so that neither takes
the other's cores), and writes its table to ``benchmarks/results/<script>.md``; this script then
puts those tables together under one header (date, machine, library versions) in
``benchmarks/results.md`` and copies that text into the README between the markers
``<!-- benchmark-results:begin -->`` and ``<!-- benchmark-results:end -->``, so that every number
the README quotes comes from this run.

Run: ``make bench-all`` or ``python benchmarks/run_all.py [--threads N] [--no-memory]
[--no-readme]``; ``--quick`` makes smoke runs of every script and writes into a scratch folder,
leaving benchmarks/ and the README alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
BEGIN, END = "<!-- benchmark-results:begin -->", "<!-- benchmark-results:end -->"

# (script, title, extra arguments of a full run)
BENCHMARKS = [
    ("optimizer_step.py", "One optimizer step on large arrays (gradkit, NumPy, torch)", []),
    ("mlp_vs_sklearn.py", "gradkit.MLPClassifier vs scikit-learn's MLPClassifier (and a PyTorch loop)", []),
]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def versions() -> str:
    found = []
    for name in ("gradkit", "numpy", "scikit-learn", "torch"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} not installed")
    return ", ".join(found)


def header(threads: int) -> str:
    return (
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu_model()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; {versions()}. "
        f"Every side was given {threads} thread(s); each table says how each side used them."
    )


def run(script: str, arguments: list[str]) -> None:
    command = [sys.executable, str(HERE / script), *arguments]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True)


def assemble(tables: dict[str, str], threads: int) -> str:
    parts = ["# gradkit benchmark results", "", header(threads), ""]
    for script, title, _ in BENCHMARKS:
        parts += [f"## {title}", "", f"`benchmarks/{script}`:", "", tables[script].strip(), ""]
    return "\n".join(parts)


def replace_between_markers(text: str, body: str) -> str:
    """text with what lies between BEGIN and END replaced by body; a ValueError if a marker is missing."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no {BEGIN} ... {END} block to write the results into")
    return text[: start + len(BEGIN)] + "\n" + body.strip() + "\n" + text[end:]


def readme_block(results: str) -> str:
    """results.md as the README quotes it: without its own title, its headings one level down."""
    lines = results.strip().splitlines()[1:]
    return "\n".join("#" + line if line.startswith("## ") else line for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=os.cpu_count(), help="for every side (default: all cores)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke runs into a scratch folder; nothing is rewritten"
    )
    parser.add_argument(
        "--no-memory", action="store_true", help="leave out the 1 GB peak-memory fit (needs ~3 GB)"
    )
    parser.add_argument(
        "--no-readme", action="store_true", help="write benchmarks/results.md but not the README"
    )
    options = parser.parse_args()

    out_dir = Path(tempfile.mkdtemp(prefix="gradkit-bench-")) if options.quick else HERE / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {}
    for script, _, extra in BENCHMARKS:
        arguments = ["--threads", str(options.threads), *extra]
        if script == "mlp_vs_sklearn.py" and not options.no_memory:
            arguments.append("--memory")
        if options.quick:
            arguments.append("--quick")
        target = out_dir / script.replace(".py", ".md")
        run(script, [*arguments, "--out", str(target)])
        tables[script] = target.read_text()

    results = assemble(tables, options.threads)
    results_path = out_dir / "results.md" if options.quick else HERE / "results.md"
    results_path.write_text(results)
    print(f"wrote {results_path}")
    if not options.quick and not options.no_readme:
        README.write_text(replace_between_markers(README.read_text(), readme_block(results)))
        print(f"wrote its tables into {README}")


if __name__ == "__main__":
    main()
