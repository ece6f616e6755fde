"""Paired bootstrap: fixed resampling indices, percentile intervals, deltas.

Every precision of a model is evaluated on the same items in the same order,
and ``bootstrap_indices`` depends only on (n_items, n_resamples, seed); so the
b-th resample of two precisions covers the same items, and the percentile
interval of their per-resample difference is the paired interval of the delta.
"""
from __future__ import annotations

import numpy as np

DEFAULT_RESAMPLES = 200
DEFAULT_SEED = 20170


def bootstrap_indices(n_items: int, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> np.ndarray:
    """int [n_resamples, n_items]: rows of item positions drawn with replacement."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_items, size=(n_resamples, n_items))


def percentile_interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(np.asarray(samples, dtype=float), [tail, 100.0 - tail])
    return float(low), float(high)


def mean_with_interval(values: np.ndarray, resamples: np.ndarray) -> tuple[float, tuple[float, float], np.ndarray]:
    """Mean of per-item ``values``, its bootstrap interval, and the per-resample means."""
    values = np.asarray(values, dtype=float)
    per_resample = values[resamples].mean(axis=1)
    return float(values.mean()), percentile_interval(per_resample), per_resample


def paired_delta(
    candidate: float, baseline: float, candidate_resamples: np.ndarray, baseline_resamples: np.ndarray
) -> tuple[float, tuple[float, float]]:
    """Point delta ``candidate - baseline`` and its interval from values on shared resamples."""
    diff = np.asarray(candidate_resamples, dtype=float) - np.asarray(baseline_resamples, dtype=float)
    return float(candidate - baseline), percentile_interval(diff)
