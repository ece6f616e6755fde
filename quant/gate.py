"""The CI accuracy gate: compare a results JSON with a committed baseline.

A quantized case is judged on its paired delta vs its baseline precision
(e.g. int8 AP minus fp32 AP on the same images): it fails when that delta got
worse than the committed one by more than max(absolute tolerance, half-width
of the delta's 95% paired-bootstrap CI).  A case without a delta (the baseline
precision itself) is judged on its value, with its own CI half-width.  A drop
inside the noise passes, a real drop fails.  Results on a
different dataset id never compare.  A case in the baseline but missing from the
results fails the gate unless it is listed in ``allow_missing`` (deselected on
purpose); a case with no baseline is reported and passes.

    python -m quant.gate results/odm.json results/llm.json --baseline bench/baselines/ci.json
    python -m quant.gate results/*.json --baseline bench/baselines/ci.json --write-baseline
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from quant.labels import case_label

DEFAULT_BASELINE = Path(__file__).resolve().parent.parent / "bench" / "baselines" / "ci.json"
DEFAULT_ABS_TOL = 0.005  # 0.5 points of a 0..1 fraction
GATED_METRICS = {"odm": ("AP", "AP50", "AR100"), "llm": ("acc", "top1", "top5")}


@dataclass(frozen=True)
class Check:
    case: str
    metric: str
    baseline: float | None
    value: float | None
    tolerance: float
    status: str   # "ok" | "DROP" | "missing" | "new" | "dataset" | "allowed-missing"

    @property
    def failed(self) -> bool:
        return self.status in ("DROP", "missing", "dataset")


def read_cases(paths: list[Path]) -> dict[str, dict]:
    """{case id: {dataset, metrics, ci, higher_is_better}} from pytest-benchmark JSON files."""
    cases: dict[str, dict] = {}
    for path in paths:
        try:
            benchmarks = json.loads(Path(path).read_text())["benchmarks"]
        except (OSError, ValueError, KeyError) as err:
            raise SystemExit(f"error: {path} is not a pytest-benchmark JSON ({type(err).__name__}: {err})")
        for bench in benchmarks:
            info = bench.get("extra_info") or {}
            if "family" not in info or info.get("workload") == "decode":
                continue
            gated = GATED_METRICS[info["family"]]
            cases[case_label(info)] = {
                "family": info["family"],
                "dataset": info.get("dataset"),
                "metrics": {m: info["metrics"][m] for m in gated if m in info.get("metrics", {})},
                "ci": {m: info["ci"][m] for m in gated if m in info.get("ci", {})},
                "delta": {m: info["delta"][m] for m in gated if m in info.get("delta", {})},
                "higher_is_better": {m: info.get("higher_is_better", {}).get(m, True) for m in gated},
            }
    return cases


def compare(results: dict[str, dict], baseline: dict[str, dict], abs_tol: float = DEFAULT_ABS_TOL,
            allow_missing: tuple[str, ...] = ()) -> list[Check]:
    checks: list[Check] = []
    for case, base in sorted(baseline.items()):
        current = results.get(case)
        if current is None:
            status = "allowed-missing" if case in allow_missing else "missing"
            checks.append(Check(case, "*", None, None, 0.0, status))
            continue
        if current["dataset"] != base["dataset"]:
            checks.append(Check(case, "dataset", None, None, 0.0, "dataset"))
            continue
        for metric, base_value in base["metrics"].items():
            value = current["metrics"].get(metric)
            if value is None:
                checks.append(Check(case, metric, base_value, None, 0.0, "missing"))
                continue
            if metric in base.get("delta", {}) and metric in current.get("delta", {}):
                # paired: compare the change vs the baseline precision, measured on the same samples
                label = f"{metric} vs {current['delta'][metric]['vs']}"
                base_value, value = base["delta"][metric]["value"], current["delta"][metric]["value"]
                low, high = current["delta"][metric]["ci"]
            else:
                label = metric
                low, high = current["ci"].get(metric, (value, value))
            tolerance = max(abs_tol, (high - low) / 2)
            worse_by = (base_value - value) if base["higher_is_better"].get(metric, True) else (value - base_value)
            checks.append(Check(case, label, base_value, value, tolerance, "DROP" if worse_by > tolerance else "ok"))
    for case in sorted(set(results) - set(baseline)):
        checks.append(Check(case, "*", None, None, 0.0, "new"))
    return checks


def table(checks: list[Check]) -> str:
    lines = [f"{'case':28} {'metric':15} {'baseline':>9} {'now':>9} {'change':>8} {'tol':>7}  status"]
    for c in checks:
        if c.value is None or c.baseline is None:
            lines.append(f"{c.case:28} {c.metric:15} {'':>9} {'':>9} {'':>8} {'':>7}  {c.status}")
            continue
        lines.append(f"{c.case:28} {c.metric:15} {c.baseline:9.4f} {c.value:9.4f} {c.value - c.baseline:+8.4f} "
                     f"{c.tolerance:7.4f}  {c.status}")
    return "\n".join(lines)


def run_gate(result_paths: list[Path], baseline_path: Path, abs_tol: float = DEFAULT_ABS_TOL,
             allow_missing: tuple[str, ...] = ()) -> tuple[bool, str]:
    """(passed, printable table) for the results against the baseline file."""
    if not Path(baseline_path).is_file():
        raise SystemExit(f"error: no baseline at {baseline_path}; write one with --write-baseline from a reference run")
    baseline = json.loads(Path(baseline_path).read_text())["cases"]
    checks = compare(read_cases(result_paths), baseline, abs_tol, allow_missing)
    failed = [c for c in checks if c.failed]
    verdict = f"gate: {'FAILED' if failed else 'passed'} ({len(failed)} of {len(checks)} checks failed)"
    return not failed, table(checks) + "\n" + verdict


def write_baseline(result_paths: list[Path], baseline_path: Path) -> None:
    cases = read_cases(result_paths)
    payload = {
        "about": "accuracy baseline for the CI gate; refresh with: python -m quant.gate RESULTS.json... --write-baseline",
        "sources": [str(p) for p in result_paths],
        "cases": cases,
    }
    Path(baseline_path).parent.mkdir(parents=True, exist_ok=True)
    Path(baseline_path).write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quant.gate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", type=Path, help="pytest-benchmark JSON files")
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    parser.add_argument("--abs-tol", type=float, default=DEFAULT_ABS_TOL, help="minimum tolerance (fraction)")
    parser.add_argument("--allow-missing", action="append", default=[], metavar="CASE",
                        help="a baseline case deselected on purpose (repeatable)")
    parser.add_argument("--write-baseline", action="store_true", help="write the baseline from the results instead")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.results if not p.is_file()]
    if missing:
        print(f"error: no such results file: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.write_baseline:
        write_baseline(args.results, args.baseline)
        print(f"wrote {args.baseline}")
        return 0
    passed, report = run_gate(args.results, args.baseline, args.abs_tol, tuple(args.allow_missing))
    print(report)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
