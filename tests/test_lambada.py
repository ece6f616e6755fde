"""LAMBADA split (lm-eval ``lambada_openai``) and file validation."""
import json

import pytest

from quant.errors import BenchInputError
from quant.llm.lambada import load_lambada_jsonl, split_passage


def test_split_at_last_space_character():
    passage = split_passage("He looked at the signs")
    assert (passage.context, passage.target) == ("He looked at the", " signs")


def test_paragraph_break_before_the_word_stays_in_the_target():
    # the last *space* is before "door", so "\n\nword" travels with the target, as in lm-eval
    passage = split_passage("She opened the door.\n\nHarry")
    assert passage.context == "She opened the" and passage.target == " door.\n\nHarry"


def test_last_character_is_not_the_target():
    assert split_passage("a b cdef").target == " cdef"


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_load_and_limit(tmp_path):
    path = write(tmp_path / "l.jsonl", [json.dumps({"text": f"passage number {i} ends with word{i}"}) for i in range(5)])
    data = load_lambada_jsonl(path, expected_sha256=None, limit=3)
    assert len(data.passages) == 3 and data.passages[2].target == " word2"
    assert data.dataset_id.endswith(":first3")


@pytest.mark.parametrize("content, message", [
    (['{"text": "a b"}', "", '{"text": "c d"}'], "empty line"),
    (['{"text": "a b"}', '{"text": "c d'], "not a LAMBADA passage"),
    (['{"txt": "a b"}'], "not a LAMBADA passage"),
])
def test_malformed_files(tmp_path, content, message):
    with pytest.raises(BenchInputError, match=message):
        load_lambada_jsonl(write(tmp_path / "l.jsonl", content), expected_sha256=None)


def test_wrong_checksum_and_missing_file(tmp_path):
    path = write(tmp_path / "l.jsonl", ['{"text": "a b"}'])
    with pytest.raises(BenchInputError, match="not the canonical LAMBADA"):
        load_lambada_jsonl(path)
    with pytest.raises(BenchInputError, match="does not exist"):
        load_lambada_jsonl(tmp_path / "nope.jsonl")
