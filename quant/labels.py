"""Case labels shared by plots, report and gate (stdlib only: the gate runs without numpy)."""
from __future__ import annotations

from quant.llm.engines import DEFAULT_ENGINE  # stdlib-only module


def case_label(info: dict) -> str:
    """``model-precision``, plus ``+engine`` for GPTQ rows built by a non-default engine.

    Keeps an AutoGPTQ int4 row apart from the GPTQModel int4 row in plots,
    report and gate when both runs land in one results folder.
    """
    label = f"{info['model']}-{info['precision']}"
    engine = info.get("engine")
    if info.get("family") == "llm" and engine not in (None, "transformers", DEFAULT_ENGINE):
        label += f"+{engine}"
    return label
