"""python -m quant.llm.search: the int4 GPTQ configuration search, as a Markdown table.

Quantizes one model at 4 bits under several (group size, symmetric, desc_act,
calibration size) settings and scores each on the same LAMBADA passages,
with paired deltas vs fp32.  Everything goes through the normal cache, so a
configuration already built or scored is reused.

    python -m quant.llm.search --lambada-path ../shared/lambada/lambada_test.jsonl --lambada-n 500
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from quant.cache import Cache
from quant.errors import BenchInputError
from quant.llm.metrics import kl_and_agreement, per_passage_values, summarize
from quant.llm.pipeline import LlmPipeline, LlmSettings
from quant.registry import Case
from quant.results import deltas
from quant.stats import bootstrap_indices

# (group size, symmetric, desc_act, calibration samples, tokens per sample): grid first, then the
# calibration-size axis around the best grid (GPTQModel warns below 256 samples)
CONFIGS = (
    (64, True, False, 128, 256),
    (32, False, False, 128, 256),
    (32, False, True, 128, 256),
    (32, True, False, 128, 256),
    (32, False, True, 32, 256),
    (32, False, True, 256, 256),
)


def metrics_of(pipeline: LlmPipeline, case: Case, reference):
    evaluation = pipeline.evaluate(case)
    values = per_passage_values(evaluation.scores)
    if reference is not None:
        values.update(kl_and_agreement(reference.first_logprobs, evaluation.first_logprobs))
    resamples = bootstrap_indices(len(evaluation.scores.greedy), pipeline.settings.n_resamples, pipeline.settings.seed)
    return summarize(values, evaluation.scores.loglikelihood, resamples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quant.llm.search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--lambada-path", type=Path, default=None)
    parser.add_argument("--lambada-n", type=int, default=500)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rows", default=None, help="comma list of 1-based rows of CONFIGS to run (default: all)")
    args = parser.parse_args(argv)
    try:
        rows = [CONFIGS[int(i) - 1] for i in args.rows.split(",")] if args.rows else list(CONFIGS)
    except (ValueError, IndexError):
        print(f"error: --rows {args.rows!r}: give numbers 1..{len(CONFIGS)}, e.g. --rows 5,6", file=sys.stderr)
        return 2
    cache = Cache(args.cache_dir)
    base = LlmSettings(lambada_path=args.lambada_path, lambada_n=args.lambada_n, threads=args.threads)
    try:
        pipeline = LlmPipeline(base, cache)
        fp32 = Case(args.model, "fp32")
        reference = pipeline.evaluate(fp32)
        ref_metrics, _, ref_resampled = metrics_of(pipeline, fp32, None)
        print(f"fp32: acc {ref_metrics['acc']:.4f} ppl {ref_metrics['ppl']:.2f} on {args.lambada_n} passages", flush=True)
        print("| group | sym | desc_act | calibration | acc [95% CI] | Δacc vs fp32 [95% CI] (points) | ppl | KL | quantize s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for group, sym, desc_act, calib_n, calib_len in rows:
            settings = dataclasses.replace(base, group_size=group, sym=sym, desc_act=desc_act,
                                           calib_n=calib_n, calib_len=calib_len)
            candidate = LlmPipeline(settings, cache)
            case = Case(args.model, "int4")
            start = time.perf_counter()
            candidate.artifact(case)
            built = time.perf_counter() - start
            metrics, ci, resampled = metrics_of(candidate, case, reference)
            delta = deltas(metrics, resampled, ref_metrics, ref_resampled, "fp32")["acc"]
            print(f"| {group} | {sym} | {desc_act} | {calib_n}x{calib_len} | {metrics['acc']:.4f} "
                  f"[{ci['acc'][0]:.4f}, {ci['acc'][1]:.4f}] | {delta['value'] * 100:+.1f} "
                  f"[{delta['ci'][0] * 100:+.1f}, {delta['ci'][1] * 100:+.1f}] | {metrics['ppl']:.1f} | "
                  f"{metrics['kl']:.3f} | {built:.0f} |", flush=True)
    except BenchInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
