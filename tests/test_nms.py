"""Per-class NMS and COCO result mapping, against a naive per-class reference."""
import numpy as np

from quant.odm.nms import Detections, NmsConfig, per_class_nms, to_coco_results


def iou(a, b):
    ymin, xmin = max(a[0], b[0]), max(a[1], b[1])
    ymax, xmax = min(a[2], b[2]), min(a[3], b[3])
    inter = max(ymax - ymin, 0) * max(xmax - xmin, 0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def naive_nms(boxes, scores, config):
    """Textbook: NMS per class, then merge and keep the top max_total."""
    kept = []
    boxes = np.clip(boxes, 0, 1)
    for klass in range(scores.shape[1]):
        order = sorted(range(len(boxes)), key=lambda i: -scores[i, klass])
        chosen = []
        for i in order:
            if scores[i, klass] <= config.score_threshold or len(chosen) == config.max_per_class:
                continue
            if boxes[i, 2] <= boxes[i, 0] or boxes[i, 3] <= boxes[i, 1]:
                continue
            if all(iou(boxes[i], boxes[j]) <= config.iou_threshold for j in chosen):
                chosen.append(i)
        kept += [(scores[i, klass], i, klass) for i in chosen]
    kept.sort(key=lambda t: -t[0])
    return kept[: config.max_total]


def test_overlapping_boxes_of_one_class_are_suppressed_but_other_classes_kept():
    boxes = np.array([[0, 0, 0.5, 0.5], [0.01, 0.01, 0.5, 0.5], [0.6, 0.6, 1, 1]], np.float32)
    scores = np.array([[0.9, 0.8], [0.8, 0.1], [0.7, 0.0]], np.float32)
    det = per_class_nms(boxes, scores)
    pairs = [(round(s, 3), c) for s, c in zip(det.scores.tolist(), det.category_ids.tolist())]
    # box 1 overlaps box 0 (IoU ~0.96): suppressed in both classes; box 2 is apart and kept
    assert pairs == [(0.9, 1), (0.8, 2), (0.7, 1)]


def test_matches_naive_reference_on_random_detections():
    rng = np.random.default_rng(0)
    config = NmsConfig(iou_threshold=0.6, max_per_class=5, max_total=12, score_threshold=0.05)
    for _ in range(5):
        corners = rng.uniform(-0.1, 1.1, size=(60, 2, 2))
        boxes = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1).astype(np.float32)
        scores = rng.uniform(0, 1, size=(60, 4)).astype(np.float32)
        det = per_class_nms(boxes, scores, config)
        expected = naive_nms(boxes, scores, config)
        assert [(float(s), k + 1) for s, _, k in expected] == list(
            zip(det.scores.tolist(), det.category_ids.tolist())
        )


def test_score_threshold_and_total_cap():
    boxes = np.array([[0, 0, 0.1, 0.1]] * 3, np.float32) + np.arange(3)[:, None] * 0.3
    scores = np.array([[1e-9], [0.5], [0.4]], np.float32)
    det = per_class_nms(boxes, scores, NmsConfig(max_total=1))
    assert det.scores.tolist() == [0.5] and det.category_ids.tolist() == [1]


def test_coco_mapping_is_pixel_xywh_with_coco_ids():
    det = Detections(np.array([[0.1, 0.2, 0.5, 0.6]], np.float32), np.array([0.9], np.float32), np.array([90]))
    (record,) = to_coco_results(det, image_id=7, width=200, height=100)
    assert record["image_id"] == 7 and record["category_id"] == 90
    np.testing.assert_allclose(record["bbox"], [40.0, 10.0, 80.0, 40.0], rtol=1e-6)


def test_lazy_candidate_order_equals_a_full_stable_sort():
    from quant.odm.nms import _descending_candidates

    rng = np.random.default_rng(2)
    flat = np.round(rng.uniform(0, 1, 500), 2).astype(np.float32)  # many ties
    candidates = np.flatnonzero(flat > 0.1)
    expected = candidates[np.argsort(-flat[candidates], kind="stable")]
    np.testing.assert_array_equal(np.fromiter(_descending_candidates(flat, 0.1, block=7), int), expected)
