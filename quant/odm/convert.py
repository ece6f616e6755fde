"""Convert the cut SSD graph to .tflite at fp32, fp16 or full-integer int8.

int8 is post-training full-integer quantization (per-channel weights, int8
activations) calibrated on a representative set of COCO *train2017* images,
never evaluation images.  Input and output stay float32, with quantize /
dequantize at the edges, so every precision takes the same input tensor.
The conversion goes through a temporary SavedModel so the .tflite keeps a
signature with named outputs (``boxes``, ``scores``).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np

from quant.odm.graph import detector_function
from quant.odm.preprocess import load_rgb, ssd_input

CONVERSIONS = ("fp32", "fp16", "int8")


def representative_inputs(paths: Iterable[Path]) -> Iterable[list[np.ndarray]]:
    for path in paths:
        yield [ssd_input(load_rgb(path))]


def convert_graph(graph_def, conversion: str, calibration_paths: list[Path] | None = None) -> bytes:
    """Return the .tflite flatbuffer of ``graph_def`` at ``conversion`` ("fp32" | "fp16" | "int8")."""
    import tensorflow as tf

    if conversion not in CONVERSIONS:
        raise ValueError(f"unknown conversion {conversion!r}; known: {CONVERSIONS}")
    detect = detector_function(graph_def)
    module = tf.Module()
    module.detect = detect
    with tempfile.TemporaryDirectory(prefix="ssd-savedmodel-") as saved_model:
        tf.saved_model.save(module, saved_model, signatures={"serving_default": detect})
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        if conversion == "fp16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        elif conversion == "int8":
            if not calibration_paths:
                raise ValueError("int8 conversion needs calibration images")
            paths = list(calibration_paths)
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: representative_inputs(paths)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.float32
            converter.inference_output_type = tf.float32
        return converter.convert()
