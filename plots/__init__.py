"""Benchmark JSON -> figures and a Markdown report.  Imports neither TensorFlow nor torch.

``render(json_paths, out_dir)`` draws every figure whose data is present and
returns what it wrote and what it skipped (with the reason); it is called by
the post-session hook in conftest.py and by ``python -m plots``.
"""
from plots.figures import render  # noqa: F401
