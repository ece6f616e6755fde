"""Suite-wide pytest wiring: options, fixture modules, case parametrization, fail-fast input checks.

Bad input (unknown names, missing data) becomes pytest's usage error: one
``ERROR: ...`` line, exit code 4, no traceback, raised before any case runs.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from fixtures import options as bench_option_defs
from quant.errors import BenchInputError, DiskFullError

pytest_plugins = ["fixtures.cache", "fixtures.odm", "fixtures.llm"]

OPTIONS_KEY = pytest.StashKey()
SELECTED_CASES_KEY = pytest.StashKey()
GPU_DESELECTED_KEY = pytest.StashKey()


def pytest_addoption(parser):
    bench_option_defs.register(parser)
    group = parser.getgroup("quantbench")
    group.addoption("--plots-dir", default=None,
                    help="where the post-session hook writes figures (default: <json>_plots/ beside it)")
    group.addoption("--gate-baseline", default=None, metavar="PATH",
                    help="after the run, gate the benchmark JSON against this baseline (e.g. bench/baselines/ci.json)")
    group.addoption("--gate-allow-missing", action="append", default=[], metavar="CASE",
                    help="a baseline case deselected on purpose (repeatable)")


def pytest_configure(config):
    try:
        config.stash[OPTIONS_KEY] = bench_option_defs.resolve(config)
    except BenchInputError as err:
        raise pytest.UsageError(str(err)) from None


def pytest_generate_tests(metafunc):
    from quant.registry import cases

    options = metafunc.config.stash[OPTIONS_KEY]
    for family in ("odm", "llm"):
        argname = f"{family}_case"
        if argname in metafunc.fixturenames:
            selected = cases(family, options.models, options.precisions)
            metafunc.parametrize(argname, selected, ids=[case.id for case in selected])


def pytest_collection_modifyitems(config, items):
    """With --device cuda every LLM case needs CUDA (marker ``gpu``); without a CUDA device they are
    deselected, and the terminal summary says why -- never run on CPU, never silently passed."""
    if config.stash[OPTIONS_KEY].device == "cuda":
        for item in items:
            if item.get_closest_marker("llm"):
                item.add_marker(pytest.mark.gpu)
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items or _cuda_available():
        return
    config.hook.pytest_deselected(items=gpu_items)
    items[:] = [item for item in items if item not in gpu_items]
    config.stash[GPU_DESELECTED_KEY] = len(gpu_items)


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    threads, cores = config.stash[OPTIONS_KEY].threads, os.cpu_count() or 1
    if threads > cores:
        terminalreporter.write_line(f"threads: --threads {threads} exceeds the {cores} cores here; timings are "
                                    "oversubscribed (both numbers are in the benchmark JSON's machine_info)", yellow=True)
    count = config.stash.get(GPU_DESELECTED_KEY, 0)
    if count:
        terminalreporter.write_line(
            f"gpu: {count} case(s) deselected: no CUDA device here (torch.cuda.is_available() is False); "
            "run them on a GPU machine (nox -s llm_gpu) or drop --device cuda", yellow=True, bold=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A BenchInputError raised inside a case (e.g. disk full mid-build) is reported as its one line;
    disk full also stops the session, since every later build would hit it too."""
    report = yield
    error = call.excinfo.value if call.excinfo is not None else None
    if isinstance(error, BenchInputError):
        report.longrepr = f"ERROR: {error}"
        if isinstance(error, DiskFullError):
            item.session.shouldstop = str(error)
    return report


def pytest_collection_finish(session):
    """Validate the data the selected benchmark cases need, once, before the first case runs."""
    if session.config.option.collectonly:
        return
    runnable = [item for item in session.items if item.get_closest_marker("skip") is None]  # e.g. empty parametrization
    session.config.stash[SELECTED_CASES_KEY] = {
        case.id for item in runnable for name in ("odm_case", "llm_case") if (case := _case_of(item, name))
    }
    needed = {name for item in runnable for name in getattr(item, "fixturenames", ())}
    options = session.config.stash[OPTIONS_KEY]
    try:
        if "odm_pipeline" in needed:
            from fixtures.odm import odm_settings_from
            from quant.cache import Cache
            from quant.odm.pipeline import OdmPipeline

            OdmPipeline(odm_settings_from(options), Cache(options.cache_dir)).validate()
        if "llm_pipeline" in needed:
            from fixtures.llm import llm_settings_from
            from quant.cache import Cache
            from quant.llm.pipeline import LlmPipeline

            llm_cases = [case for item in runnable if (case := _case_of(item, "llm_case"))]
            LlmPipeline(llm_settings_from(options), Cache(options.cache_dir)).validate(llm_cases)
    except BenchInputError as err:
        raise pytest.UsageError(str(err)) from None


def _case_of(item, argname: str):
    """The registry Case an item is parametrized with (None for unit tests and other functions)."""
    return getattr(getattr(item, "callspec", None), "params", {}).get(argname)


def pytest_sessionfinish(session, exitstatus):
    """Render the figures next to the benchmark JSON (pytest-benchmark has written it by now)."""
    target = session.config.getoption("benchmark_json", None)
    if not target or hasattr(session.config, "workerinput"):
        return
    json_path = Path(getattr(target, "name", target))
    if not json_path.is_file():
        return
    out_dir = session.config.getoption("plots_dir") or json_path.with_name(json_path.stem + "_plots")
    from plots import render

    written, skipped = render([json_path], Path(out_dir))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter else print
    say(f"plots: {len(written)} figures in {out_dir}")
    for reason in skipped:
        say(f"plots: skipped {reason}")
    baseline = session.config.getoption("gate_baseline")
    if baseline:
        from quant.gate import run_gate

        # baseline cases this session did not select (-m, -k, --models) were deselected on purpose
        selected = session.config.stash.get(SELECTED_CASES_KEY, set())
        unselected = tuple(case for case in _baseline_cases(Path(baseline)) if case not in selected)
        allowed = tuple(session.config.getoption("gate_allow_missing")) + unselected
        passed, report = run_gate([json_path], Path(baseline), allow_missing=allowed)
        for line in report.splitlines():
            say(line)
        if not passed:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _baseline_cases(path: Path) -> list[str]:
    import json

    try:
        return list(json.loads(path.read_text())["cases"])
    except (OSError, ValueError, KeyError):
        return []  # run_gate reports the unreadable baseline itself


def pytest_benchmark_update_machine_info(config, machine_info):
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("tensorflow", "ai-edge-litert", "pycocotools", "numpy", "torch", "transformers", "gptqmodel", "auto-gptq"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    machine_info["library_versions"] = versions
    machine_info["bench_threads"] = config.stash[OPTIONS_KEY].threads
    machine_info["cpu_cores"] = os.cpu_count()  # --threads above this is allowed; the figures show both
