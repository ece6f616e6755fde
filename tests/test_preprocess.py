"""The numpy legacy bilinear resize against hand values and TF's own kernel."""
import numpy as np

from quant.odm.preprocess import quantize_input, resize_bilinear_legacy, ssd_input


def test_legacy_resize_uses_top_left_aligned_source_coordinates():
    image = np.array([[0, 10], [20, 30]], np.uint8)[:, :, None]
    out = resize_bilinear_legacy(image, 4, 4)[:, :, 0]
    # legacy (align_corners=False, no half-pixel): src = dst * in/out = dst / 2, clamped at the edge
    np.testing.assert_array_equal(out[0], [0, 5, 10, 10])
    np.testing.assert_array_equal(out[:, 0], [0, 10, 20, 20])


def test_matches_tensorflow_resize_bilinear_bit_for_bit():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    for shape in [(37, 53, 3), (300, 300, 3), (480, 640, 3)]:
        image = rng.integers(0, 256, size=shape, dtype=np.uint8)
        reference = tf.raw_ops.ResizeBilinear(
            images=image[None], size=[300, 300], align_corners=False, half_pixel_centers=False
        ).numpy()[0]
        np.testing.assert_array_equal(resize_bilinear_legacy(image, 300, 300), reference)


def test_ssd_input_range_and_quantized_input():
    image = np.array([[[0, 128, 255]]], np.uint8)
    value = ssd_input(image, size=1)
    np.testing.assert_allclose(value.ravel(), [-1.0, 128 * 2 / 255 - 1, 1.0], atol=1e-6)
    quantized = quantize_input(value, scale=1 / 128, zero_point=128, dtype=np.uint8)
    assert quantized.ravel().tolist() == [0, 129, 255]
