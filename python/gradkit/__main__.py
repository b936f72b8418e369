"""``python -m gradkit --version`` prints the installed version."""

from __future__ import annotations

import argparse

from . import __version__, get_num_threads


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gradkit", description=__doc__)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    args = parser.parse_args()
    if args.version:
        print(__version__)
    else:
        print(f"gradkit {__version__} ({get_num_threads()} threads)")


if __name__ == "__main__":
    main()
