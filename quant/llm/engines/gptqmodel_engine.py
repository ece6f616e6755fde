"""GPTQModel (``gptqmodel==7.6.0``): quantize, load with its kernels, or unpack to fp32 layers.

Calibration forwards run in fp32 (bf16 matmuls are ~6x slower on CPUs without
bf16 units); the saved checkpoint keeps embeddings, norms and scales in fp16
as GPTQ checkpoints do.  GPTQModel writes ./logs/gptq_log_*.log into the
working directory, so every call runs from a scratch directory.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from quant.errors import BenchInputError


def quantize(checkpoint: Path, out_dir: Path, config, samples: list[dict]) -> None:
    os.environ.setdefault("GPTQMODEL_CPU_WORKERS", str(min(os.cpu_count() or 1, 2)))
    import torch
    from gptqmodel import GPTQModel, QuantizeConfig

    quantize_config = QuantizeConfig(bits=config.bits, group_size=config.group_size, sym=config.sym,
                                     desc_act=config.desc_act, damp_percent=config.damp_percent)
    with _quiet_logs():
        model = GPTQModel.load(str(checkpoint), quantize_config, device="cpu", dtype=torch.float32)
        model.quantize(samples, batch_size=1)
        model.model.to(torch.float16)
        model.save(str(out_dir))


def load_quantized(path: Path, backend: str = "auto", device: str = "cpu"):
    """The quantized model: bf16 compute on CPU (fp32 loads fail for 2/8-bit there), fp16 on CUDA."""
    import torch
    from gptqmodel import BACKEND, GPTQModel

    try:
        backend_enum = BACKEND(backend)
    except ValueError:
        raise BenchInputError(f"unknown GPTQModel backend {backend!r}; e.g. auto, gptq_torch") from None
    with _quiet_logs():
        return GPTQModel.load(str(path), device="cuda:0" if device == "cuda" else "cpu",
                              dtype=torch.float16 if device == "cuda" else torch.bfloat16, backend=backend_enum)


def load_dequantized_fp32(path: Path):
    """The quantized model with every GPTQ layer unpacked into a plain fp32 ``nn.Linear``.

    The weights are exactly the GPTQ grid values (scale * (q - zero), scales
    kept in the fp16 they are stored in); only the matmul runs in fp32.  On
    CPUs without bf16 instructions this runs ~6x faster than bf16 and ~40x
    faster than GPTQModel's generic torch kernel, which 2- and 8-bit layers
    fall back to on CPU.
    """
    import torch
    from gptqmodel import BACKEND, GPTQModel
    from gptqmodel.nn_modules.qlinear.torch import TorchLinear

    from quant.llm.engines.unpack import replace_linears

    with _quiet_logs():
        wrapped = GPTQModel.load(str(path), device="cpu", dtype=torch.float16, backend=BACKEND.GPTQ_TORCH)
    return replace_linears(wrapped.model, TorchLinear, lambda module: module.dequantize_weight().T, path)


@contextlib.contextmanager
def _quiet_logs():
    with tempfile.TemporaryDirectory(prefix="gptq-logs-") as scratch, contextlib.chdir(scratch):
        yield
