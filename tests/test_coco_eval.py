"""COCO dataset validation and the mAP / bootstrap code on a tiny data set the tests write."""
import contextlib
import io
import json

import numpy as np
import pytest

from quant.errors import BenchInputError
from quant.odm.coco import calibration_images, load_coco_dataset
from quant.odm.evaluate import bootstrap_coco_stats, coco_map
from quant.stats import bootstrap_indices


def ground_truth(path):
    from pycocotools.coco import COCO

    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def test_dataset_is_sorted_limited_and_identified(tiny_coco):
    root, _ = tiny_coco
    full, first3 = load_coco_dataset(root), load_coco_dataset(root, max_images=3)
    assert full.image_ids == [1, 2, 3, 4, 5, 6] and first3.image_ids == [1, 2, 3]
    assert full.dataset_id.startswith("coco-val2017:6:") and full.dataset_id != first3.dataset_id


@pytest.mark.parametrize("breakage, message", [
    ("no_dir", "does not exist"),
    ("no_annotations", "no COCO annotations"),
    ("truncated", "not readable JSON"),
    ("not_coco", "not a COCO instances file"),
    ("missing_image", "missing from"),
])
def test_bad_coco_roots_give_one_actionable_line(tiny_coco, breakage, message):
    root, data = tiny_coco
    annotation = root / "annotations" / "instances_val2017.json"
    if breakage == "no_dir":
        root = root / "nope"
    elif breakage == "no_annotations":
        annotation.unlink()
    elif breakage == "truncated":
        annotation.write_text(annotation.read_text()[:100])
    elif breakage == "not_coco":
        annotation.write_text(json.dumps({"images": []}))
    elif breakage == "missing_image":
        (root / "val2017" / data["images"][2]["file_name"]).unlink()
    with pytest.raises(BenchInputError, match=message) as info:
        load_coco_dataset(root)
    assert "\n" not in str(info.value)


def test_calibration_images_fixed_order_and_count(tmp_path):
    for name in ["b.jpg", "a.jpg", "c.png", "notes.txt"]:
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in calibration_images(tmp_path, 2)] == ["a.jpg", "b.jpg"]
    with pytest.raises(BenchInputError, match="fewer than"):
        calibration_images(tmp_path, 5)


def detections_from(data, noise, seed=0):
    """Ground-truth boxes jittered by ``noise`` pixels, with random scores, plus one false positive per image."""
    rng = np.random.default_rng(seed)
    records = []
    for ann in data["annotations"]:
        box = (np.asarray(ann["bbox"]) + rng.normal(0, noise, 4)).tolist()
        records.append({"image_id": ann["image_id"], "category_id": ann["category_id"], "bbox": box,
                        "score": float(rng.uniform(0.3, 1))})
    for image in data["images"]:
        records.append({"image_id": image["id"], "category_id": 1, "bbox": [1, 1, 5, 5], "score": float(rng.uniform(0, 1))})
    return records


def test_perfect_detections_score_one(tiny_coco):
    root, data = tiny_coco
    gt = ground_truth(root / "annotations" / "instances_val2017.json")
    perfect = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0}
               for a in data["annotations"]]
    _, stats = coco_map(gt, perfect, [img["id"] for img in data["images"]])
    assert stats[0] == pytest.approx(1.0) and stats[1] == pytest.approx(1.0)


def test_no_detections_score_zero(tiny_coco):
    root, data = tiny_coco
    gt = ground_truth(root / "annotations" / "instances_val2017.json")
    _, stats = coco_map(gt, [], [img["id"] for img in data["images"]])
    assert stats[0] == 0.0


def test_weighted_bootstrap_reproduces_pycocotools(tiny_coco):
    root, data = tiny_coco
    gt = ground_truth(root / "annotations" / "instances_val2017.json")
    image_ids = [img["id"] for img in data["images"]]
    coco_eval, stats = coco_map(gt, detections_from(data, noise=2.0), image_ids)
    identity = bootstrap_coco_stats(coco_eval, np.arange(len(image_ids))[None])
    np.testing.assert_allclose(identity[0], stats, atol=1e-12)
    # a resample with duplicates equals pycocotools run on that multiset of images
    sample = bootstrap_indices(len(image_ids), 3, seed=5)
    fast = bootstrap_coco_stats(coco_eval, sample)
    for row, picks in zip(fast, sample):
        duplicated = _duplicate_images(data, picks)
        (root / "dup.json").write_text(json.dumps(duplicated["gt"]))
        _, slow = coco_map(ground_truth(root / "dup.json"), duplicated["dt"], [img["id"] for img in duplicated["gt"]["images"]])
        np.testing.assert_allclose(row, slow, atol=1e-9)


def _duplicate_images(data, picks):
    """A data set holding image ``picks[k]`` as new image k+1 (duplicates become separate images)."""
    detections = detections_from(data, noise=2.0)
    images, annotations, dt = [], [], []
    for new_id, position in enumerate(picks, start=1):
        old = data["images"][position]
        images.append(dict(old, id=new_id))
        annotations += [dict(a, image_id=new_id, id=len(annotations) + i + 1)
                        for i, a in enumerate(x for x in data["annotations"] if x["image_id"] == old["id"])]
        dt += [dict(d, image_id=new_id) for d in detections if d["image_id"] == old["id"]]
    return {"gt": dict(data, images=images, annotations=annotations), "dt": dt}
