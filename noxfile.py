"""One nox session per job.  Every session installs pinned requirements into its own venv.

    nox -s tests            unit tests, then real CI-sized benchmark runs of both families (what CI runs)
    nox -s odm              object-detection benchmark (all COCO images found)
    nox -s llm              LLM benchmark on CPU with GPTQModel
    nox -s llm_gpu          LLM benchmark on CUDA (exits with one line where there is no CUDA)
    nox -s llm_autogptq     LLM GPTQ cases with AutoGPTQ (own environment), then engine parity vs results/llm.json
    nox -s two_step -- odm  build + score on all cores (xdist, no timing), then time serially -> results/odm.json
    nox -s plots            figures + Markdown report from results/*.json (or the JSON files given)
    nox -s gate             CI accuracy gate: results/*.json (or the files given) vs bench/baselines/ci.json
Arguments after ``--`` go to pytest (to the tool for plots/gate), e.g. ``nox -s odm -- --coco-n 50``.
Results land in results/<family>.json, figures in results/<family>_plots/, the report in results/report/.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
CONSTRAINTS = ("-c", "requirements/constraints.txt")
SHARED = ROOT.parent / "shared"

# CI-sized LLM run: 300 passages (not 5153) and the default calibration, so the floors hold as measured
CI_LLM_ARGS = ("--models", "smollm2-135m", "--lambada-n", "300")

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True


def _data_env() -> dict[str, str]:
    """COCO_DIR / LAMBADA_PATH from the environment, else the shared data beside the checkout."""
    env = {}
    if not os.environ.get("COCO_DIR") and (SHARED / "coco").is_dir():
        env["COCO_DIR"] = str(SHARED / "coco")
    if not os.environ.get("LAMBADA_PATH") and (SHARED / "lambada" / "lambada_test.jsonl").is_file():
        env["LAMBADA_PATH"] = str(SHARED / "lambada" / "lambada_test.jsonl")
    return env


def _bench(session: nox.Session, marker: str, json_name: str, *args: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    session.run(
        "pytest", "bench", "-m", marker, "-p", "no:xdist", f"--benchmark-json={RESULTS / json_name}", *args,
        env=_data_env(),
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests, then the real odm bench (all COCO images) and a CI-sized llm bench."""
    session.install("-r", "requirements/odm.txt", "-r", "requirements/llm.txt", *CONSTRAINTS)
    session.run("pytest", "tests", "-n", "2", "-q", env=_data_env())
    _bench(session, "odm", "odm.json", *session.posargs)
    _bench(session, "llm", "llm.json", *CI_LLM_ARGS, *session.posargs)
    results = [str(RESULTS / "odm.json"), str(RESULTS / "llm.json")]
    session.run("python", "-m", "plots.report", *results, "--out", str(RESULTS / "report"))  # also when the gate fails
    session.run("python", "-m", "quant.gate", *results)


@nox.session
def odm(session: nox.Session) -> None:
    """The object-detection benchmark: 4 cases, all COCO images found."""
    session.install("-r", "requirements/odm.txt", *CONSTRAINTS)
    _bench(session, "odm", "odm.json", *session.posargs)


# Without arguments the llm session runs what fits a 2-core machine in about an hour; pass
# `-- --models smollm2-135m,gemma3-270m` (and no --lambada-n) for every model on all 5153 passages.
LLM_DEFAULT_ARGS = ("--models", "smollm2-135m", "--lambada-n", "500")


@nox.session
def llm(session: nox.Session) -> None:
    """The LLM benchmark on CPU with GPTQModel (default: smollm2-135m, first 500 passages)."""
    session.install("-r", "requirements/llm.txt", *CONSTRAINTS)
    _bench(session, "llm", "llm.json", *(session.posargs or LLM_DEFAULT_ARGS))


# AutoGPTQ needs transformers < 4.53, so it gets its own environment and its own constraints file.
AUTOGPTQ_CONSTRAINTS = ("-c", "requirements/constraints-autogptq.txt")
# the GPTQ precisions on the same model and passages as `nox -s llm`; fp32 (needed for deltas) is scored
# but not written as a row, so its row from `nox -s llm` stays the only fp32 row in results/
AUTOGPTQ_DEFAULT_ARGS = ("--models", "smollm2-135m", "--precisions", "int8,int4,int2", "--lambada-n", "500")


@nox.session
def llm_autogptq(session: nox.Session) -> None:
    """GPTQ cases built and run by AutoGPTQ 0.7.1 on CPU; then parity with GPTQModel's results/llm.json."""
    session.install("-r", "requirements/autogptq.txt", *AUTOGPTQ_CONSTRAINTS)
    # the LLM unit tests in this environment: engine determinism/unpacking, GGUF conversion, scoring
    session.run("pytest", "tests/test_gptq_engines.py", "tests/test_gguf_checkpoint.py", "tests/test_llm_scoring.py",
                "-q", "-p", "no:xdist")
    _bench(session, "llm", "llm_autogptq.json", "--engine", "auto-gptq", *(session.posargs or AUTOGPTQ_DEFAULT_ARGS))
    if (RESULTS / "llm.json").is_file():
        session.run("python", "-m", "quant.llm.parity", str(RESULTS / "llm.json"), str(RESULTS / "llm_autogptq.json"))
    else:
        session.log("no results/llm.json: run `nox -s llm` (same --models/--lambada-n) for the engine parity check")


@nox.session
def two_step(session: nox.Session) -> None:
    """xdist cannot time (pytest-benchmark disables itself there): build and score every case in parallel
    (the cache's file locks give one build per artifact), then time them serially from the cache."""
    if not session.posargs or session.posargs[0] not in ("odm", "llm"):
        session.error("name the family first: `nox -s two_step -- odm [pytest args]` or `-- llm [pytest args]`")
    family, *args = session.posargs
    session.install("-r", f"requirements/{family}.txt", *CONSTRAINTS)
    if family == "llm" and not args:
        args = list(LLM_DEFAULT_ARGS)
    session.run("pytest", "bench", "-m", family, "-n", "auto", "--benchmark-disable", "-q", *args, env=_data_env())
    _bench(session, family, f"{family}.json", *args)


def _result_files(session: nox.Session) -> list[str]:
    files = session.posargs or sorted(str(p) for p in RESULTS.glob("*.json"))
    if not files:
        session.error("no results/*.json yet: run `nox -s odm` or `nox -s llm` first, or name the JSON files")
    return files


@nox.session
def plots(session: nox.Session) -> None:
    """Figures and the Markdown report from benchmark JSON (merges files from several machines)."""
    session.install("matplotlib==3.11.2", "numpy==2.2.6", *CONSTRAINTS)
    files = _result_files(session)
    session.run("python", "-m", "plots", *files, "--out", str(RESULTS / "plots"))
    session.run("python", "-m", "plots.report", *files, "--out", str(RESULTS / "report"))


@nox.session(venv_backend="none")
def gate(session: nox.Session) -> None:
    """Fail when an accuracy metric dropped beyond the noise vs bench/baselines/ci.json (stdlib only)."""
    session.run("python", "-m", "quant.gate", *_result_files(session))


@nox.session
def llm_gpu(session: nox.Session) -> None:
    """The LLM benchmark on CUDA; refuses at once on a machine without an NVIDIA GPU."""
    if shutil.which("nvidia-smi") is None:
        session.error("llm_gpu needs an NVIDIA GPU (no nvidia-smi on this machine); run `nox -s llm` on CPU")
    session.install("-r", "requirements/llm.txt", *CONSTRAINTS)
    probe = session.run("python", "-c", "import torch; print(torch.cuda.is_available())", silent=True)
    if "True" not in str(probe):
        session.error("torch sees no CUDA device; install a CUDA build of torch==2.13.0 or run `nox -s llm`")
    _bench(session, "llm and not slow", "llm_gpu.json", "--device", "cuda", *session.posargs)
