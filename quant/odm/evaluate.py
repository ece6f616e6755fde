"""COCO mAP with pycocotools, and paired bootstrap intervals over images.

``coco_map`` runs COCOeval (bbox) once; ``bootstrap_coco_stats`` then re-runs
only ``accumulate`` on resampled images, reusing the per-image matching that
``evaluate`` already did, so all 12 stats get intervals at a small cost.  The
resampling indices come from ``quant.stats.bootstrap_indices`` with a fixed
seed, so two precisions evaluated on the same images use the same resamples:
their per-resample differences give the paired interval of the delta.
"""
from __future__ import annotations

import contextlib
import copy
import io

import numpy as np

COCO_STAT_NAMES = ("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")


def _summarize(coco_eval) -> np.ndarray:
    """The 12 COCOeval.summarize() stats, computed silently from ``coco_eval.eval``."""
    params = coco_eval.params
    precision, recall = coco_eval.eval["precision"], coco_eval.eval["recall"]
    area_index = {label: i for i, label in enumerate(params.areaRngLbl)}
    det_index = {m: i for i, m in enumerate(params.maxDets)}

    def mean_valid(values: np.ndarray) -> float:
        valid = values[values > -1]
        return float(valid.mean()) if valid.size else -1.0

    def ap(iou: float | None = None, area: str = "all", max_dets: int = 100) -> float:
        values = precision[..., area_index[area], det_index[max_dets]]
        if iou is not None:
            values = values[np.flatnonzero(np.isclose(params.iouThrs, iou))]
        return mean_valid(values)

    def ar(area: str = "all", max_dets: int = 100) -> float:
        return mean_valid(recall[..., area_index[area], det_index[max_dets]])

    return np.array([
        ap(), ap(iou=0.5), ap(iou=0.75), ap(area="small"), ap(area="medium"), ap(area="large"),
        ar(max_dets=1), ar(max_dets=10), ar(), ar(area="small"), ar(area="medium"), ar(area="large"),
    ])


def coco_map(coco_gt, results: list[dict], image_ids: list[int]):
    """Run COCOeval bbox on ``image_ids``; return (evaluated COCOeval, 12 stats)."""
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        coco_dt = coco_gt.loadRes(results) if results else _empty_results(coco_gt)
        coco_eval = COCOeval(coco_gt, coco_dt, "bbox")
        coco_eval.params.imgIds = list(image_ids)
        coco_eval.evaluate()
        coco_eval.accumulate()
    return coco_eval, _summarize(coco_eval)


def _empty_results(coco_gt):
    """A detection set with no detections (loadRes rejects an empty list)."""
    from pycocotools.coco import COCO

    empty = COCO()
    empty.dataset = {"images": list(coco_gt.dataset["images"]), "categories": copy.deepcopy(coco_gt.dataset["categories"]), "annotations": []}
    with contextlib.redirect_stdout(io.StringIO()):
        empty.createIndex()
    return empty


def bootstrap_coco_stats(coco_eval, resamples: np.ndarray, chunk: int = 25) -> np.ndarray:
    """Stats [B, 12] of an evaluated COCOeval on each row of ``resamples`` (image positions).

    A vectorised re-implementation of ``COCOeval.accumulate`` in which each image
    carries a weight (how often the resample drew it): detections are sorted
    once per (category, area range, max-dets), and the cumulative TP/FP counts
    of every resample are weighted sums.  With every weight 1 it reproduces
    pycocotools' numbers exactly (a unit test holds it to that).
    """
    params = coco_eval.params
    n_images = len(params.imgIds)
    n_areas, n_cats = len(params.areaRng), (len(params.catIds) if params.useCats else 1)
    per_image = np.asarray(coco_eval.evalImgs, dtype=object).reshape(n_cats, n_areas, n_images)
    counts = np.stack([np.bincount(row, minlength=n_images) for row in resamples]).astype(np.float64)
    area_index = {label: i for i, label in enumerate(params.areaRngLbl)}
    stats = np.empty((len(resamples), len(COCO_STAT_NAMES)))
    for start in range(0, len(counts), chunk):
        block = counts[start:start + chunk]
        ap_all = _weighted_ap_recall(per_image[:, area_index["all"]], block, params, 100)
        stats[start:start + chunk, 0:3] = np.stack([ap_all[0], ap_all[1], ap_all[2]], axis=1)
        stats[start:start + chunk, 8] = ap_all[3]
        for offset, area in enumerate(("small", "medium", "large")):
            ap_area = _weighted_ap_recall(per_image[:, area_index[area]], block, params, 100)
            stats[start:start + chunk, 3 + offset] = ap_area[0]
            stats[start:start + chunk, 9 + offset] = ap_area[3]
        for column, max_dets in ((6, 1), (7, 10)):
            stats[start:start + chunk, column] = _weighted_ap_recall(
                per_image[:, area_index["all"]], block, params, max_dets, recall_only=True
            )[3]
    return stats


def _weighted_ap_recall(per_image_cat: np.ndarray, weights: np.ndarray, params, max_dets: int, recall_only: bool = False):
    """(AP, AP50, AP75, AR) each [B] for one area range, from per-image evalImgs [K, I]."""
    n_b, n_t = len(weights), len(params.iouThrs)
    rec_thrs = np.asarray(params.recThrs)
    precision_sum = np.zeros((n_b, n_t))
    precision_cnt = np.zeros((n_b, n_t))
    recall_sum = np.zeros((n_b, n_t))
    recall_cnt = np.zeros((n_b, n_t))
    t50, t75 = int(np.argmin(abs(params.iouThrs - 0.5))), int(np.argmin(abs(params.iouThrs - 0.75)))
    ap50_sum, ap75_sum = np.zeros(n_b), np.zeros(n_b)
    for evals in per_image_cat:
        images = [(i, e) for i, e in enumerate(evals) if e is not None]
        if not images:
            continue
        npig_per_image = np.zeros(weights.shape[1])
        for i, e in images:
            npig_per_image[i] = np.count_nonzero(np.asarray(e["gtIgnore"]) == 0)
        npig = weights @ npig_per_image                      # [B]
        present = npig > 0
        if not present.any():
            continue
        scores = np.concatenate([np.asarray(e["dtScores"][:max_dets]) for _, e in images])
        owner = np.concatenate([np.full(len(e["dtScores"][:max_dets]), i) for i, e in images]).astype(int)
        matches = np.concatenate([e["dtMatches"][:, :max_dets] for _, e in images], axis=1)
        ignored = np.concatenate([e["dtIgnore"][:, :max_dets] for _, e in images], axis=1)
        order = np.argsort(-scores, kind="mergesort")
        tp = ((matches != 0) & ~ignored)[:, order].astype(np.float64)   # [T, D]
        fp = ((matches == 0) & ~ignored)[:, order].astype(np.float64)
        w = weights[:, owner[order]]                                       # [B, D]
        tps = np.cumsum(w[:, None, :] * tp[None], axis=2)                  # [B, T, D]
        safe_npig = np.where(present, npig, 1.0)[:, None]
        n_dets = tps.shape[2]
        final_recall = tps[:, :, -1] / safe_npig if n_dets else np.zeros((n_b, n_t))
        recall_sum += np.where(present[:, None], final_recall, 0.0)
        recall_cnt += present[:, None]
        if recall_only:
            continue
        ap_per_t = np.zeros((n_b, n_t))
        if n_dets:
            fps = np.cumsum(w[:, None, :] * fp[None], axis=2)
            recall = tps / safe_npig[:, :, None]
            precision = tps / (fps + tps + np.spacing(1))
            envelope = np.maximum.accumulate(precision[..., ::-1], axis=2)[..., ::-1]
            # first position with recall >= threshold j, for every row at once and exactly:
            # rank each recall among the thresholds (#thresholds <= value); value < thr_j iff
            # rank <= j, and ranks are integers, so rows can be offset without rounding
            n_thr = len(rec_thrs)
            rank = np.searchsorted(rec_thrs, recall.ravel(), side="right").reshape(recall.shape)
            row_offset = (np.arange(n_b * n_t) * (n_thr + 1)).reshape(n_b, n_t, 1)
            targets = np.arange(n_thr).reshape(1, 1, -1) + row_offset
            positions = np.searchsorted((rank + row_offset).ravel(), targets.ravel(), side="right")
            positions = positions.reshape(n_b, n_t, -1) - (np.arange(n_b * n_t) * n_dets).reshape(n_b, n_t, 1)
            valid = positions < n_dets
            gathered = np.take_along_axis(envelope, np.minimum(positions, n_dets - 1), axis=2)
            ap_per_t = np.where(valid, gathered, 0.0).mean(axis=2)
        precision_sum += np.where(present[:, None], ap_per_t, 0.0)
        precision_cnt += present[:, None]
        ap50_sum += np.where(present, ap_per_t[:, t50], 0.0)
        ap75_sum += np.where(present, ap_per_t[:, t75], 0.0)

    def ratio(total, count):
        return np.where(count > 0, total / np.maximum(count, 1), -1.0)

    n_present = precision_cnt[:, 0]
    return (
        ratio(precision_sum.sum(axis=1), precision_cnt.sum(axis=1)),
        ratio(ap50_sum, n_present),
        ratio(ap75_sum, n_present),
        ratio(recall_sum.sum(axis=1), recall_cnt.sum(axis=1)),
    )
