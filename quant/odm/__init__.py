"""Object-detection family: COCO data, TF graph loading, LiteRT conversion, inference, mAP.

Only this sub-package imports TensorFlow / LiteRT, and only inside functions.
"""
