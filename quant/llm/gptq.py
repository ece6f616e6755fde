"""GPTQ quantization behind an engine interface.  GPTQModel is implemented; AutoGPTQ (which
needs its own environment: transformers<4.53, peft<0.19, two CPU patches) is not yet.

``GptqConfig`` holds everything that changes the quantized weights and goes
into the artifact key.  Defaults come from the int4 search (README): group
size 32, asymmetric grid, desc_act (act-order) on.  The group size must divide the input
width of every quantized layer (GPTQModel's CPU int4 kernel needs
K % group_size == 0; SmolLM2's hidden width 576 is not a multiple of 128);
``check_group_size`` says so up front.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from quant.errors import BenchInputError

ENGINES = ("gptqmodel",)
ENGINE_BITS = {"gptqmodel": (2, 3, 4, 8)}
NOT_YET = {"auto-gptq": "the AutoGPTQ engine is not implemented yet (issue #3); use --engine gptqmodel"}
DEFAULT_GROUP_SIZE = 32
DEFAULT_SYM = False
DEFAULT_DESC_ACT = True


@dataclass(frozen=True)
class GptqConfig:
    bits: int
    group_size: int = DEFAULT_GROUP_SIZE
    sym: bool = DEFAULT_SYM
    desc_act: bool = DEFAULT_DESC_ACT
    n_samples: int = 128
    seq_len: int = 256


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


def check_engine(engine: str, bits: int) -> None:
    if engine in NOT_YET:
        raise BenchInputError(NOT_YET[engine])
    if engine not in ENGINES:
        raise BenchInputError(f"unknown engine {engine!r}; valid: {', '.join(ENGINES)}")
    if bits not in ENGINE_BITS[engine]:
        raise BenchInputError(f"engine {engine} cannot quantize to {bits} bits; it supports {ENGINE_BITS[engine]}")
    import importlib.util

    if importlib.util.find_spec("gptqmodel") is None:
        raise BenchInputError(f"engine {engine} is not installed in this environment; run it through `nox -s llm`")


def engine_version(engine: str) -> str:
    from importlib.metadata import version

    return version(engine)


def quantize(engine: str, checkpoint: Path, out_dir: Path, config: GptqConfig, samples: list[dict]) -> None:
    """Quantize the plain checkpoint with ``engine`` and save it into ``out_dir``."""
    check_engine(engine, config.bits)
    _quantize_gptqmodel(checkpoint, out_dir, config, samples)


def load_quantized(engine: str, path: Path, backend: str = "auto", device: str = "cpu"):
    """The quantized model: bf16 compute on CPU (fp32 loads fail for 2/8-bit there), fp16 on CUDA."""
    import torch
    from gptqmodel import BACKEND, GPTQModel

    check_engine(engine, 8)
    try:
        backend_enum = BACKEND(backend)
    except ValueError:
        raise BenchInputError(f"unknown GPTQModel backend {backend!r}; e.g. auto, gptq_torch") from None
    with _quiet_logs():
        return GPTQModel.load(str(path), device="cuda:0" if device == "cuda" else "cpu",
                              dtype=torch.float16 if device == "cuda" else torch.bfloat16, backend=backend_enum)


def load_dequantized_fp32(engine: str, path: Path):
    """The quantized model with every GPTQ layer unpacked into a plain fp32 ``nn.Linear``.

    The weights are exactly the GPTQ grid values (scale * (q - zero), scales
    kept in the fp16 they are stored in); only the matmul runs in fp32.  On
    CPUs without bf16 instructions this runs ~6x faster than bf16 and ~40x
    faster than GPTQModel's generic torch kernel, which 2- and 8-bit layers
    fall back to on CPU.
    """
    import torch
    from torch import nn

    check_engine(engine, 8)
    from gptqmodel import BACKEND, GPTQModel
    from gptqmodel.nn_modules.qlinear.torch import TorchLinear

    with _quiet_logs():
        wrapped = GPTQModel.load(str(path), device="cpu", dtype=torch.float16, backend=BACKEND.GPTQ_TORCH)
    model = wrapped.model
    replaced = 0
    with torch.no_grad():
        for name, module in list(model.named_modules()):
            if not isinstance(module, TorchLinear):
                continue
            linear = nn.Linear(module.in_features, module.out_features, bias=module.bias is not None, dtype=torch.float32)
            linear.weight.copy_(module.dequantize_weight().T.float())
            if module.bias is not None:
                linear.bias.copy_(module.bias.float())
            parent_name, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent_name) if parent_name else model, child, linear)
            replaced += 1
    if replaced == 0:
        raise RuntimeError(f"{path}: no GPTQ layers found to dequantize")
    model.float().eval()
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model


def _quantize_gptqmodel(checkpoint: Path, out_dir: Path, config: GptqConfig, samples: list[dict]) -> None:
    os.environ.setdefault("GPTQMODEL_CPU_WORKERS", str(min(os.cpu_count() or 1, 2)))
    from gptqmodel import GPTQModel, QuantizeConfig

    quantize_config = QuantizeConfig(
        bits=config.bits, group_size=config.group_size, sym=config.sym, desc_act=config.desc_act
    )
    import torch

    with _quiet_logs():
        # fp32 calibration forwards: bf16 matmuls are ~6x slower on CPUs without bf16 units
        model = GPTQModel.load(str(checkpoint), quantize_config, device="cpu", dtype=torch.float32)
        model.quantize(samples, batch_size=1)
        model.model.to(torch.float16)  # store embeddings, norms and scales in fp16, as GPTQ checkpoints do
        model.save(str(out_dir))


@contextlib.contextmanager
def _quiet_logs():
    """GPTQModel writes ./logs/gptq_log_*.log into the working directory: keep it out of the project."""
    with tempfile.TemporaryDirectory(prefix="gptq-logs-") as scratch, contextlib.chdir(scratch):
        yield
