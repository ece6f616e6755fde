"""Figures and report from synthetic benchmark JSON: what has data is drawn, what lacks it is skipped in one line."""
import json

from plots.figures import render
from plots.report import build_report


def bench_entry(family, model, precision, metrics, size, workload=None, median=0.01):
    info = {"family": family, "model": model, "precision": precision, "metrics": metrics,
            "ci": {k: [v * 0.9, v * 1.1] for k, v in metrics.items() if k in ("AP", "acc", "top5")},
            "size_bytes": size, "n_samples": 10, "dataset": "d:10", "threads": 2,
            "notes": ["baseline is dequantized Q4_1 GGUF weights, not the original bf16 model"]}
    if workload:
        info["workload"] = workload
    return {"extra_info": info, "stats": {"median": median, "q1": median * 0.9, "q3": median * 1.1}}


def write(path, benchmarks):
    machine = {"node": "box", "cpu": {"brand_raw": "CPU", "count": 2}, "bench_threads": 2}
    path.write_text(json.dumps({"machine_info": machine, "benchmarks": benchmarks}))
    return path


def test_odm_only_results_draw_odm_figures_and_skip_llm(tmp_path):
    odm = write(tmp_path / "odm.json", [bench_entry("odm", "ssd", p, {"AP": ap}, s)
                                        for p, ap, s in [("fp32", 0.3, 18e6), ("int8", 0.29, 5e6)]])
    written, skipped = render([odm], tmp_path / "out")
    assert sorted(p.name for p in written) == ["odm_accuracy.png", "odm_pareto.png", "odm_size.png", "odm_speed.png"]
    assert any(reason.startswith("llm:") for reason in skipped)


def test_llm_rows_merge_decode_entries_and_report_is_written(tmp_path):
    entries = []
    for precision, acc, size in [("fp32", 0.3, 5e8), ("int4", 0.25, 1e8)]:
        entries.append(bench_entry("llm", "smol", precision, {"acc": acc, "top5": acc + 0.2, "prefill_tokens_per_s": 500.0}, size))
        entries.append(bench_entry("llm", "smol", precision, {"decode_tokens_per_s": 20.0}, None, workload="decode"))
    llm = write(tmp_path / "llm.json", entries)
    written, _ = render([llm], tmp_path / "out")
    assert {"llm_accuracy.png", "llm_speed.png", "llm_size.png", "llm_pareto.png"} <= {p.name for p in written}
    report = build_report([llm], tmp_path / "report").read_text()
    assert "Results 1.2: LLM" in report and "smol-int4" in report and "dequantized" in report
    assert "No odm cases" in report


def test_broken_json_is_reported_not_fatal(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    written, skipped = render([bad], tmp_path / "out")
    assert written == [] and any("not a pytest-benchmark JSON" in s for s in skipped)
