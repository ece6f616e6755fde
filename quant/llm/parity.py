"""Engine parity: do two GPTQ engines give the same LAMBADA accuracy on the same cases?

Reads two pytest-benchmark JSON files (e.g. results/llm.json from GPTQModel
and results/llm_autogptq.json from AutoGPTQ), pairs the cases with the same
model, precision and dataset, and computes the paired bootstrap 95% interval
of the accuracy difference from the per-passage outcomes each case stores in
``extra_info["per_sample"]``.  Engines agree on a case when that interval
contains 0.  Exit status: 0 all agree, 1 some disagree, 2 nothing to compare
or unreadable input.

    python -m quant.llm.parity results/llm.json results/llm_autogptq.json
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quant.results import unpack_outcomes
from quant.stats import DEFAULT_SEED, bootstrap_indices, paired_delta

DEFAULT_RESAMPLES = 1000


@dataclass(frozen=True)
class Pair:
    model: str
    precision: str
    engines: tuple[str, str]
    n: int
    acc: tuple[float, float]
    delta: float
    ci: tuple[float, float]
    same_outcome: float      # fraction of passages both engines got equally right/wrong

    @property
    def agree(self) -> bool:
        return self.ci[0] <= 0.0 <= self.ci[1]


def read_llm_cases(path: Path) -> dict[tuple[str, str, str], dict]:
    """{(model, precision, dataset): extra_info} of the LLM accuracy entries that carry per-passage outcomes."""
    try:
        benchmarks = json.loads(Path(path).read_text())["benchmarks"]
    except (OSError, ValueError, KeyError) as err:
        raise SystemExit(f"error: {path} is not a pytest-benchmark JSON ({type(err).__name__}: {err})") from None
    cases = {}
    for bench in benchmarks:
        info = bench.get("extra_info") or {}
        if info.get("family") == "llm" and info.get("workload") != "decode" and "acc" in info.get("per_sample", {}):
            cases[(info["model"], info["precision"], info["dataset"])] = info
    return cases


def compare(reference: dict, candidate: dict, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> list[Pair]:
    pairs = []
    for key in sorted(set(reference) & set(candidate)):
        ref, cand = reference[key], candidate[key]
        n = ref["n_samples"]
        a = unpack_outcomes(ref["per_sample"]["acc"], n).astype(float)
        b = unpack_outcomes(cand["per_sample"]["acc"], n).astype(float)
        resamples = bootstrap_indices(n, n_resamples, seed)
        delta, ci = paired_delta(b.mean(), a.mean(), b[resamples].mean(axis=1), a[resamples].mean(axis=1))
        pairs.append(Pair(key[0], key[1], (ref["engine"], cand["engine"]), n, (float(a.mean()), float(b.mean())),
                          delta, ci, float((a == b).mean())))
    return pairs


def table(pairs: list[Pair]) -> str:
    lines = [f"{'case':22} {'engines':28} {'n':>5} {'acc A':>7} {'acc B':>7} {'B-A (pt)':>9} {'95% CI (pt)':>16} "
             f"{'same':>6}  verdict"]
    for p in pairs:
        lines.append(
            f"{p.model + '-' + p.precision:22} {' vs '.join(p.engines):28} {p.n:5d} {p.acc[0]:7.4f} {p.acc[1]:7.4f} "
            f"{100 * p.delta:+9.2f} {f'[{100 * p.ci[0]:+.2f}, {100 * p.ci[1]:+.2f}]':>16} {p.same_outcome:6.3f}  "
            f"{'agree' if p.agree else 'DIFFER'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quant.llm.parity", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reference", type=Path, help="benchmark JSON of engine A (e.g. results/llm.json)")
    parser.add_argument("candidate", type=Path, help="benchmark JSON of engine B (e.g. results/llm_autogptq.json)")
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES)
    args = parser.parse_args(argv)
    for path in (args.reference, args.candidate):
        if not path.is_file():
            print(f"error: no such results file: {path}; run `nox -s llm` and `nox -s llm_autogptq` first",
                  file=sys.stderr)
            return 2
    pairs = [p for p in compare(read_llm_cases(args.reference), read_llm_cases(args.candidate), args.resamples)
             if p.engines[0] != p.engines[1]]
    if not pairs:
        print("error: no case (same model, precision and LAMBADA subset) was built by different engines in the two "
              "files; run both sessions with the same --models/--lambada-n", file=sys.stderr)
        return 2
    print(table(pairs))
    differ = [p for p in pairs if not p.agree]
    print(f"parity: {'FAILED' if differ else 'passed'} ({len(differ)} of {len(pairs)} cases differ beyond the paired 95% CI)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
