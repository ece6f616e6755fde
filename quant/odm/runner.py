"""Run a .tflite detector in the LiteRT interpreter and turn its outputs into detections.

Two output layouts are supported, recognised from the model itself (never by
output position):
* raw SSD: signature outputs ``boxes`` [1, A, 4] and ``scores`` [1, A, 90]
  (the models this suite converts); NMS is ours (``quant.odm.nms``).
* built-in ``TFLite_Detection_PostProcess`` (e.g. Coral's QAT model): its four
  outputs named ``...PostProcess`` (boxes), ``:1`` (classes, 0-based into the
  90-slot COCO list), ``:2`` (scores), ``:3`` (count).
Integer inputs are fed through the model's own input quantization.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from quant.errors import BenchInputError
from quant.odm.nms import Detections, NmsConfig, per_class_nms
from quant.odm.preprocess import quantize_input, resize_bilinear_legacy


class TfliteDetector:
    """One interpreter; ``prepare`` (pre-processing), ``invoke`` and ``detections`` kept apart for timing."""

    def __init__(self, model_path: Path, num_threads: int, nms: NmsConfig = NmsConfig()) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            self.interpreter = Interpreter(model_path=str(model_path), num_threads=num_threads)
        except (ValueError, RuntimeError) as err:
            raise BenchInputError(f"{model_path} is not a loadable .tflite model ({err})") from None
        self.interpreter.allocate_tensors()
        self.nms = nms
        (self._input,) = self.interpreter.get_input_details()
        self.input_size = int(self._input["shape"][1])
        self._outputs = self._find_outputs()

    def _find_outputs(self) -> dict[str, int]:
        signatures = self.interpreter.get_signature_list()
        if signatures:
            runner = self.interpreter.get_signature_runner(next(iter(signatures)))
            details = runner.get_output_details()
            if {"boxes", "scores"} <= set(details):
                self.layout = "raw_ssd"
                return {name: details[name]["index"] for name in ("boxes", "scores")}
        by_name = {d["name"]: d["index"] for d in self.interpreter.get_output_details()}
        base = "TFLite_Detection_PostProcess"
        wanted = {"boxes": base, "classes": f"{base}:1", "scores": f"{base}:2", "count": f"{base}:3"}
        if set(wanted.values()) <= set(by_name):
            self.layout = "postprocessed"
            return {key: by_name[name] for key, name in wanted.items()}
        raise BenchInputError(
            f"unrecognised detector outputs {sorted(by_name)}: expected a signature with boxes/scores "
            "or TFLite_Detection_PostProcess outputs"
        )

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """uint8 RGB image -> the model's input tensor (legacy bilinear resize, then x*2/255-1 or quantize)."""
        resized = resize_bilinear_legacy(image, self.input_size, self.input_size)
        dtype = self._input["dtype"]
        if np.issubdtype(dtype, np.floating):
            return (resized * np.float32(2.0 / 255.0) - np.float32(1.0))[None].astype(dtype)
        scale, zero_point = self._input["quantization"]
        # the float graph sees x*2/255-1; the integer input represents that same value
        return quantize_input(resized * np.float32(2.0 / 255.0) - np.float32(1.0), scale, zero_point, dtype)[None]

    def set_input(self, tensor: np.ndarray) -> None:
        self.interpreter.set_tensor(self._input["index"], tensor)

    def invoke(self) -> None:
        self.interpreter.invoke()

    def detections(self) -> Detections:
        get = self.interpreter.get_tensor
        if self.layout == "raw_ssd":
            return per_class_nms(get(self._outputs["boxes"])[0], get(self._outputs["scores"])[0], self.nms)
        count = int(get(self._outputs["count"]).reshape(-1)[0])
        return Detections(
            boxes=np.clip(get(self._outputs["boxes"])[0][:count].astype(np.float32), 0.0, 1.0),
            scores=get(self._outputs["scores"])[0][:count].astype(np.float32),
            category_ids=get(self._outputs["classes"])[0][:count].astype(np.int64) + 1,
        )

    def detect(self, image: np.ndarray) -> Detections:
        self.set_input(self.prepare(image))
        self.invoke()
        return self.detections()


class TfGraphDetector:
    """The un-converted TF graph behind the same interface (fidelity reference, not timed)."""

    layout = "raw_ssd"

    def __init__(self, graph_def, nms: NmsConfig = NmsConfig()) -> None:
        from quant.odm.graph import INPUT_SIZE, detector_function

        self._detect = detector_function(graph_def)
        self.input_size = INPUT_SIZE
        self.nms = nms

    def prepare(self, image: np.ndarray) -> np.ndarray:
        from quant.odm.preprocess import ssd_input

        return ssd_input(image, self.input_size)

    def detect(self, image: np.ndarray) -> Detections:
        outputs = self._detect(self.prepare(image))
        return per_class_nms(outputs["boxes"].numpy()[0], outputs["scores"].numpy()[0], self.nms)
