"""One nox session per job.  Every session installs pinned requirements into its own venv.

    nox -s tests            unit tests, then the real CI-sized benchmark runs (what CI runs)
    nox -s odm              object-detection benchmark (all COCO images found) + plots
    nox -s llm              LLM benchmark on CPU with GPTQModel
    nox -s llm_gpu          LLM benchmark on CUDA (exits with one line where there is no CUDA)
    nox -s llm_autogptq     LLM benchmark with AutoGPTQ in its own pinned environment
Arguments after ``--`` go to pytest, e.g. ``nox -s odm -- --coco-n 50``.
"""
from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
CONSTRAINTS = ["-c", "requirements/constraints.txt"]
SHARED_COCO = ROOT.parent / "shared" / "coco"

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True


def _coco_env(session: nox.Session) -> dict[str, str]:
    """COCO_DIR from the environment, else the shared COCO subset beside the checkout."""
    if os.environ.get("COCO_DIR"):
        return {}
    if SHARED_COCO.is_dir():
        return {"COCO_DIR": str(SHARED_COCO)}
    session.error("set COCO_DIR to a COCO root (annotations/ + val2017/ + train2017/)")


def _install_odm(session: nox.Session) -> None:
    session.install("-r", "requirements/odm.txt", *CONSTRAINTS)


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests, then the object-detection bench on real COCO images (the CI job)."""
    _install_odm(session)
    session.run("pytest", "tests", "-n", "2", "-q")
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    session.run(
        "pytest", "bench", "-m", "odm", "-p", "no:xdist", f"--benchmark-json={out / 'odm.json'}", *session.posargs,
        env=_coco_env(session),
    )


@nox.session
def odm(session: nox.Session) -> None:
    """The object-detection benchmark: 4 cases, all COCO images found, JSON in results/."""
    _install_odm(session)
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    session.run(
        "pytest", "bench", "-m", "odm", "-p", "no:xdist", f"--benchmark-json={out / 'odm.json'}", *session.posargs,
        env=_coco_env(session),
    )
