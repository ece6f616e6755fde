"""Library behind the benchmark: registry, sources, cache, per-family pipelines, results.

Nothing in this package imports TensorFlow or torch at import time; the family
modules (``quant.odm``) import their heavy libraries inside the functions that
need them, so unit tests of the light parts stay fast.
"""
