"""Bad input to the suite itself: one ``ERROR:`` line naming the problem, exit code 4, no traceback."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(*args, env_extra=None, tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("COCO_DIR", "BENCH_MODELS", "BENCH_PRECISIONS")}
    env["BENCH_CACHE_DIR"] = str(tmp_path / "cache")
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "bench", "-p", "no:cacheprovider", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def assert_usage_error(result, *fragments):
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, output
    for fragment in fragments:
        assert fragment in errors[0]
    assert "Traceback" not in output


@pytest.mark.parametrize("args, fragments", [
    (["--models", "ssdlite_mobilenet_v3"], ["unknown model 'ssdlite_mobilenet_v3'", "ssdlite_mobilenet_v2"]),
    (["--precisions", "int3"], ["unknown precision 'int3'", "int8"]),
    (["--coco-n", "zero"], ["--coco-n='zero'"]),
    (["--model-source", "nosuch=/tmp"], ["unknown model 'nosuch'"]),
])
def test_bad_options(tmp_path, args, fragments):
    assert_usage_error(run_bench(*args, tmp_path=tmp_path), *fragments)


def test_missing_coco_dir_fails_before_any_case(tmp_path):
    missing = tmp_path / "no-coco"
    result = run_bench("-m", "odm", env_extra={"COCO_DIR": str(missing)}, tmp_path=tmp_path)
    assert_usage_error(result, str(missing), "COCO_DIR")


def test_coco_dir_without_calibration_images(tmp_path, tiny_coco):
    root, _ = tiny_coco
    result = run_bench("-m", "odm", "--coco-dir", str(root), tmp_path=tmp_path)
    assert_usage_error(result, "train2017", "--calib-dir")


def test_calibrating_on_evaluation_images_is_refused(tmp_path, tiny_coco):
    root, _ = tiny_coco
    result = run_bench("-m", "odm", "--coco-dir", str(root), "--calib-dir", str(root / "val2017"), "--calib-n", "2",
                       tmp_path=tmp_path)
    assert_usage_error(result, "also an evaluation image")


def _engine_not_installed_here() -> list[str]:
    from quant.llm.engines import ENGINES, is_installed

    return [engine for engine in ENGINES if not is_installed(engine)][:1]


@pytest.mark.parametrize("args, fragment", [
    *[(["--engine", engine], "not installed in this environment") for engine in _engine_not_installed_here()],
    (["--lambada-sha256", "0" * 64], "not the canonical LAMBADA"),
    (["--engine", "exllama"], "--engine 'exllama' is not known; valid: gptqmodel, auto-gptq"),
])
def test_llm_input_errors_stop_before_any_case(tmp_path, args, fragment):
    lambada = tmp_path / "lambada.jsonl"
    lambada.write_text('{"text": "a tiny passage with a last word"}\n')
    extra = ["--lambada-sha256", "any"] if "--lambada-sha256" not in args else []
    result = run_bench("-m", "llm", "--lambada-path", str(lambada), *extra, *args, tmp_path=tmp_path)
    assert_usage_error(result, fragment)


@pytest.mark.parametrize("args, fragment", [
    (["--gptq-sym", "maybe"], "--gptq-sym='maybe'"),
    (["--gptq-damp", "5"], "--gptq-damp 5.0 must lie between 0 and 1"),
])
def test_bad_flag_value(tmp_path, args, fragment):
    assert_usage_error(run_bench(*args, tmp_path=tmp_path), fragment)


def test_gpu_cases_without_cuda_are_deselected_with_a_reason(tmp_path):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the gpu cases would run")
    result = run_bench("-m", "llm", "--device", "cuda", "--models", "smollm2-135m", tmp_path=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 5, output  # nothing ran: exit 5, which nox and CI treat as failure
    assert "gpu: 10 case(s) deselected: no CUDA device here" in output
    assert "passed" not in output and "Traceback" not in output
