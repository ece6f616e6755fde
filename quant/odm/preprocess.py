"""Image pre-processing identical to the SSD graph's own.

The TF1 graph resizes with the legacy ``ResizeBilinear`` (align_corners=False,
half_pixel_centers=False) to 300x300 in float32 and maps x -> x*2/255 - 1.
Other resizers (PIL, half-pixel centres) shift COCO AP by a few tenths, so this
module re-implements the legacy kernel in numpy, float32 step for step; a unit
test holds it to ``tf.raw_ops.ResizeBilinear``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from quant.errors import BenchInputError


def load_rgb(path: Path) -> np.ndarray:
    """Decode an image file to uint8 [H, W, 3] RGB (grey and CMYK images converted)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError) as err:
        raise BenchInputError(f"cannot read image {path}: {err}") from None


def _legacy_axis(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower index, upper index and float32 lerp weight of each output position."""
    scale = np.float32(in_size) / np.float32(out_size)
    source = np.arange(out_size, dtype=np.float32) * scale
    lower = np.floor(source).astype(np.int64)
    upper = np.minimum(lower + 1, in_size - 1)
    return lower, upper, (source - lower.astype(np.float32)).astype(np.float32)


def resize_bilinear_legacy(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """float32 [height, width, C] exactly as TF's ResizeBilinear(align_corners=False, half_pixel_centers=False)."""
    pixels = image.astype(np.float32)
    top, bottom, y_lerp = _legacy_axis(image.shape[0], height)
    left, right, x_lerp = _legacy_axis(image.shape[1], width)
    x_lerp = x_lerp[None, :, None]
    top_left, top_right = pixels[top][:, left], pixels[top][:, right]
    bottom_left, bottom_right = pixels[bottom][:, left], pixels[bottom][:, right]
    upper = top_left + (top_right - top_left) * x_lerp
    lower = bottom_left + (bottom_right - bottom_left) * x_lerp
    return upper + (lower - upper) * y_lerp[:, None, None]


def ssd_input(image: np.ndarray, size: int = 300) -> np.ndarray:
    """float32 [1, size, size, 3] in [-1, 1]: the graph's ``Preprocessor/sub:0``."""
    resized = resize_bilinear_legacy(image, size, size)
    return (resized * np.float32(2.0 / 255.0) - np.float32(1.0))[None]


def quantize_input(resized: np.ndarray, scale: float, zero_point: int, dtype: np.dtype) -> np.ndarray:
    """Quantize a float input with the model's own input quantization parameters."""
    info = np.iinfo(dtype)
    return np.clip(np.round(resized / scale) + zero_point, info.min, info.max).astype(dtype)
