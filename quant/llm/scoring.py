"""Batched LAMBADA scoring with a causal LM, and the timed prefill / decode workloads.

Passages are sorted by length and padded on the right into batches of at most
``max_batch_tokens``; one forward of the decoder per batch gives the hidden
states, and the LM head (a fifth of SmolLM2's weights) runs only at the
positions that predict target tokens.  Tokenization follows lm-eval:
``whole = enc(context + target)``, ``context = enc(context)``, target tokens
are ``whole[len(context):]``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quant.llm.lambada import Passage
from quant.llm.compat import cache_kwargs
from quant.llm.metrics import PassageScores


@dataclass(frozen=True)
class EncodedPassage:
    context: list[int]
    target: list[int]


def encode_passages(tokenizer, passages: tuple[Passage, ...], add_bos: bool) -> list[EncodedPassage]:
    prefix = [tokenizer.bos_token_id] if add_bos else []
    encoded = []
    for passage in passages:
        context, target = passage.context, passage.target
        trailing = len(context) - len(context.rstrip(" "))
        if trailing:  # lm-eval moves trailing spaces of the context into the continuation
            context, target = context[:-trailing], context[-trailing:] + target
        whole = tokenizer(context + target, add_special_tokens=False).input_ids
        context_ids = tokenizer(context, add_special_tokens=False).input_ids
        encoded.append(EncodedPassage(prefix + context_ids, whole[len(context_ids):]))
    return encoded


def _decoder_and_head(model):
    """The transformer body and LM head of a transformers causal LM (GPTQModel wraps one in ``.model``)."""
    hf = model.model if hasattr(model, "quantize_config") else model
    return hf, hf.get_decoder(), hf.get_output_embeddings()


def score_passages(model, encoded: list[EncodedPassage], max_batch_tokens: int = 4096, progress: bool = True):
    """Return (PassageScores, first-prediction log-softmax rows [N, V] float16) in input order."""
    import torch
    from tqdm import tqdm

    hf, decoder, head = _decoder_and_head(model)
    softcap = getattr(hf.config, "final_logit_softcapping", None)
    device = next(hf.parameters()).device
    n = len(encoded)
    loglikelihood = np.zeros(n)
    greedy = np.zeros(n, dtype=bool)
    first_rank = np.zeros(n, dtype=np.int64)
    first_rows: list[np.ndarray | None] = [None] * n
    order = sorted(range(n), key=lambda i: -(len(encoded[i].context) + len(encoded[i].target)))
    batches, current = [], []
    for index in order:
        length = len(encoded[index].context) + len(encoded[index].target) - 1
        longest = len(encoded[current[0]].context) + len(encoded[current[0]].target) - 1 if current else length
        if current and longest * (len(current) + 1) > max_batch_tokens:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)

    with torch.inference_mode():
        for batch in tqdm(batches, desc="LAMBADA", unit="batch", leave=False, disable=None if progress else True):
            sequences = [encoded[i].context + encoded[i].target[:-1] for i in batch]
            width = max(len(s) for s in sequences)
            input_ids = torch.zeros((len(batch), width), dtype=torch.long)
            attention = torch.zeros((len(batch), width), dtype=torch.long)
            for row, sequence in enumerate(sequences):
                input_ids[row, : len(sequence)] = torch.tensor(sequence)
                attention[row, : len(sequence)] = 1
            hidden = decoder(input_ids=input_ids.to(device), attention_mask=attention.to(device)).last_hidden_state
            rows, positions = [], []
            for row, i in enumerate(batch):
                start = len(encoded[i].context) - 1
                rows += [row] * len(encoded[i].target)
                positions += range(start, start + len(encoded[i].target))
            logits = head(hidden[rows, positions]).float()
            if softcap:
                logits = torch.tanh(logits / softcap) * softcap
            logprobs = torch.log_softmax(logits, dim=-1)
            offset = 0
            for i in batch:
                target = torch.tensor(encoded[i].target, device=logprobs.device)
                block = logprobs[offset: offset + len(target)]
                offset += len(target)
                picked = block.gather(1, target[:, None])[:, 0]
                loglikelihood[i] = float(picked.sum())
                greedy[i] = bool((block.argmax(dim=1) == target).all())
                first_rank[i] = int((block[0] > picked[0]).sum())
                first_rows[i] = block[0].to(torch.float16).cpu().numpy()
    return PassageScores(loglikelihood, greedy, first_rank), np.stack(first_rows)


def timing_prompts(encoded: list[EncodedPassage], count: int, length: int) -> list[list[int]]:
    """``count`` fixed prompts of exactly ``length`` tokens: the last tokens of the first long-enough contexts."""
    prompts = [e.context[-length:] for e in encoded if len(e.context) >= length][:count]
    if len(prompts) < count:
        raise ValueError(f"only {len(prompts)} LAMBADA contexts have {length} tokens; lower the timing prompt length")
    return prompts


def prefill(model, prompts: list[list[int]]) -> None:
    """One forward over the prompt batch, computing logits only for the last position."""
    import torch

    hf, _, _ = _decoder_and_head(model)
    with torch.inference_mode():
        hf(input_ids=torch.tensor(prompts, device=next(hf.parameters()).device), logits_to_keep=1, use_cache=False)


def start_decode(model, prompts: list[list[int]]):
    """Prefill ``prompts`` (untimed) and return the state ``decode_steps`` continues from."""
    import torch
    from transformers import DynamicCache

    hf, _, _ = _decoder_and_head(model)
    with torch.inference_mode():
        cache = DynamicCache()  # filled in place by every forward
        out = hf(input_ids=torch.tensor(prompts, device=next(hf.parameters()).device), **cache_kwargs(cache),
                 use_cache=True, logits_to_keep=1)
        return cache, out.logits[:, -1].argmax(dim=-1, keepdim=True)


def decode_steps(model, cache, next_tokens, steps: int) -> None:
    """``steps`` greedy decode steps for the whole batch (the timed decode workload)."""
    import torch

    hf, _, _ = _decoder_and_head(model)
    with torch.inference_mode():
        for _ in range(steps):
            out = hf(input_ids=next_tokens, **cache_kwargs(cache), use_cache=True, logits_to_keep=1)
            next_tokens = out.logits[:, -1].argmax(dim=-1, keepdim=True)
