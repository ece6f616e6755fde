"""Tiny COCO-format data sets that tests write themselves."""
import json

import numpy as np
import pytest


def write_tiny_coco(root, n_images=6, seed=0):
    """A COCO root with ``n_images`` small JPEGs and 1-3 boxes of categories 1/3 each; returns the annotation dict."""
    from PIL import Image  # imported here: the AutoGPTQ environment runs the LLM unit tests without Pillow

    rng = np.random.default_rng(seed)
    (root / "val2017").mkdir(parents=True)
    (root / "annotations").mkdir()
    images, annotations = [], []
    for image_id in range(1, n_images + 1):
        name = f"{image_id:012d}.jpg"
        Image.fromarray(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(root / "val2017" / name)
        images.append({"id": image_id, "file_name": name, "width": 60, "height": 40})
        for _ in range(int(rng.integers(1, 4))):
            x, y = rng.uniform(0, 30), rng.uniform(0, 20)
            w, h = rng.uniform(5, 30), rng.uniform(5, 20)
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": int(rng.choice([1, 3])),
                "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0,
            })
    data = {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}]}
    (root / "annotations" / "instances_val2017.json").write_text(json.dumps(data))
    return data


@pytest.fixture
def tiny_coco(tmp_path):
    root = tmp_path / "coco"
    return root, write_tiny_coco(root)
