"""The CI gate: unit checks on hand-made results, and proof that it bites on a genuinely degraded int8.

The bite test converts the real detector twice on real COCO images: int8
calibrated as the suite does (train2017), and int8 calibrated on one blank grey
image.  The gate must fail the second against a baseline written from the
first, and pass a rerun of the first.  It needs COCO (``COCO_DIR`` or
../shared/coco) and takes about a minute.
"""
import json
import os
from pathlib import Path

import numpy as np
import pytest

from quant.gate import compare, run_gate, write_baseline


def results_file(path: Path, cases: list[dict]) -> Path:
    path.write_text(json.dumps({"benchmarks": [{"extra_info": info} for info in cases]}))
    return path


def odm_info(precision: str, ap: float, delta: float | None = None, half_width: float = 0.004) -> dict:
    info = {"family": "odm", "model": "m", "precision": precision, "dataset": "d",
            "metrics": {"AP": ap}, "ci": {"AP": [ap - 0.03, ap + 0.03]}, "higher_is_better": {"AP": True}}
    if delta is not None:
        info["delta"] = {"AP": {"value": delta, "ci": [delta - half_width, delta + half_width], "vs": "fp32"}}
    return info


def test_drop_inside_noise_passes_and_outside_fails(tmp_path):
    baseline = tmp_path / "base.json"
    write_baseline([results_file(tmp_path / "a.json", [odm_info("fp32", 0.30), odm_info("int8", 0.29, -0.010)])], baseline)
    small = results_file(tmp_path / "b.json", [odm_info("fp32", 0.30), odm_info("int8", 0.287, -0.013)])
    large = results_file(tmp_path / "c.json", [odm_info("fp32", 0.30), odm_info("int8", 0.27, -0.030)])
    assert run_gate([small], baseline)[0]
    passed, report = run_gate([large], baseline)
    assert not passed and "DROP" in report and "m-int8" in report


def test_missing_case_fails_unless_deselected_and_other_data_never_compares(tmp_path):
    baseline = json.loads(json.dumps({"m-fp32": {"dataset": "d", "metrics": {"AP": 0.3}, "ci": {}, "delta": {},
                                                 "higher_is_better": {"AP": True}}}))
    assert compare({}, baseline)[0].failed
    assert not compare({}, baseline, allow_missing=("m-fp32",))[0].failed
    other = {"m-fp32": {"dataset": "other", "metrics": {"AP": 0.3}, "ci": {}, "delta": {}, "higher_is_better": {}}}
    assert compare(other, baseline)[0].status == "dataset"


def _coco_dir() -> Path | None:
    candidates = [os.environ.get("COCO_DIR"), Path(__file__).resolve().parents[2] / "shared" / "coco"]
    return next((Path(c) for c in candidates if c and (Path(c) / "train2017").is_dir()), None)


@pytest.mark.odm
@pytest.mark.slow
def test_gate_bites_on_int8_calibrated_on_a_blank_image(tmp_path):
    coco = _coco_dir()
    if coco is None:
        pytest.skip("needs COCO with train2017 (set COCO_DIR)")
    from PIL import Image

    from quant.cache import Cache
    from quant.odm.pipeline import OdmPipeline, OdmSettings
    from quant.registry import Case

    blank = tmp_path / "blank"
    blank.mkdir()
    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(blank / "blank.jpg")
    common = dict(coco_dir=coco, coco_n=60, n_resamples=100)
    cases = [Case("ssdlite_mobilenet_v2", "fp32"), Case("ssdlite_mobilenet_v2", "int8")]

    def run(name: str, **settings) -> Path:
        # a fresh cache per run: every run converts and evaluates for real
        pipeline = OdmPipeline(OdmSettings(**common, **settings), Cache(tmp_path / f"cache-{name}"))
        return results_file(tmp_path / f"{name}.json", [pipeline.accuracy_info(case) for case in cases])

    baseline = tmp_path / "baseline.json"
    reference = run("reference", calib_n=20)
    write_baseline([reference], baseline)
    degraded = run("degraded", calib_dir=blank, calib_n=1)
    degraded_passed, degraded_report = run_gate([degraded], baseline)
    assert not degraded_passed, degraded_report
    rerun = run("rerun", calib_n=20)
    rerun_passed, rerun_report = run_gate([rerun], baseline)
    assert rerun_passed, rerun_report
    # determinism: a rebuild from scratch gives bit-identical accuracy metrics
    metrics = [[info["extra_info"]["metrics"] for info in json.loads(p.read_text())["benchmarks"]] for p in (reference, rerun)]
    assert metrics[0] == metrics[1]
