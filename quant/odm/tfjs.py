"""Load a TensorFlow.js *graph model* (model.json + weight shards) as a TF GraphDef.

No ``tensorflowjs`` package is needed: ``modelTopology`` is a GraphDef written
as protobuf JSON, and each Const node's value is the slice of the concatenated
weight shards that ``weightsManifest`` assigns to it, in manifest order.
Quirks handled (seen in the coco-ssd model): byte attributes written as lists of
ints instead of base64, int64 constants stored as int32, fp16-stored or
uint8/uint16-quantized weights that must be expanded to the node's dtype.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np

from quant.errors import BenchInputError

# TF DataType enum values used here (tensorflow/core/framework/types.proto)
_DT_FLOAT, _DT_INT32, _DT_INT64, _DT_BOOL = 1, 3, 9, 10
_NP_OF_DT = {_DT_FLOAT: np.float32, _DT_INT32: np.int32, _DT_INT64: np.int64, _DT_BOOL: np.bool_}
_MANIFEST_DTYPES = {
    "float32": np.float32, "float16": np.float16, "int32": np.int32,
    "int64": np.int64, "bool": np.bool_, "uint8": np.uint8, "uint16": np.uint16,
}


def _bytes_fields_to_base64(value: Any, in_list_attr: bool = False) -> Any:
    """Rewrite byte fields given as lists of ints into base64 text, recursively.

    An AttrValue's ``s`` is one byte string (written as a list of ints); a
    ListValue's ``s`` (inside ``"list"``) is a list of byte strings.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "s" and in_list_attr:
                out[key] = [_b64(b) for b in item]
            elif key == "s":
                out[key] = _b64(item)
            else:
                out[key] = _bytes_fields_to_base64(item, in_list_attr=(key == "list"))
        return out
    if isinstance(value, list):
        return [_bytes_fields_to_base64(item) for item in value]
    return value


def _b64(item: Any) -> Any:
    if isinstance(item, list):
        return base64.b64encode(bytes(item)).decode()
    return item  # already base64 text


def _decode_weight(entry: dict, raw: memoryview, offset: int) -> tuple[np.ndarray, int]:
    """Read one manifest entry starting at ``offset``; return (float/int array, next offset)."""
    shape = [int(d) for d in entry["shape"]]
    count = int(np.prod(shape)) if shape else 1
    quant = entry.get("quantization")
    stored = _MANIFEST_DTYPES[quant["dtype"]] if quant else _MANIFEST_DTYPES.get(entry["dtype"])
    if stored is None:
        raise BenchInputError(f"TFJS weight {entry['name']!r} has unsupported dtype {entry['dtype']!r}")
    nbytes = count * np.dtype(stored).itemsize
    if offset + nbytes > len(raw):
        raise BenchInputError(
            f"TFJS weight shards end before weight {entry['name']!r}: the model files are truncated; re-fetch them"
        )
    array = np.frombuffer(raw[offset:offset + nbytes], dtype=stored).reshape(shape)
    if quant:  # affine-quantized (uint8/uint16) or float16-quantized weights
        if quant["dtype"] == "float16":
            array = array.astype(np.float32)
        else:
            array = array.astype(np.float32) * quant["scale"] + quant["min"]
    elif stored == np.float16:
        array = array.astype(np.float32)
    return array, offset + nbytes


def load_weights(model_dir: Path, manifest: list[dict]) -> dict[str, np.ndarray]:
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        shards = []
        for name in group["paths"]:
            path = model_dir / name
            if not path.is_file():
                raise BenchInputError(f"TFJS weight shard missing: {path}; re-fetch the model")
            shards.append(path.read_bytes())
        raw = memoryview(b"".join(shards))
        offset = 0
        for entry in group["weights"]:
            weights[entry["name"]], offset = _decode_weight(entry, raw, offset)
        if offset != len(raw):
            raise BenchInputError(
                f"TFJS weight shards in {model_dir} hold {len(raw)} bytes but the manifest describes {offset}"
            )
    return weights


def load_graph_def(model_json: Path):
    """Return the ``tf.compat.v1.GraphDef`` of a TFJS graph model, constants filled in."""
    from google.protobuf import json_format
    from tensorflow.core.framework import graph_pb2

    try:
        model = json.loads(Path(model_json).read_text())
        topology, manifest = model["modelTopology"], model["weightsManifest"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise BenchInputError(f"{model_json} is not a TFJS graph model ({type(err).__name__}: {err})") from None
    weights = load_weights(Path(model_json).parent, manifest)
    graph_def = graph_pb2.GraphDef()
    json_format.ParseDict(_bytes_fields_to_base64(topology), graph_def, ignore_unknown_fields=True)
    for node in graph_def.node:
        if node.op != "Const":
            continue
        if node.name not in weights:
            raise BenchInputError(f"TFJS model {model_json} has no weight for constant {node.name!r}")
        dtype = node.attr["dtype"].type
        value = weights[node.name].astype(_NP_OF_DT.get(dtype, weights[node.name].dtype), copy=False)
        tensor = node.attr["value"].tensor
        tensor.Clear()
        tensor.dtype = dtype
        tensor.tensor_shape.CopyFrom(_shape_proto(value.shape))
        tensor.tensor_content = np.ascontiguousarray(value).tobytes()
    return graph_def


def _shape_proto(shape: tuple[int, ...]):
    from tensorflow.core.framework import tensor_shape_pb2

    proto = tensor_shape_pb2.TensorShapeProto()
    for size in shape:
        proto.dim.add(size=size)
    return proto
