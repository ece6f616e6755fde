"""Content-addressed on-disk cache for artifacts and evaluation results.

An entry lives in ``<root>/<kind>/<key>/`` where ``key`` is the sha256 of the
canonical JSON of everything that determines its content (spec, precision
config, calibration ids, tool versions).  Entries are built in a temporary
sibling directory and renamed into place, so a crash or a kill mid-build never
leaves an entry that a later run would trust.  A file lock serialises builders
of the same key (pytest-xdist workers), and every entry carries a manifest with
the sha256 of each file so a corrupted entry is detected and rebuilt.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from filelock import FileLock

from quant.errors import DiskFullError

MANIFEST = "manifest.json"
FULL_DISK_BYTES = 1 << 20  # under 1 MiB free when a build failed: call it disk full


def canonical_json(payload: Any) -> str:
    """JSON with sorted keys and no whitespace: equal payloads give equal text."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def cache_key(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C and disk-full included: remove the partial file, then re-raise
        Path(tmp).unlink(missing_ok=True)
        raise


def _files_of(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)


def _write_manifest(directory: Path, payload: Any) -> None:
    files = {str(p.relative_to(directory)): file_sha256(p) for p in _files_of(directory)}
    manifest = {"payload": payload, "files": files}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True, default=str))


def entry_is_intact(directory: Path) -> bool:
    """True when the manifest exists and every file in it has its recorded sha256."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    present = {str(p.relative_to(directory)) for p in _files_of(directory)}
    if present != set(files):
        return False
    return all(file_sha256(directory / name) == digest for name, digest in files.items())


@dataclass(frozen=True)
class CacheEntry:
    key: str
    path: Path
    built_now: bool


class Cache:
    """Builds each entry once per key and hands back its directory."""

    def __init__(self, root: Path, force_rebuild: bool = False) -> None:
        self.root = Path(root)
        self.force_rebuild = force_rebuild
        self._rebuilt: set[str] = set()  # keys rebuilt in this process (force applies once)

    def entry(self, kind: str, payload: Any, build: Callable[[Path], None]) -> CacheEntry:
        """Return the entry for ``payload``, calling ``build(tmp_dir)`` to fill it if needed.

        ``build`` writes its files into the empty directory it is given; the
        directory is only renamed into place after ``build`` returns and the
        manifest is written.
        """
        key = cache_key(payload)
        final = self.root / kind / key
        final.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(final) + ".lock"):
            force = self.force_rebuild and (kind, key) not in self._rebuilt
            if final.exists() and not force and entry_is_intact(final):
                return CacheEntry(key, final, built_now=False)
            if final.exists():
                shutil.rmtree(final)  # stale, corrupted or forced: never trust it
            _remove_stale_builds(final.parent, key)
            tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=_tmp_prefix(key)))
            try:
                build(tmp)
                _write_manifest(tmp, payload)
                os.replace(tmp, final)
            except BaseException as err:  # a failed or interrupted build leaves no entry behind
                disk_full = _is_disk_full(err, tmp)  # judged before the cleanup frees the space
                shutil.rmtree(tmp, ignore_errors=True)
                if disk_full:
                    raise DiskFullError(
                        f"disk full while writing cache entry {kind}/{key[:16]} under {self.root} "
                        f"({shutil.disk_usage(self.root).free / 1e9:.1f} GB free after cleanup); free space there "
                        f"or point --cache-dir / BENCH_CACHE_DIR at a bigger disk"
                    ) from None
                raise
            self._rebuilt.add((kind, key))
            return CacheEntry(key, final, built_now=True)

    def json_entry(self, kind: str, payload: Any, compute: Callable[[], Any]) -> tuple[Any, CacheEntry]:
        """Cache the JSON-serialisable result of ``compute()`` under ``payload``."""

        def build(directory: Path) -> None:
            (directory / "result.json").write_text(json.dumps(compute(), default=_json_default))

        entry = self.entry(kind, payload, build)
        return json.loads((entry.path / "result.json").read_text()), entry


def _is_disk_full(err: BaseException, directory: Path) -> bool:
    """Did ``err`` come from a full disk?  Libraries wrap ENOSPC in their own errors: safetensors raises
    ``SafetensorError('... No space left on device (os error 28)')``, torch.save a bare
    ``RuntimeError('... unexpected pos ...')``; so look along the exception chain, at the message, and
    as a last resort at the free space left where the build was writing."""
    chain, seen = err, set()
    while chain is not None and id(chain) not in seen:
        seen.add(id(chain))
        if isinstance(chain, OSError) and chain.errno == errno.ENOSPC:
            return True
        if "No space left on device" in str(chain):
            return True
        chain = chain.__cause__ or chain.__context__
    if not isinstance(err, Exception):
        return False  # Ctrl-C is not a disk problem
    try:
        return shutil.disk_usage(directory).free < FULL_DISK_BYTES
    except OSError:
        return False


def _tmp_prefix(key: str) -> str:
    return f".{key[:16]}-"


def _remove_stale_builds(kind_dir: Path, key: str) -> None:
    """Delete build dirs of ``key`` left by a killed process (SIGKILL skips every cleanup).

    Called with the key's lock held, so no live builder of this key owns one.
    """
    for stale in kind_dir.glob(_tmp_prefix(key) + "*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays, without importing numpy here
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
