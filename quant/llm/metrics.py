"""LAMBADA metrics from per-passage scores (numpy only; torch stays in ``scoring``).

Per passage the scorer returns: the target's summed log-likelihood, whether
every target token is the greedy argmax, the rank of the first target token,
and the log-softmax row at the prediction position (for KL / agreement vs a
reference precision).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quant.stats import mean_with_interval, percentile_interval

ACCURACY_METRICS = ("acc", "ppl", "top1", "top5")
FIDELITY_METRICS = ("kl", "top1_agreement")
HIGHER_IS_BETTER = {"acc": True, "ppl": False, "top1": True, "top5": True, "kl": False, "top1_agreement": True}


@dataclass(frozen=True)
class PassageScores:
    loglikelihood: np.ndarray   # float [N]: sum of log p(target tokens)
    greedy: np.ndarray          # bool  [N]: every target token is the argmax
    first_rank: np.ndarray      # int   [N]: rank of the first target token (0 = top-1)


def per_passage_values(scores: PassageScores) -> dict[str, np.ndarray]:
    return {
        "acc": scores.greedy.astype(float),
        "top1": (scores.first_rank < 1).astype(float),
        "top5": (scores.first_rank < 5).astype(float),
    }


def perplexity(loglikelihood: np.ndarray) -> float:
    """lm-eval's lambada ppl: exp(-mean over passages of the target log-likelihood)."""
    return float(np.exp(-np.mean(loglikelihood)))


def kl_and_agreement(reference_logprobs: np.ndarray, candidate_logprobs: np.ndarray) -> dict[str, np.ndarray]:
    """Per passage KL(reference || candidate) and top-1 agreement, from log-softmax rows [N, V]."""
    reference = reference_logprobs.astype(np.float64)
    candidate = candidate_logprobs.astype(np.float64)
    kl = np.sum(np.exp(reference) * (reference - candidate), axis=1)
    agreement = (reference.argmax(axis=1) == candidate.argmax(axis=1)).astype(float)
    return {"kl": np.maximum(kl, 0.0), "top1_agreement": agreement}


def summarize(values: dict[str, np.ndarray], loglikelihood: np.ndarray, resamples: np.ndarray):
    """Point values, intervals and per-resample values of every metric (ppl from the log-likelihoods)."""
    metrics, ci, resampled = {}, {}, {}
    for name, per_item in values.items():
        metrics[name], ci[name], resampled[name] = mean_with_interval(per_item, resamples)
    metrics["ppl"] = perplexity(loglikelihood)
    resampled["ppl"] = np.exp(-loglikelihood[resamples].mean(axis=1))
    ci["ppl"] = percentile_interval(resampled["ppl"])
    return metrics, {k: list(v) for k, v in ci.items()}, resampled

