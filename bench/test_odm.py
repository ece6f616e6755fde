"""Object-detection benchmark cases: one per (model, precision) in the registry.

Each case asks the pipeline for its cached artifact and evaluation, times
interpreter invoke over the fixed timing list with pytest-benchmark, writes the
result schema into ``extra_info`` and asserts the floors in bench/floors.toml.
"""
from __future__ import annotations

import itertools

import pytest

from fixtures.benchmarking import median_seconds
from quant.floors import check_floor, floors_for
from quant.registry import Case, get_model
from quant.results import ResultInfo

pytestmark = pytest.mark.odm


def test_odm(odm_case: Case, odm_pipeline, benchmark):
    spec = get_model(odm_case.model)
    info: ResultInfo = odm_pipeline.accuracy_info(odm_case)

    detector = odm_pipeline.detector(odm_case)
    inputs = odm_pipeline.timing_inputs(odm_case)
    next_input = itertools.cycle(inputs)
    benchmark.pedantic(
        detector.invoke,
        setup=lambda: detector.set_input(next(next_input)),  # not timed: same images for every precision
        rounds=len(inputs) * odm_pipeline.settings.timing_passes,
        warmup_rounds=2,
    )
    metrics = info["metrics"]
    if (median := median_seconds(benchmark)) is not None:  # None in the xdist build pass
        metrics["seconds_per_image"] = median
    metrics["e2e_seconds_per_image"] = odm_pipeline.end_to_end_seconds_per_image(odm_case)
    info["higher_is_better"] = {name: not name.endswith("seconds_per_image") for name in metrics}
    benchmark.extra_info.update(info)

    baseline = odm_pipeline.evaluate(Case(spec.name, spec.baseline)).metrics
    failures = [
        message
        for floor in floors_for(spec.name, odm_case.precision)
        if (message := check_floor(floor, metrics[floor.metric], baseline[floor.metric] if floor.baseline else None))
    ]
    assert not failures, "; ".join(failures)


@pytest.mark.slow
def test_odm_fp32_tflite_matches_tf_graph(odm_pipeline):
    """Conversion fidelity: the fp32 .tflite's AP is the un-converted graph's within 0.3 points."""
    tflite = odm_pipeline.evaluate(Case("ssdlite_mobilenet_v2", "fp32")).metrics["AP"]
    graph = odm_pipeline.evaluate_tf_graph("ssdlite_mobilenet_v2").metrics["AP"]
    assert abs(tflite - graph) <= 0.003, f"fp32 .tflite AP {tflite:.4f} vs TF graph AP {graph:.4f}: differ by more than 0.3 points"
