"""Cache keys, atomic writes, crash safety, corruption detection and single build under concurrency."""
import multiprocessing
import os
from pathlib import Path

import pytest

from quant.cache import Cache, atomic_write_bytes, cache_key, entry_is_intact
from quant.errors import DiskFullError


def test_key_is_canonical():
    assert cache_key({"a": 1, "b": [1, 2]}) == cache_key({"b": [1, 2], "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "x" / "f.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["f.bin"]  # no temp files left


def test_entry_built_once_and_reused(tmp_path):
    cache, calls = Cache(tmp_path), []

    def build(directory: Path):
        calls.append(1)
        (directory / "model.bin").write_bytes(b"weights")

    first = cache.entry("art", {"k": 1}, build)
    second = cache.entry("art", {"k": 1}, build)
    assert first.built_now and not second.built_now and len(calls) == 1
    assert (second.path / "model.bin").read_bytes() == b"weights"


def test_failed_build_leaves_nothing(tmp_path):
    cache = Cache(tmp_path)

    def build(directory: Path):
        (directory / "half.bin").write_bytes(b"half")
        raise KeyboardInterrupt  # like Ctrl-C mid-conversion

    with pytest.raises(KeyboardInterrupt):
        cache.entry("art", {"k": 2}, build)
    assert [p for p in (tmp_path / "art").iterdir() if not p.name.endswith(".lock")] == []


def test_disk_full_is_one_line_and_leaves_nothing(tmp_path):
    cache = Cache(tmp_path)

    def build(directory: Path):
        (directory / "part.bin").write_bytes(b"x" * 1000)
        with open("/dev/full", "wb") as full:  # the kernel's always-full device: a real ENOSPC
            full.write(b"weights")
            full.flush()

    with pytest.raises(DiskFullError, match="disk full while writing cache entry art/.*--cache-dir") as err:
        cache.entry("art", {"k": 9}, build)
    assert "\n" not in str(err.value)
    assert [p for p in (tmp_path / "art").iterdir() if not p.name.endswith(".lock")] == []


def test_disk_full_wrapped_by_a_library_is_recognised(tmp_path):
    """safetensors reports ENOSPC as its own error type; this is its message on a full tmpfs (checked by hand)."""
    cache = Cache(tmp_path)

    def build(directory: Path):
        (directory / "model.safetensors").write_bytes(b"x" * 100)
        raise RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)")

    with pytest.raises(DiskFullError):
        cache.entry("art", {"k": 11}, build)
    assert [p for p in (tmp_path / "art").iterdir() if not p.name.endswith(".lock")] == []


def test_other_build_errors_are_not_called_disk_full(tmp_path):
    def build(directory: Path):
        raise ValueError("bad calibration data")

    with pytest.raises(ValueError, match="bad calibration data"):
        Cache(tmp_path).entry("art", {"k": 12}, build)


def test_build_dir_left_by_a_killed_process_is_removed(tmp_path):
    cache = Cache(tmp_path)
    key = cache_key({"k": 10})
    stale = tmp_path / "art" / f".{key[:16]}-killed"  # what SIGKILL mid-build leaves behind
    stale.mkdir(parents=True)
    (stale / "half.bin").write_bytes(b"half")
    other = tmp_path / "art" / ".0123456789abcdef-other-key"  # another key's build: not ours to touch
    other.mkdir()
    cache.entry("art", {"k": 10}, lambda directory: (directory / "model.bin").write_bytes(b"w"))
    assert not stale.exists() and other.exists()


def test_corrupted_entry_is_detected_and_rebuilt(tmp_path):
    cache, calls = Cache(tmp_path), []

    def build(directory: Path):
        calls.append(1)
        (directory / "model.bin").write_bytes(b"weights")

    entry = cache.entry("art", {"k": 3}, build)
    (entry.path / "model.bin").write_bytes(b"weig")  # truncated on disk
    assert not entry_is_intact(entry.path)
    rebuilt = cache.entry("art", {"k": 3}, build)
    assert rebuilt.built_now and len(calls) == 2 and (rebuilt.path / "model.bin").read_bytes() == b"weights"


def test_force_rebuild_rebuilds_once_per_session(tmp_path):
    calls = []

    def build(directory: Path):
        calls.append(1)
        (directory / "m").write_text("x")

    Cache(tmp_path).entry("art", {"k": 4}, build)
    forced = Cache(tmp_path, force_rebuild=True)
    forced.entry("art", {"k": 4}, build)
    forced.entry("art", {"k": 4}, build)
    assert len(calls) == 2


def _build_in_process(root: str, log: str) -> None:
    def build(directory: Path):
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        (directory / "m").write_text("x")

    Cache(Path(root)).entry("art", {"k": 5}, build)


def test_two_processes_build_one_entry_once(tmp_path):
    log = tmp_path / "builds.log"
    procs = [multiprocessing.Process(target=_build_in_process, args=(str(tmp_path / "c"), str(log))) for _ in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    assert all(proc.exitcode == 0 for proc in procs)
    assert len(log.read_text().splitlines()) == 1
