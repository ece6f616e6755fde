"""Swap an engine's quantized linear layers for fp32 ``nn.Linear`` layers holding the same weights."""
from __future__ import annotations

from pathlib import Path
from typing import Callable


def replace_linears(model, layer_type: type, dequantized_weight: Callable, path: Path):
    """Replace every ``layer_type`` module in ``model`` by an fp32 ``nn.Linear``.

    ``dequantized_weight(module)`` returns the layer's weight as [out, in];
    the bias is copied.  The model is returned in fp32 eval mode without its
    ``quantization_config`` (it is a plain model now).
    """
    import torch
    from torch import nn

    replaced = 0
    with torch.no_grad():
        for name, module in list(model.named_modules()):
            if not isinstance(module, layer_type):
                continue
            weight = dequantized_weight(module).float()
            out_features, in_features = weight.shape
            bias = getattr(module, "bias", None)
            linear = nn.Linear(in_features, out_features, bias=bias is not None, dtype=torch.float32)
            linear.weight.copy_(weight)
            if bias is not None:
                linear.bias.copy_(bias.float())
            parent_name, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent_name) if parent_name else model, child, linear)
            replaced += 1
    if replaced == 0:
        raise RuntimeError(f"{path}: no GPTQ layers found to dequantize")
    model.float().eval()
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model
