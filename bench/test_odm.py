"""Object-detection benchmark cases: one per (model, precision) in the registry.

Each case asks the pipeline for its cached artifact and evaluation, times
interpreter invoke over the fixed timing list with pytest-benchmark, writes the
result schema into ``extra_info`` and asserts the floors in bench/floors.toml.
"""
from __future__ import annotations

import itertools

import pytest

from quant.floors import check_floor, floors_for
from quant.registry import Case, get_model
from quant.results import ResultInfo, deltas, intervals

pytestmark = pytest.mark.odm


def test_odm(odm_case: Case, odm_pipeline, benchmark):
    spec = get_model(odm_case.model)
    artifact = odm_pipeline.artifact(odm_case)
    evaluation = odm_pipeline.evaluate(odm_case)
    baseline_case = Case(spec.name, spec.baseline)
    baseline = evaluation if baseline_case == odm_case else odm_pipeline.evaluate(baseline_case)

    detector = odm_pipeline.detector(odm_case)
    inputs = odm_pipeline.timing_inputs(odm_case)
    next_input = itertools.cycle(inputs)
    benchmark.pedantic(
        detector.invoke,
        setup=lambda: detector.set_input(next(next_input)),  # not timed: same images for every precision
        rounds=len(inputs) * odm_pipeline.settings.timing_passes,
        warmup_rounds=2,
    )
    metrics = dict(evaluation.metrics)
    metrics["seconds_per_image"] = benchmark.stats.stats.median
    metrics["e2e_seconds_per_image"] = odm_pipeline.end_to_end_seconds_per_image(odm_case)

    info: ResultInfo = {
        "family": "odm",
        "model": spec.name,
        "precision": odm_case.precision,
        "engine": "litert",
        "metrics": metrics,
        "ci": intervals(evaluation.resampled),
        "delta": {} if baseline is evaluation else deltas(
            evaluation.metrics, evaluation.resampled, baseline.metrics, baseline.resampled, spec.baseline
        ),
        "higher_is_better": {name: not name.endswith("seconds_per_image") for name in metrics},
        "n_samples": evaluation.n_images,
        "size_bytes": artifact.size_bytes,
        "dataset": odm_pipeline.dataset.dataset_id,
        "artifact": artifact.key,
        "threads": odm_pipeline.settings.threads,
        "notes": list(spec.notes),
    }
    benchmark.extra_info.update(info)

    failures = [
        message
        for floor in floors_for(spec.name, odm_case.precision)
        if (message := check_floor(
            floor, metrics[floor.metric], baseline.metrics[floor.metric] if floor.baseline else None
        ))
    ]
    assert not failures, "; ".join(failures)


@pytest.mark.slow
def test_odm_fp32_tflite_matches_tf_graph(odm_pipeline):
    """Conversion fidelity: the fp32 .tflite's AP is the un-converted graph's within 0.3 points."""
    tflite = odm_pipeline.evaluate(Case("ssdlite_mobilenet_v2", "fp32")).metrics["AP"]
    graph = odm_pipeline.evaluate_tf_graph("ssdlite_mobilenet_v2").metrics["AP"]
    assert abs(tflite - graph) <= 0.003, f"fp32 .tflite AP {tflite:.4f} vs TF graph AP {graph:.4f}: differ by more than 0.3 points"
