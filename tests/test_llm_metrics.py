"""acc / top-k / ppl / KL on tiny hand-computed numbers."""
import numpy as np
import pytest

from quant.llm.metrics import PassageScores, kl_and_agreement, per_passage_values, perplexity, summarize
from quant.stats import bootstrap_indices


def test_accuracy_and_topk_from_ranks():
    scores = PassageScores(np.log([0.5, 0.25, 0.1]), np.array([True, False, False]), np.array([0, 3, 7]))
    values = per_passage_values(scores)
    assert values["acc"].tolist() == [1, 0, 0]
    assert values["top1"].tolist() == [1, 0, 0]
    assert values["top5"].tolist() == [1, 1, 0]


def test_perplexity_is_exp_of_minus_mean_loglikelihood():
    assert perplexity(np.log([0.5, 0.125])) == pytest.approx(np.exp(-(np.log(0.5) + np.log(0.125)) / 2))
    assert perplexity(np.log([0.25, 0.25])) == pytest.approx(4.0)


def test_kl_and_agreement_hand_computed():
    reference = np.log(np.array([[0.5, 0.5, 0.0 + 1e-300], [0.9, 0.05, 0.05]]))
    candidate = np.log(np.array([[0.25, 0.75, 1e-300], [0.9, 0.05, 0.05]]))
    out = kl_and_agreement(reference, candidate)
    expected_kl = 0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)
    assert out["kl"][0] == pytest.approx(expected_kl) and out["kl"][1] == pytest.approx(0.0)
    assert out["top1_agreement"].tolist() == [0.0, 1.0]  # ties resolve to the first index: 0 vs 1


def test_summary_has_interval_around_each_metric():
    rng = np.random.default_rng(0)
    scores = PassageScores(np.log(rng.uniform(0.01, 1, 300)), rng.uniform(size=300) < 0.3, rng.integers(0, 10, 300))
    metrics, ci, resampled = summarize(per_passage_values(scores), scores.loglikelihood, bootstrap_indices(300, 100))
    for name in ("acc", "top1", "top5", "ppl"):
        assert ci[name][0] <= metrics[name] <= ci[name][1]
        assert resampled[name].shape == (100,)
