"""GPTQ engines: which exist, where each is installed, and the module that drives it.

Each engine module (``gptqmodel_engine``, ``autogptq_engine``) exposes
``quantize``, ``load_quantized`` (the engine's real kernels, for timing) and
``load_dequantized_fp32`` (the exact GPTQ weights in fp32 ``nn.Linear``
layers, for accuracy).  The two engines need different transformers versions,
so each lives in its own nox environment and its module is imported only when
used; the facts below are import-free so input validation stays instant.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class EngineInfo:
    module: str          # quant.llm.engines.<module>
    import_name: str     # what the engine's package imports as
    distribution: str    # its pip name, for versions in the artifact key
    nox_session: str     # the session whose environment installs it
    bits: tuple[int, ...]


ENGINE_INFO = {
    "gptqmodel": EngineInfo("gptqmodel_engine", "gptqmodel", "gptqmodel", "llm", (2, 3, 4, 8)),
    "auto-gptq": EngineInfo("autogptq_engine", "auto_gptq", "auto-gptq", "llm_autogptq", (2, 3, 4, 8)),
}
ENGINES = tuple(ENGINE_INFO)
DEFAULT_ENGINE = "gptqmodel"


def engine_module(name: str) -> ModuleType:
    return importlib.import_module(f"quant.llm.engines.{ENGINE_INFO[name].module}")


def is_installed(name: str) -> bool:
    return importlib.util.find_spec(ENGINE_INFO[name].import_name) is not None
