"""Engine parity on per-passage outcomes: paired interval, verdicts, exit codes, and the packed-bits format."""
import json

import numpy as np
import pytest

from quant.llm import parity
from quant.results import pack_outcomes, unpack_outcomes


def write_results(path, engine, outcomes_by_precision, dataset="lambada:500:abc"):
    benchmarks = []
    for precision, outcomes in outcomes_by_precision.items():
        benchmarks.append({"extra_info": {
            "family": "llm", "model": "tiny", "precision": precision, "engine": engine, "dataset": dataset,
            "n_samples": len(outcomes), "metrics": {"acc": float(np.mean(outcomes))},
            "per_sample": {"acc": pack_outcomes(outcomes)},
        }})
    path.write_text(json.dumps({"benchmarks": benchmarks}))
    return path


def test_packed_outcomes_round_trip():
    outcomes = np.random.default_rng(0).random(5153) < 0.3
    assert np.array_equal(unpack_outcomes(pack_outcomes(outcomes), 5153), outcomes)


def test_same_outcomes_agree_and_a_real_difference_does_not(tmp_path, capsys):
    rng = np.random.default_rng(1)
    base = rng.random(500) < 0.3
    flipped = base.copy()
    flipped[np.flatnonzero(base)[:60]] = False  # 60 of ~150 right answers lost: -12 points
    a = write_results(tmp_path / "a.json", "gptqmodel", {"int4": base, "int8": base})
    b = write_results(tmp_path / "b.json", "auto-gptq", {"int4": flipped, "int8": base})
    assert parity.main([str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "tiny-int8" in out and "agree" in out
    assert "tiny-int4" in out and "DIFFER" in out and "-12.00" in out


def test_nothing_comparable_is_an_error(tmp_path, capsys):
    base = np.ones(10, dtype=bool)
    a = write_results(tmp_path / "a.json", "gptqmodel", {"int4": base})
    b = write_results(tmp_path / "b.json", "auto-gptq", {"int4": base}, dataset="lambada:300:def")
    assert parity.main([str(a), str(b)]) == 2
    assert "no case" in capsys.readouterr().err
    assert parity.main([str(a), str(tmp_path / "missing.json")]) == 2
