"""Where a standalone benchmark script puts its table: a results file and a block of the README.

``untuned.py`` and ``estimator_features.py`` each write their table to ``benchmarks/results/`` and
between their own markers in the README (``<!-- name:begin -->`` ... ``<!-- name:end -->``), so the
README quotes exactly what the script measured (tests/test_readme.py checks that the two agree).
"""

from __future__ import annotations

import argparse
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def write_table(text: str, out: Path | None, marker: str | None) -> None:
    """Writes text to out (if given) and between the README's ``marker`` block (if given)."""
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"wrote {out}")
    if marker is None:
        return
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    readme = README.read_text()
    start, stop = readme.find(begin), readme.find(end)
    if start < 0 or stop < start:
        raise SystemExit(f"the README has no {begin} ... {end} block to write the table into")
    README.write_text(readme[: start + len(begin)] + "\n" + text.strip() + "\n" + readme[stop:])
    print(f"wrote its table into {README}")


def add_table_arguments(parser: argparse.ArgumentParser) -> None:
    """The options both scripts take: threads a side, seeds, a quick smoke run, where to write."""
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-readme", action="store_true", help="leave the README's table alone")
