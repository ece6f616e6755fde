"""The result schema: what every benchmark case writes into ``benchmark.extra_info``.

This is the contract between bench/, plots/, the report and the gate (see the
README's "Result schema").  Accuracy metrics are fractions 0..1 as the
reference tools report them; "points" elsewhere mean percentage points.
"""
from __future__ import annotations

from typing import Literal, TypedDict

import numpy as np

from quant.stats import paired_delta, percentile_interval


class Delta(TypedDict):
    value: float
    ci: list[float]
    vs: str


class ResultInfo(TypedDict, total=False):
    family: Literal["odm", "llm"]
    model: str
    precision: str
    engine: str
    metrics: dict[str, float]
    ci: dict[str, list[float]]
    delta: dict[str, Delta]
    higher_is_better: dict[str, bool]
    n_samples: int
    size_bytes: int
    dataset: str
    artifact: str
    threads: int
    notes: list[str]
    workload: str            # llm decode entries: "decode" (merged with the case's main entry by plots)
    quantization: dict       # llm GPTQ rows: bits, group_size, sym, desc_act, calibration size, damping, backend
    per_sample: dict[str, str]  # llm: {"acc": hex of np.packbits(per-passage 0/1)}, for cross-run paired tests


def pack_outcomes(outcomes: np.ndarray) -> str:
    """Per-sample 0/1 outcomes as a hex string (1 bit each; 5153 passages -> 1.3 kB)."""
    return np.packbits(np.asarray(outcomes, dtype=bool)).tobytes().hex()


def unpack_outcomes(packed: str, n: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(packed), dtype=np.uint8))[:n].astype(bool)


def intervals(resampled: dict[str, np.ndarray]) -> dict[str, list[float]]:
    """95% percentile interval of each metric's bootstrap values."""
    return {name: list(percentile_interval(values)) for name, values in resampled.items()}


def deltas(
    metrics: dict[str, float],
    resampled: dict[str, np.ndarray],
    baseline_metrics: dict[str, float],
    baseline_resampled: dict[str, np.ndarray],
    baseline_name: str,
) -> dict[str, Delta]:
    """Paired deltas vs the baseline for every metric both sides resampled."""
    out: dict[str, Delta] = {}
    for name in resampled:
        if name in baseline_resampled:
            value, (low, high) = paired_delta(
                metrics[name], baseline_metrics[name], resampled[name], baseline_resampled[name]
            )
            out[name] = {"value": value, "ci": [low, high], "vs": baseline_name}
    return out
