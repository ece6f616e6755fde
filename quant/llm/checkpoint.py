"""Turn a GGUF file into a plain transformers checkpoint (dequantized weights).

``from_pretrained(dir, gguf_file=...)`` dequantizes the GGUF tensors; the model
it returns still carries a GGUF ``quantization_config``, which GPTQ tools
reject.  So the config is copied without it, a fresh model is built from that
config and given the dequantized state dict, and that model is saved.  A
reload of the saved checkpoint gives identical logits (unit test).
"""
from __future__ import annotations

import struct
from pathlib import Path

from quant.errors import BenchInputError
from quant.llm.compat import dtype_kwargs


def gguf_to_checkpoint(gguf_path: Path, out_dir: Path) -> None:
    """Write ``config.json``, weights and tokenizer files of ``gguf_path`` into ``out_dir`` (fp32)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(gguf_path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, **dtype_kwargs(torch.float32))
    except (OSError, ValueError, KeyError, IndexError, EOFError, struct.error) as err:  # truncated/garbled file
        raise BenchInputError(f"cannot read GGUF {gguf_path} ({type(err).__name__}: {err}); re-fetch the model") from None
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    with torch.device("cpu"):
        plain = AutoModelForCausalLM.from_config(config, **dtype_kwargs(torch.float32))
    missing, unexpected = plain.load_state_dict(loaded.state_dict(), strict=False)
    tied = {"lm_head.weight"} if getattr(config, "tie_word_embeddings", False) else set()
    if set(missing) - tied or unexpected:
        raise RuntimeError(f"GGUF state dict does not fit its config: missing {missing}, unexpected {unexpected}")
    if tied:
        plain.tie_weights()
    plain.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
