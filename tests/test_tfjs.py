"""The TFJS graph-model loader on a tiny graph the test builds and writes in TFJS layout.

The written model reproduces the quirks of the real coco-ssd model.json: byte
attributes as int lists, an int64 constant stored as int32, a weight stored as
float16, weights split across two shards.
"""
import json

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from google.protobuf import json_format  # noqa: E402

from quant.errors import BenchInputError  # noqa: E402
from quant.odm.tfjs import load_graph_def  # noqa: E402


def tiny_graph():
    rng = np.random.default_rng(0)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [1, 4, 4, 3], name="x")
        kernel = tf.constant(rng.normal(size=(3, 3, 3, 2)).astype(np.float32), name="kernel")
        bias = tf.constant(np.float16([0.5, -0.25]).astype(np.float32), name="bias")
        y = tf.nn.bias_add(tf.nn.conv2d(x, kernel, strides=1, padding="SAME"), bias)
        tf.reshape(y, tf.constant([1, -1], tf.int64, name="shape"), name="out")
    return graph.as_graph_def()


def ints(value: bytes) -> list[int]:
    return list(value)


def write_tfjs(graph_def, directory):
    topology = json_format.MessageToDict(graph_def)
    weights, blobs = [], []
    for node in graph_def.node:
        if node.op != "Const":
            continue
        value = tf.make_ndarray(node.attr["value"].tensor)
        if value.dtype == np.int64:
            value, dtype = value.astype(np.int32), "int32"   # quirk: int64 stored as int32
        elif node.name == "bias":
            value, dtype = value.astype(np.float16), "float16"  # quirk: fp16-stored weight
        else:
            dtype = str(value.dtype)
        weights.append({"name": node.name, "shape": list(value.shape), "dtype": dtype})
        blobs.append(value.tobytes())
    for node in topology["node"]:
        if node["op"] == "Const":
            node["attr"]["value"]["tensor"].pop("tensorContent", None)
        for attr in node.get("attr", {}).values():
            if "s" in attr:  # quirk: bytes as a list of ints instead of base64
                import base64

                attr["s"] = ints(base64.b64decode(attr["s"]))
    data = b"".join(blobs)
    half = len(data) // 2
    (directory / "shard1").write_bytes(data[:half])
    (directory / "shard2").write_bytes(data[half:])
    manifest = [{"paths": ["shard1", "shard2"], "weights": weights}]
    (directory / "model.json").write_text(json.dumps({"modelTopology": topology, "weightsManifest": manifest}))


def run(graph_def, feed):
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        return session.run("out:0", {"x:0": feed})


def test_loaded_graph_computes_what_the_original_does(tmp_path):
    original = tiny_graph()
    write_tfjs(original, tmp_path)
    loaded = load_graph_def(tmp_path / "model.json")
    feed = np.random.default_rng(1).normal(size=(1, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(run(loaded, feed), run(original, feed), rtol=1e-6)


def test_truncated_shard_is_reported(tmp_path):
    write_tfjs(tiny_graph(), tmp_path)
    shard = tmp_path / "shard2"
    shard.write_bytes(shard.read_bytes()[:-8])
    with pytest.raises(BenchInputError, match="truncated"):
        load_graph_def(tmp_path / "model.json")


def test_not_a_model_json(tmp_path):
    (tmp_path / "model.json").write_text('{"format": "layers-model"}')
    with pytest.raises(BenchInputError, match="not a TFJS graph model"):
        load_graph_def(tmp_path / "model.json")
