"""Per-class non-maximum suppression and mapping of detections to COCO results.

Replicates the TF1 SSD post-processing config of ssdlite_mobilenet_v2_coco:
boxes clipped to the image window, per class greedy NMS (suppress when
IoU > 0.6), at most 100 kept per class and 100 per image, score > 1e-8.

Exactness shortcut: greedy NMS decides each box only from higher-scoring boxes
of its class, so walking every (anchor, class) pair in one global descending
score order and stopping at the 100th kept detection gives the same result as
running NMS per class and merging the top 100, at a fraction of the cost.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NmsConfig:
    iou_threshold: float = 0.6
    max_per_class: int = 100
    max_total: int = 100
    score_threshold: float = 1e-8


@dataclass(frozen=True)
class Detections:
    """Detections of one image; boxes are normalised (ymin, xmin, ymax, xmax)."""

    boxes: np.ndarray        # float32 [K, 4]
    scores: np.ndarray       # float32 [K]
    category_ids: np.ndarray  # int64 [K], COCO ids 1..90


def _iou_one_to_many(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    ymin = np.maximum(box[0], others[:, 0])
    xmin = np.maximum(box[1], others[:, 1])
    ymax = np.minimum(box[2], others[:, 2])
    xmax = np.minimum(box[3], others[:, 3])
    inter = np.clip(ymax - ymin, 0, None) * np.clip(xmax - xmin, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _descending_candidates(flat: np.ndarray, threshold: float, block: int = 2048):
    """Indices of ``flat`` above ``threshold`` in descending score order, sorted lazily in blocks.

    Sorting all anchors x classes (172k values) per image costs more than the
    NMS itself, and the walk usually stops after a few hundred candidates.
    Ties keep index order (anchor-major), as a stable full sort would.
    """
    candidates = np.flatnonzero(flat > threshold)
    scores = flat[candidates]
    while candidates.size:
        if candidates.size > block:
            # the ``block`` highest scores, plus every candidate tied with the lowest of them
            cut = np.partition(scores, candidates.size - block)[candidates.size - block]
            take = scores >= cut
        else:
            take = np.ones(candidates.size, dtype=bool)
        chosen, chosen_scores = candidates[take], scores[take]
        order = np.lexsort((chosen, -chosen_scores))
        yield from chosen[order]
        candidates, scores = candidates[~take], scores[~take]


def per_class_nms(boxes: np.ndarray, scores: np.ndarray, config: NmsConfig = NmsConfig()) -> Detections:
    """NMS over ``boxes`` [A, 4] and ``scores`` [A, C]; column j is COCO category j+1."""
    boxes = np.clip(boxes.astype(np.float32), 0.0, 1.0)
    positive_area = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    scores = np.where(positive_area[:, None], scores, 0.0)
    flat = scores.ravel()
    num_classes = scores.shape[1]
    kept_by_class: dict[int, list[int]] = {}
    kept: list[int] = []
    for flat_index in _descending_candidates(flat, config.score_threshold):
        anchor, klass = divmod(int(flat_index), num_classes)
        same_class = kept_by_class.setdefault(klass, [])
        if len(same_class) >= config.max_per_class:
            continue
        if same_class and _iou_one_to_many(boxes[anchor], boxes[same_class]).max() > config.iou_threshold:
            continue
        same_class.append(anchor)
        kept.append(int(flat_index))
        if len(kept) == config.max_total:
            break
    kept_array = np.asarray(kept, dtype=np.int64)
    anchors, classes = np.divmod(kept_array, num_classes)
    return Detections(
        boxes=boxes[anchors].reshape(-1, 4),
        scores=flat[kept_array].astype(np.float32),
        category_ids=classes + 1,
    )


def to_coco_results(detections: Detections, image_id: int, width: int, height: int) -> list[dict]:
    """COCO result records: pixel [x, y, w, h] boxes, COCO category ids."""
    records = []
    for (ymin, xmin, ymax, xmax), score, category in zip(
        detections.boxes.tolist(), detections.scores.tolist(), detections.category_ids.tolist()
    ):
        records.append({
            "image_id": int(image_id),
            "category_id": int(category),
            "bbox": [xmin * width, ymin * height, (xmax - xmin) * width, (ymax - ymin) * height],
            "score": float(score),
        })
    return records
