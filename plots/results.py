"""Read pytest-benchmark JSON files into one row per (family, model, precision, machine).

An LLM case writes two benchmark entries (accuracy + prefill, and decode);
they are merged here.  Rows from several files (e.g. an odm run on one machine
and an llm run on another) are kept apart by machine, so nothing from two
machines is silently averaged.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from quant.labels import case_label


@dataclass
class Row:
    family: str
    model: str
    precision: str
    machine: str
    label: str
    metrics: dict = field(default_factory=dict)
    ci: dict = field(default_factory=dict)
    delta: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)      # benchmark stats per workload: {"invoke": {...}}
    size_bytes: int | None = None
    n_samples: int | None = None
    dataset: str | None = None
    threads: int | None = None
    notes: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def machine_label(machine_info: dict) -> str:
    cpu = machine_info.get("cpu", {}) or {}
    name = cpu.get("brand_raw") or machine_info.get("processor") or "unknown CPU"
    cores = cpu.get("count") or "?"
    return f"{machine_info.get('node', 'host')} ({name}, {cores} cores)"


def load_rows(paths: list[Path]) -> tuple[list[Row], list[str]]:
    """Rows of every benchmark in ``paths``; second value: one-line problems with the files."""
    rows: dict[tuple, Row] = {}
    problems = []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text())
            benchmarks = data["benchmarks"]
        except (OSError, ValueError, KeyError) as err:
            problems.append(f"{path}: not a pytest-benchmark JSON ({type(err).__name__})")
            continue
        machine = machine_label(data.get("machine_info", {}))
        for bench in benchmarks:
            info = bench.get("extra_info") or {}
            if "family" not in info:
                continue
            label = case_label(info)
            key = (info["family"], label, machine)
            row = rows.setdefault(key, Row(info["family"], info["model"], info["precision"], machine, label))
            row.metrics.update(info.get("metrics", {}))
            workload = info.get("workload") or ("invoke" if info["family"] == "odm" else "prefill")
            row.timing[workload] = bench.get("stats", {})
            for name in ("ci", "delta"):
                getattr(row, name).update(info.get(name, {}))
            for name in ("size_bytes", "n_samples", "dataset", "threads"):
                if info.get(name) is not None:
                    setattr(row, name, info[name])
            row.notes += [n for n in info.get("notes", []) if n not in row.notes]
            row.extra.update({k: v for k, v in info.items() if k in ("engine", "quantization", "artifact")})
    return list(rows.values()), problems
