"""The detector's TF graph, cut to the part worth converting and timing.

The SSD graph's own pre-processing (a while-loop resize) and post-processing
(NMS) stay outside: the cut takes a float [1, 300, 300, 3] input at
``Preprocessor/sub:0`` and returns the sigmoid class scores and the decoded,
normalised boxes *before* NMS.  Pre-processing is replicated exactly in
``quant.odm.preprocess`` and NMS in ``quant.odm.nms``.
"""
from __future__ import annotations

from pathlib import Path

from quant.errors import BenchInputError

INPUT_TENSOR = "Preprocessor/sub:0"          # float, x * 2/255 - 1 after the legacy resize
SCORES_TENSOR = "Postprocessor/Slice:0"      # [N, anchors, 90] sigmoid; column j = COCO id j+1
BOXES_TENSOR = "Postprocessor/ExpandDims_1:0"  # [N, anchors, 1, 4] (ymin, xmin, ymax, xmax) in 0..1
INPUT_SIZE = 300


def read_graph_def(path: Path):
    """GraphDef from a TFJS ``model.json`` or a TF1 ``frozen_inference_graph.pb``."""
    path = Path(path)
    if path.is_dir():  # a model folder: the TFJS model.json or the zoo's frozen graph inside it
        candidates = [path / "model.json", path / "frozen_inference_graph.pb"]
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise BenchInputError(f"{path} holds neither model.json nor frozen_inference_graph.pb")
        path = found[0]
    if path.name.endswith(".json"):
        from quant.odm.tfjs import load_graph_def

        return load_graph_def(path)
    from tensorflow.core.framework import graph_pb2

    graph_def = graph_pb2.GraphDef()
    try:
        graph_def.ParseFromString(path.read_bytes())
    except Exception as err:  # protobuf raises DecodeError, a bare Exception subclass
        raise BenchInputError(f"{path} is not a frozen TF GraphDef ({err}); re-fetch the model") from None
    return graph_def


def binary_adds(graph_def):
    """Copy of ``graph_def`` with each two-input ``AddN`` rewritten as ``AddV2``.

    Grappler folded MobileNetV2's residual adds into ``AddN``; TFLite has no
    int8 ADD_N kernel, so the int8 converter left those ten residual adds in
    float with a dequantize/quantize pair around each, which made int8 no
    faster than fp32.  ``AddV2`` of two inputs computes the same sum and
    quantizes to an int8 ADD.
    """
    from tensorflow.core.framework import graph_pb2

    out = graph_pb2.GraphDef()
    out.CopyFrom(graph_def)
    for node in out.node:
        if node.op == "AddN" and len([i for i in node.input if not i.startswith("^")]) == 2:
            dtype = node.attr["T"].type
            node.op = "AddV2"
            node.ClearField("attr")
            node.attr["T"].type = dtype
    return out


def detector_function(graph_def):
    """A ``tf.function`` taking float [1,300,300,3] and returning {"boxes", "scores"}.

    Boxes come back as [1, anchors, 4] and scores as [1, anchors, 90]; the dict
    keys become the TFLite signature's output names, so nothing downstream reads
    outputs by position.
    """
    import tensorflow as tf

    names = {node.name for node in graph_def.node}
    for tensor in (INPUT_TENSOR, SCORES_TENSOR, BOXES_TENSOR):
        if tensor.split(":")[0] not in names:
            raise BenchInputError(f"graph has no tensor {tensor}: not an SSD (TF1 object-detection API) graph")

    graph_def = binary_adds(graph_def)

    def imported(image):
        scores, boxes = tf.compat.v1.import_graph_def(
            graph_def, input_map={INPUT_TENSOR: image}, return_elements=[SCORES_TENSOR, BOXES_TENSOR], name=""
        )
        return boxes, scores

    spec = tf.TensorSpec([1, INPUT_SIZE, INPUT_SIZE, 3], tf.float32, name="image")
    wrapped = tf.compat.v1.wrap_function(imported, [spec])

    @tf.function(input_signature=[spec])
    def detect(image):
        boxes, scores = wrapped(image)
        return {"boxes": tf.reshape(boxes, [1, -1, 4]), "scores": scores}

    return detect
