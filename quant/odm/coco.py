"""COCO val2017 (or any subset of it) and the train2017 calibration images.

``load_coco_dataset`` validates a COCO root once, up front, and returns the
evaluation image list in a fixed order (sorted by image id) plus a dataset id
(name + content hash) so results on different data never get compared.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from quant.errors import BenchInputError

ANNOTATION_CANDIDATES = ("instances_val2017.json", "instances_val2017_subset.json")


@dataclass(frozen=True)
class CocoImage:
    image_id: int
    path: Path
    width: int
    height: int


@dataclass(frozen=True)
class CocoDataset:
    annotation_path: Path
    images: tuple[CocoImage, ...]
    dataset_id: str   # e.g. "coco-val2017:204:3f2a...": name, image count, content hash

    @property
    def image_ids(self) -> list[int]:
        return [image.image_id for image in self.images]


def find_annotation_file(coco_dir: Path) -> Path:
    for name in ANNOTATION_CANDIDATES:
        candidate = coco_dir / "annotations" / name
        if candidate.is_file():
            return candidate
    raise BenchInputError(
        f"no COCO annotations in {coco_dir}/annotations (looked for {', '.join(ANNOTATION_CANDIDATES)}); "
        "point --coco-dir / COCO_DIR at a COCO root holding annotations/ and val2017/"
    )


def _read_annotations(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise BenchInputError(f"{path} is not readable JSON ({err}); re-download the COCO annotations") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("images", "annotations", "categories")):
        raise BenchInputError(f"{path} is not a COCO instances file (needs images, annotations, categories lists)")
    return data


def load_coco_dataset(coco_dir: Path | str, max_images: int | None = None) -> CocoDataset:
    """Validate ``coco_dir`` and return its val2017 evaluation set (first ``max_images`` by id)."""
    coco_dir = Path(coco_dir).expanduser()
    if not coco_dir.is_dir():
        raise BenchInputError(f"COCO directory {coco_dir} does not exist; set --coco-dir / COCO_DIR to a COCO root")
    annotation_path = find_annotation_file(coco_dir)
    data = _read_annotations(annotation_path)
    image_dir = coco_dir / "val2017"
    records = sorted(data["images"], key=lambda record: record["id"])
    if max_images is not None:
        if max_images < 1:
            raise BenchInputError(f"--coco-n must be at least 1, got {max_images}")
        records = records[:max_images]
    if not records:
        raise BenchInputError(f"{annotation_path} lists no images; nothing to evaluate")
    missing = [r["file_name"] for r in records if not (image_dir / r["file_name"]).is_file()]
    if missing:
        raise BenchInputError(
            f"{len(missing)} of {len(records)} annotated images are missing from {image_dir} "
            f"(first: {missing[0]}); the annotation file does not match the images"
        )
    images = tuple(
        CocoImage(int(r["id"]), image_dir / r["file_name"], int(r["width"]), int(r["height"])) for r in records
    )
    digest = hashlib.sha256(annotation_path.read_bytes())
    for image in images:  # ids and file sizes: cheap, and catches swapped or re-encoded images
        digest.update(f"{image.image_id}:{image.path.stat().st_size};".encode())
    return CocoDataset(annotation_path, images, f"coco-val2017:{len(images)}:{digest.hexdigest()[:16]}")


def calibration_images(calib_dir: Path | str, count: int) -> list[Path]:
    """The first ``count`` images of ``calib_dir`` by file name: a fixed, recorded order."""
    calib_dir = Path(calib_dir).expanduser()
    if not calib_dir.is_dir():
        raise BenchInputError(
            f"calibration directory {calib_dir} does not exist; set --calib-dir / CALIB_DIR to COCO train2017 images"
        )
    paths = sorted(p for p in calib_dir.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if len(paths) < count:
        raise BenchInputError(f"{calib_dir} has {len(paths)} images, fewer than --calib-n {count}")
    return paths[:count]
