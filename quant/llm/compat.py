"""Keyword differences between the transformers versions the suite runs under.

The GPTQModel environment pins transformers 5.x; the AutoGPTQ environment
needs transformers < 4.53.  Two keywords were renamed in between:
``torch_dtype`` -> ``dtype`` (from_pretrained / from_config, 4.56) and
``past_key_values`` -> ``cache`` (forward, 5.x).  Passing the new name to an
old version is not an error there -- it is silently ignored (the model loads
in fp32) -- so every call site goes through these helpers.
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def transformers_version() -> tuple[int, int]:
    from importlib.metadata import version

    major, minor = version("transformers").split(".")[:2]
    return int(major), int(minor)


def dtype_kwargs(dtype) -> dict:
    """``{"dtype": dtype}`` for transformers >= 4.56, ``{"torch_dtype": dtype}`` before."""
    return {"dtype": dtype} if transformers_version() >= (4, 56) else {"torch_dtype": dtype}


def cache_kwargs(cache) -> dict:
    """The forward keyword that takes a KV cache object."""
    return {"cache": cache} if transformers_version() >= (5, 0) else {"past_key_values": cache}
