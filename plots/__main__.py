"""python -m plots RESULTS.json [MORE.json ...] --out DIR: figures from one or more benchmark JSONs."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from plots.figures import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plots", description=__doc__)
    parser.add_argument("json", nargs="+", type=Path, help="pytest-benchmark JSON files (merged)")
    parser.add_argument("--out", type=Path, default=Path("results/plots"), help="output folder")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.json if not p.is_file()]
    if missing:
        print(f"error: no such results file: {', '.join(missing)}", file=sys.stderr)
        return 2
    written, skipped = render(args.json, args.out)
    for path in written:
        print(f"wrote {path}")
    for reason in skipped:
        print(f"skipped {reason}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
