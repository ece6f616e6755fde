"""LLM family: GGUF -> transformers checkpoint, GPTQ quantization, batched LAMBADA scoring.

Only this sub-package imports torch / transformers / gptqmodel, and only inside functions.
"""
