"""Object-detection pipeline: source -> cached artifact -> cached evaluation -> result info.

``OdmPipeline`` is what the pytest fixtures hand to the benchmark cases.  Every
expensive step is cached on disk under a content key (see ``quant.cache``), so
a second identical run converts and evaluates nothing and only re-times.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from quant.cache import Cache
from quant.errors import BenchInputError
from quant.odm.coco import CocoDataset, calibration_images, load_coco_dataset
from quant.odm.evaluate import COCO_STAT_NAMES, bootstrap_coco_stats, coco_map
from quant.odm.nms import NmsConfig, to_coco_results
from quant.odm.preprocess import load_rgb
from quant.registry import Case, ModelSpec, Source, get_model
from quant.sources import fetch
from quant.stats import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_indices

PIPELINE_VERSION = 2  # bump when conversion or evaluation code changes what the cache holds


@dataclass(frozen=True)
class OdmSettings:
    coco_dir: Path
    coco_n: int | None = None          # None: every annotated image
    calib_dir: Path | None = None      # None: <coco_dir>/train2017
    calib_n: int = 100
    threads: int = 2
    timing_n: int = 20                 # images in the fixed timing list
    timing_passes: int = 3             # timed passes over it
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    source_overrides: dict[str, Source] = field(default_factory=dict)
    nms: NmsConfig = NmsConfig()

    @property
    def calibration_dir(self) -> Path:
        return self.calib_dir if self.calib_dir is not None else self.coco_dir / "train2017"


@dataclass(frozen=True)
class Artifact:
    path: Path
    key: str
    size_bytes: int
    built_now: bool


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    resampled: dict[str, np.ndarray]   # bootstrap values per metric, rows aligned across precisions
    n_images: int
    cached: bool


def _tool_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("tensorflow", "ai-edge-litert", "pycocotools", "numpy")}


class OdmPipeline:
    def __init__(self, settings: OdmSettings, cache: Cache) -> None:
        self.settings = settings
        self.cache = cache
        self._graph_defs: dict[str, object] = {}
        self._detectors: dict[str, object] = {}

    # ---- data -------------------------------------------------------------
    @cached_property
    def dataset(self) -> CocoDataset:
        return load_coco_dataset(self.settings.coco_dir, self.settings.coco_n)

    @cached_property
    def coco_gt(self):
        import contextlib
        import io

        from pycocotools.coco import COCO

        with contextlib.redirect_stdout(io.StringIO()):
            return COCO(str(self.dataset.annotation_path))

    @cached_property
    def calibration_paths(self) -> list[Path]:
        paths = calibration_images(self.settings.calibration_dir, self.settings.calib_n)
        evaluation_names = {image.path.name for image in self.dataset.images}
        overlap = [p.name for p in paths if p.name in evaluation_names]
        if overlap:
            raise BenchInputError(
                f"calibration image {overlap[0]} is also an evaluation image; point --calib-dir at train2017, not val2017"
            )
        return paths

    def validate(self) -> None:
        """Fail fast on bad data paths, before any conversion starts."""
        _ = self.dataset
        _ = self.calibration_paths

    # ---- models -----------------------------------------------------------
    def source(self, spec: ModelSpec) -> Source:
        return self.settings.source_overrides.get(spec.name, spec.source)

    def model_file(self, spec: ModelSpec) -> Path:
        return fetch(self.source(spec), self.cache)

    def graph_def(self, spec: ModelSpec):
        if spec.name not in self._graph_defs:
            from quant.odm.graph import read_graph_def

            self._graph_defs[spec.name] = read_graph_def(self.model_file(spec))
        return self._graph_defs[spec.name]

    def artifact(self, case: Case) -> Artifact:
        spec = get_model(case.model)
        if spec.model_format == "tflite":  # published artifact: used as it is
            path = self.model_file(spec)
            return Artifact(path, path.parent.name, path.stat().st_size, built_now=False)
        payload = {
            "pipeline": PIPELINE_VERSION,
            "model": spec.name,
            "source": dataclasses.asdict(self.source(spec)),
            "conversion": case.precision,
            "calibration": [p.name for p in self.calibration_paths] if case.precision == "int8" else None,
            "tools": _tool_versions(),
        }

        def build(directory: Path) -> None:
            from quant.odm.convert import convert_graph

            calibration = self.calibration_paths if case.precision == "int8" else None
            (directory / "model.tflite").write_bytes(convert_graph(self.graph_def(spec), case.precision, calibration))

        entry = self.cache.entry("odm-artifacts", payload, build)
        path = entry.path / "model.tflite"
        return Artifact(path, entry.key, path.stat().st_size, entry.built_now)

    def detector(self, case: Case):
        if case.id not in self._detectors:
            from quant.odm.runner import TfliteDetector

            self._detectors[case.id] = TfliteDetector(self.artifact(case).path, self.settings.threads, self.settings.nms)
        return self._detectors[case.id]

    # ---- evaluation -------------------------------------------------------
    def evaluate(self, case: Case) -> Evaluation:
        artifact = self.artifact(case)
        return self._evaluate_cached(f"tflite:{artifact.key}", lambda: self.detector(case))

    def evaluate_tf_graph(self, model: str) -> Evaluation:
        """The un-converted TF graph on the same images (the conversion fidelity reference)."""
        from quant.odm.runner import TfGraphDetector

        spec = get_model(model)
        source_key = dataclasses.asdict(self.source(spec))
        return self._evaluate_cached(f"tf_graph:{source_key}", lambda: TfGraphDetector(self.graph_def(spec)))

    def _evaluate_cached(self, subject: str, make_detector) -> Evaluation:
        settings = self.settings
        payload = {
            "pipeline": PIPELINE_VERSION,
            "subject": subject,
            "dataset": self.dataset.dataset_id,
            "nms": dataclasses.asdict(settings.nms),
            "threads": settings.threads,
            "resamples": settings.n_resamples,
            "seed": settings.seed,
            "tools": _tool_versions(),
        }
        result, entry = self.cache.json_entry("odm-eval", payload, lambda: self._run_evaluation(make_detector()))
        resampled = np.asarray(result["resampled"])
        return Evaluation(
            metrics=dict(zip(COCO_STAT_NAMES, result["stats"])),
            resampled={name: resampled[:, i] for i, name in enumerate(COCO_STAT_NAMES)},
            n_images=result["n_images"],
            cached=not entry.built_now,
        )

    def _run_evaluation(self, detector) -> dict:
        from tqdm import tqdm

        records: list[dict] = []
        for image in tqdm(self.dataset.images, desc="COCO eval", unit="img", leave=False, disable=None):
            detections = detector.detect(load_rgb(image.path))
            records += to_coco_results(detections, image.image_id, image.width, image.height)
        coco_eval, stats = coco_map(self.coco_gt, records, self.dataset.image_ids)
        resamples = bootstrap_indices(len(self.dataset.images), self.settings.n_resamples, self.settings.seed)
        return {
            "stats": stats.tolist(),
            "resampled": bootstrap_coco_stats(coco_eval, resamples).tolist(),
            "n_images": len(self.dataset.images),
            "n_detections": len(records),
        }

    def accuracy_info(self, case: Case) -> dict:
        """The accuracy part of the result schema: metrics, CIs, paired deltas vs the baseline precision."""
        from quant.results import deltas, intervals

        spec = get_model(case.model)
        evaluation = self.evaluate(case)
        baseline_case = Case(spec.name, spec.baseline)
        delta = {}
        if baseline_case != case:
            baseline = self.evaluate(baseline_case)
            delta = deltas(evaluation.metrics, evaluation.resampled, baseline.metrics, baseline.resampled, spec.baseline)
        artifact = self.artifact(case)
        return {
            "family": "odm", "model": spec.name, "precision": case.precision, "engine": "litert",
            "metrics": dict(evaluation.metrics), "ci": intervals(evaluation.resampled), "delta": delta,
            "n_samples": evaluation.n_images, "size_bytes": artifact.size_bytes,
            "dataset": self.dataset.dataset_id, "artifact": artifact.key, "threads": self.settings.threads,
            "notes": list(spec.notes),
        }

    # ---- timing -----------------------------------------------------------
    def timing_inputs(self, case: Case) -> list[np.ndarray]:
        """Model inputs for the fixed timing list: the first ``timing_n`` evaluation images."""
        detector = self.detector(case)
        images = self.dataset.images[: self.settings.timing_n]
        return [detector.prepare(load_rgb(image.path)) for image in images]

    def end_to_end_seconds_per_image(self, case: Case) -> float:
        """Mean wall time of decode-free pre-processing + invoke + NMS over the timing list."""
        detector = self.detector(case)
        images = [load_rgb(image.path) for image in self.dataset.images[: self.settings.timing_n]]
        detector.detect(images[0])  # warm-up
        start = time.perf_counter()
        for image in images:
            detector.detect(image)
        return (time.perf_counter() - start) / len(images)
