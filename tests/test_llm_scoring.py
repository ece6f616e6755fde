"""Batched LAMBADA scoring against a naive one-passage-at-a-time reference, on a tiny random Llama."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from quant.llm.scoring import EncodedPassage, decode_steps, prefill, score_passages, start_decode  # noqa: E402

pytestmark = pytest.mark.llm


def tiny_llama():
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=61, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=True,
    )
    return transformers.LlamaForCausalLM(config).eval()


def random_passages(n=9, seed=0):
    rng = np.random.default_rng(seed)
    return [
        EncodedPassage(rng.integers(0, 61, int(rng.integers(3, 30))).tolist(), rng.integers(0, 61, int(rng.integers(1, 4))).tolist())
        for _ in range(n)
    ]


def naive(model, passage):
    ids = torch.tensor([passage.context + passage.target])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
    start = len(passage.context) - 1
    rows = logprobs[start: start + len(passage.target)]
    target = torch.tensor(passage.target)
    picked = rows.gather(1, target[:, None])[:, 0]
    return float(picked.sum()), bool((rows.argmax(1) == target).all()), int((rows[0] > picked[0]).sum()), rows[0].numpy()


def test_batched_scores_equal_naive_scores():
    model, passages = tiny_llama(), random_passages()
    scores, rows = score_passages(model, passages, max_batch_tokens=64, progress=False)  # several padded batches
    for i, passage in enumerate(passages):
        loglikelihood, greedy, rank, row = naive(model, passage)
        assert scores.loglikelihood[i] == pytest.approx(loglikelihood, abs=1e-4)
        assert scores.greedy[i] == greedy and scores.first_rank[i] == rank
        np.testing.assert_allclose(rows[i].astype(np.float32), row, atol=2e-2)


def test_timed_workloads_run():
    model = tiny_llama()
    prompts = [[1, 2, 3, 4], [5, 6, 7, 8]]
    prefill(model, prompts)
    cache, next_tokens = start_decode(model, prompts)
    decode_steps(model, cache, next_tokens, steps=3)
    assert next_tokens.shape == (2, 1)


def test_scoring_twice_is_bit_identical():
    """Determinism: same model, same passages -> the same scores to the last bit (fixed order and batching)."""
    passages = random_passages(n=12, seed=3)
    first, first_rows = score_passages(tiny_llama(), passages, max_batch_tokens=64, progress=False)
    second, second_rows = score_passages(tiny_llama(), passages, max_batch_tokens=64, progress=False)
    assert np.array_equal(first.loglikelihood, second.loglikelihood)
    assert np.array_equal(first.greedy, second.greedy) and np.array_equal(first.first_rank, second.first_rank)
    assert np.array_equal(first_rows, second_rows)
