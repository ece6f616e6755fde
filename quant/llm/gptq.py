"""GPTQ configuration, input checks and the engine-neutral entry points.

``GptqConfig`` holds everything that changes the quantized weights and goes
into the artifact key.  Defaults come from the int4 search (README): group
size 32, asymmetric grid, desc_act (act-order) on, damping 0.05 (GPTQModel's
default; AutoGPTQ's own is 0.01, so it is passed to both explicitly).  The
group size must divide the input width of every quantized layer (GPTQModel's
CPU int4 kernel needs K % group_size == 0; SmolLM2's hidden width 576 is not
a multiple of 128); ``check_group_size`` says so up front.  The engines
themselves live in ``quant.llm.engines``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quant.errors import BenchInputError
from quant.llm.engines import ENGINE_INFO, ENGINES, engine_module, is_installed

DEFAULT_GROUP_SIZE = 32
DEFAULT_SYM = False
DEFAULT_DESC_ACT = True
DEFAULT_DAMP = 0.05


@dataclass(frozen=True)
class GptqConfig:
    bits: int
    group_size: int = DEFAULT_GROUP_SIZE
    sym: bool = DEFAULT_SYM
    desc_act: bool = DEFAULT_DESC_ACT
    n_samples: int = 128
    seq_len: int = 256
    damp_percent: float = DEFAULT_DAMP


def layer_input_widths(model_config) -> set[int]:
    """Input widths of the linear layers GPTQ quantizes in a Llama/Gemma-style block."""
    text = getattr(model_config, "text_config", model_config)
    heads = text.num_attention_heads
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // heads
    return {text.hidden_size, text.intermediate_size, heads * head_dim}


def check_group_size(model_config, group_size: int) -> int:
    widths = sorted(layer_input_widths(model_config))
    if any(width % group_size for width in widths):
        fitting = [size for size in (128, 64, 32, 16) if all(width % size == 0 for width in widths)]
        raise BenchInputError(
            f"--gptq-group-size {group_size} does not divide the layer widths {widths}; use one of {fitting}"
        )
    return group_size


def check_engine(engine: str, bits: int | None = None) -> None:
    """Known engine, installed here, able to pack ``bits``: else a one-line BenchInputError."""
    if engine not in ENGINE_INFO:
        raise BenchInputError(f"unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
    info = ENGINE_INFO[engine]
    if bits is not None and bits not in info.bits:
        raise BenchInputError(f"engine {engine} cannot quantize to {bits} bits; it supports {info.bits}")
    if not is_installed(engine):
        raise BenchInputError(
            f"engine {engine} is not installed in this environment; run it through `nox -s {info.nox_session}`"
        )


def check_model_for_engine(engine: str, model_type: str, model_name: str) -> None:
    module = engine_module(engine)
    if hasattr(module, "check_model_type"):
        module.check_model_type(model_type, model_name)


def engine_version(engine: str) -> str:
    from importlib.metadata import version

    return version(ENGINE_INFO[engine].distribution)


def quantize(engine: str, checkpoint: Path, out_dir: Path, config: GptqConfig, samples: list[dict]) -> None:
    """Quantize the plain checkpoint with ``engine`` and save it into ``out_dir``."""
    check_engine(engine, config.bits)
    engine_module(engine).quantize(checkpoint, out_dir, config, samples)


def load_quantized(engine: str, path: Path, backend: str = "auto", device: str = "cpu"):
    """The quantized model running the engine's own kernels (what the speed cases time)."""
    check_engine(engine)
    return engine_module(engine).load_quantized(path, backend, device)


def load_dequantized_fp32(engine: str, path: Path):
    """The quantized model with its GPTQ layers unpacked to fp32 ``nn.Linear`` (exact weights)."""
    check_engine(engine)
    return engine_module(engine).load_dequantized_fp32(path)
