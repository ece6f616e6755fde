"""AutoGPTQ (``auto-gptq==0.7.1``, archived upstream) on CPU: quantize, load, unpack to fp32.

AutoGPTQ was written for CUDA.  Three things make it run on a CPU-only torch,
all undone when the call returns:
- ``from_pretrained`` refuses without CUDA, so the plain model is loaded with
  transformers and wrapped in AutoGPTQ's model class directly;
- ``quantize`` moves each layer to ``_base.CUDA_0`` and calls
  ``torch.cuda.synchronize``: the device is pointed at the CPU and the
  synchronize made a no-op;
- ``from_quantized`` replaces torch's init functions with no-ops for the rest
  of the process: they are saved and restored.
Quantized layers load as AutoGPTQ's ``qlinear_cuda`` QuantLinear, whose
non-CUDA path dequantizes per forward and multiplies in the model dtype (fp32
here: fp16 matmuls are far slower on CPU).  The damping fraction is passed
explicitly; AutoGPTQ's own default (0.01) differs from GPTQModel's (0.05).
"""
from __future__ import annotations

import contextlib
from pathlib import Path

from quant.errors import BenchInputError


def supported_model_types() -> list[str]:
    from auto_gptq.modeling._const import SUPPORTED_MODELS

    return list(SUPPORTED_MODELS)


def check_model_type(model_type: str, model_name: str) -> None:
    supported = supported_model_types()
    if model_type not in supported:
        raise BenchInputError(
            f"engine auto-gptq 0.7.1 cannot quantize {model_name} (model type {model_type!r}; it knows "
            f"{', '.join(sorted(supported))}); use --engine gptqmodel (nox -s llm) for this model"
        )


@contextlib.contextmanager
def _cpu_patches():
    import torch
    import auto_gptq.modeling._base as base

    saved = base.CUDA_0, torch.cuda.synchronize
    base.CUDA_0 = torch.device("cpu")
    torch.cuda.synchronize = lambda *args, **kwargs: None
    try:
        yield
    finally:
        base.CUDA_0, torch.cuda.synchronize = saved


@contextlib.contextmanager
def _keep_torch_init():
    import torch

    names = [name for name in dir(torch.nn.init) if name.endswith("_") and not name.startswith("_")]
    saved = {name: getattr(torch.nn.init, name) for name in names}
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(torch.nn.init, name, function)


def quantize(checkpoint: Path, out_dir: Path, config, samples: list[dict]) -> None:
    import torch
    from auto_gptq import BaseQuantizeConfig
    from auto_gptq.modeling.auto import GPTQ_CAUSAL_LM_MODEL_MAP
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quantize_config = BaseQuantizeConfig(bits=config.bits, group_size=config.group_size, sym=config.sym,
                                         desc_act=config.desc_act, damp_percent=config.damp_percent)
    hf_model = AutoModelForCausalLM.from_pretrained(checkpoint, torch_dtype=torch.float32).eval()
    check_model_type(hf_model.config.model_type, checkpoint.name)
    hf_model.seqlen = hf_model.config.max_position_embeddings
    model = GPTQ_CAUSAL_LM_MODEL_MAP[hf_model.config.model_type](hf_model, False, quantize_config)
    examples = [{key: torch.tensor(value) for key, value in sample.items()} for sample in samples]
    with _cpu_patches():
        model.quantize(examples, batch_size=1, use_cuda_fp16=False)
    model.model.to(torch.float16)  # embeddings, norms and scales in fp16, as GPTQ checkpoints store them
    model.save_quantized(str(out_dir), use_safetensors=True)
    AutoTokenizer.from_pretrained(checkpoint).save_pretrained(out_dir)


def _from_quantized(path: Path, dtype):
    from auto_gptq import AutoGPTQForCausalLM

    with _keep_torch_init():
        return AutoGPTQForCausalLM.from_quantized(
            str(path), device="cpu", torch_dtype=dtype, use_safetensors=True, disable_exllama=True,
            disable_exllamav2=True, use_marlin=False, use_triton=False, use_cuda_fp16=False,
        )


def load_quantized(path: Path, backend: str = "auto", device: str = "cpu"):
    """AutoGPTQ's QuantLinear layers; on CPU their torch path computes in fp32."""
    import torch

    if backend != "auto":
        raise BenchInputError(f"--gptq-backend {backend} is a GPTQModel backend; AutoGPTQ takes only 'auto'")
    if device != "cpu":
        raise BenchInputError("the AutoGPTQ engine runs on CPU here (its CUDA kernels are not built); use --device cpu")
    return _from_quantized(path, torch.float32).model.eval()


def load_dequantized_fp32(path: Path):
    """Every QuantLinear replaced by an fp32 ``nn.Linear`` with the exact GPTQ weights.

    The weight is read out of the layer's own dequantizing forward: feeding the
    identity matrix (fp16, like the stored scales) (bias detached) returns ``I @ W^T``,
    exact because each output sums one product with zeros.
    """
    import torch
    from auto_gptq.nn_modules.qlinear.qlinear_cuda import QuantLinear

    from quant.llm.engines.unpack import replace_linears

    def weight_of(module) -> torch.Tensor:
        bias, module.bias = module.bias, None  # read the weight alone; replace_linears copies the bias
        try:
            with torch.no_grad():
                return module(torch.eye(module.infeatures, dtype=torch.float16)).T
        finally:
            module.bias = bias

    model = _from_quantized(path, torch.float16).model
    return replace_linears(model, QuantLinear, weight_of, path)
