"""LLM benchmark cases: one per (model, precision) in the registry.

``test_llm`` scores LAMBADA (cached), writes the result schema into
``extra_info``, times prefill with pytest-benchmark and asserts the floors in
bench/floors.toml; ``test_llm_decode`` times greedy decoding apart.  Deltas are
taken against the precision with the same compute dtype (see
``LlmPipeline.delta_baseline``); KL and top-1 agreement are against fp32.
"""
from __future__ import annotations

import numpy as np
import pytest

from fixtures.benchmarking import median_seconds, skip_if_timing_disabled
from quant.floors import check_floor, floors_for
from quant.llm.metrics import HIGHER_IS_BETTER, kl_and_agreement, per_passage_values, summarize
from quant.registry import Case
from quant.results import ResultInfo, deltas, pack_outcomes
from quant.stats import bootstrap_indices

pytestmark = pytest.mark.llm

REFERENCE = "fp32"


def case_metrics(pipeline, case: Case):
    """(metrics, ci, resampled, per-passage acc) of ``case``: accuracy, ppl and, vs fp32, KL and top-1 agreement."""
    evaluation = pipeline.evaluate(case)
    scores = evaluation.scores
    values = per_passage_values(scores)
    if case.precision != REFERENCE:
        reference = pipeline.evaluate(Case(case.model, REFERENCE))
        values.update(kl_and_agreement(reference.first_logprobs, evaluation.first_logprobs))
    resamples = bootstrap_indices(len(scores.loglikelihood), pipeline.settings.n_resamples, pipeline.settings.seed)
    return (*summarize(values, scores.loglikelihood, resamples), scores.greedy)


def test_llm(llm_case: Case, llm_pipeline, benchmark):
    spec = llm_case.spec
    metrics, ci, resampled, passage_acc = case_metrics(llm_pipeline, llm_case)
    baseline_name = llm_pipeline.delta_baseline(llm_case.precision)
    delta = {}
    if baseline_name:
        base_metrics, _, base_resampled, _ = case_metrics(llm_pipeline, Case(spec.name, baseline_name))
        delta = deltas(metrics, resampled, base_metrics, base_resampled, baseline_name)

    model = llm_pipeline.model(llm_case)
    prompts = llm_pipeline.timing_prompts(spec, llm_pipeline.settings.prefill_len)
    from quant.llm.scoring import prefill

    benchmark.pedantic(prefill, args=(model, prompts), rounds=5, warmup_rounds=1)
    if (median := median_seconds(benchmark)) is not None:  # None in the xdist build pass
        metrics["prefill_tokens_per_s"] = len(prompts) * len(prompts[0]) / median

    artifact = llm_pipeline.artifact(llm_case)
    info: ResultInfo = {
        "family": "llm",
        "model": spec.name,
        "precision": llm_case.precision,
        "engine": _engine(llm_pipeline, llm_case),
        "metrics": metrics,
        "ci": ci,
        "delta": delta,
        "higher_is_better": {name: HIGHER_IS_BETTER.get(name, True) for name in metrics},
        "n_samples": len(llm_pipeline.lambada.passages),
        "size_bytes": artifact.size_bytes,
        "dataset": llm_pipeline.lambada.dataset_id,
        "artifact": artifact.key,
        "threads": llm_pipeline.settings.threads,
        "notes": list(spec.notes),
        # per-passage outcomes, so runs in other environments (AutoGPTQ) can be compared pairwise
        "per_sample": {"acc": pack_outcomes(passage_acc)},
    }
    if llm_case.precision.startswith("int"):
        info["quantization"] = _gptq_info(llm_pipeline, llm_case)
        info["notes"].append("GPTQ quantizes the decoder's linear layers; embeddings and LM head stay fp16 on disk")
        if llm_pipeline.settings.eval_compute == "dequant-fp32":
            info["notes"].append(
                "accuracy from the GPTQ weights unpacked to fp32 layers (same weights, fp32 compute); "
                "speed from the engine's real quantized kernels"
            )
    benchmark.extra_info.update(info)

    if "kl" in metrics:
        assert np.isfinite(metrics["kl"]), f"{llm_case.id}: KL vs fp32 is {metrics['kl']} (not finite)"
    base_values = {}
    for floor in floors_for(spec.name, llm_case.precision):
        if floor.baseline and floor.baseline not in base_values:
            base_values[floor.baseline] = case_metrics(llm_pipeline, Case(spec.name, floor.baseline))[0]
    failures = [
        message
        for floor in floors_for(spec.name, llm_case.precision)
        if (message := check_floor(
            floor, metrics[floor.metric], base_values[floor.baseline][floor.metric] if floor.baseline else None
        ))
    ]
    assert not failures, "; ".join(failures)


def _engine(pipeline, case: Case) -> str:
    return pipeline.settings.engine if case.precision.startswith("int") else "transformers"


def _gptq_info(pipeline, case: Case) -> dict:
    import dataclasses

    return dataclasses.asdict(pipeline.gptq_config(case)) | {"backend": pipeline.settings.backend}


def test_llm_decode(llm_case: Case, llm_pipeline, benchmark):
    """Greedy decode tokens/s: prompts prefilled in the untimed setup, then N steps timed."""
    from quant.llm.scoring import decode_steps, start_decode

    skip_if_timing_disabled(benchmark)
    settings = llm_pipeline.settings
    model = llm_pipeline.model(llm_case)
    prompts = llm_pipeline.timing_prompts(llm_case.spec, settings.decode_prompt_len)

    def setup():
        cache, next_tokens = start_decode(model, prompts)
        return (model, cache, next_tokens, settings.decode_steps), {}

    benchmark.pedantic(decode_steps, setup=setup, rounds=5, warmup_rounds=1)
    median = median_seconds(benchmark)
    benchmark.extra_info.update({
        "family": "llm",
        "model": llm_case.model,
        "precision": llm_case.precision,
        "workload": "decode",
        "engine": _engine(llm_pipeline, llm_case),
        "metrics": {"decode_tokens_per_s": len(prompts) * settings.decode_steps / median},
        "threads": settings.threads,
    })
    assert median > 0
