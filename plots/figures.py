"""The figures: size, accuracy and speed against "type of model (type and quantization)", per family,
plus an accuracy-vs-size Pareto scatter.  Each figure says what it measured (dataset, N, machine,
threads) and carries the caveats of its rows (e.g. a dequantized 4-bit baseline)."""
from __future__ import annotations

from pathlib import Path

from plots.results import Row, load_rows

MB = 1e6
FAMILY_TITLES = {"odm": "Object detection (COCO val2017)", "llm": "LLM (LAMBADA OpenAI)"}
PRECISION_COLORS = {"fp32": "#4c72b0", "fp16": "#55a868", "bf16": "#64b5cd", "int8": "#dd8452",
                    "int4": "#c44e52", "int2": "#8172b3"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _caption(rows: list[Row]) -> str:
    datasets = sorted({f"{r.dataset} (N={r.n_samples})" for r in rows if r.dataset})
    machines = sorted({f"{r.machine}, {r.threads} threads" for r in rows})
    notes = sorted({n for r in rows for n in r.notes if "baseline" in n or "dequantized" in n})
    lines = ["data: " + "; ".join(datasets) if datasets else "", "machine: " + "; ".join(machines)] + notes
    return "\n".join(line for line in lines if line)


def _bars(ax, rows: list[Row], values: list[float], errors=None, unit: str = "", fmt: str = "{:.3g}"):
    import numpy as np

    labels = [r.label if len({x.machine for x in rows}) == 1 else f"{r.label}\n{r.machine.split(' ')[0]}" for r in rows]
    positions = np.arange(len(rows))
    colors = [PRECISION_COLORS.get(r.precision, "#999999") for r in rows]
    bars = ax.bar(positions, values, yerr=errors, color=colors, capsize=4, edgecolor="black", linewidth=0.5)
    ax.bar_label(bars, labels=[fmt.format(v) for v in values], label_type="center", fontsize=8, color="white")
    ax.set_xticks(positions, labels, rotation=30, ha="right", fontsize=8)
    ax.set_xlabel("type of model (type and quantization)")
    ax.set_ylabel(unit)
    ax.grid(axis="y", alpha=0.3)


def _save(fig, out_dir: Path, name: str, caption: str) -> Path:
    fig.text(0.01, 0.005, caption, fontsize=7, va="bottom", ha="left", wrap=True)
    fig.tight_layout(rect=(0, 0.03 + 0.025 * caption.count("\n"), 1, 1))
    path = out_dir / name
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)
    return path


def _figure(title: str):
    fig, ax = _pyplot().subplots(figsize=(9, 5.5))
    ax.set_title(title)
    return fig, ax


def _sorted(rows: list[Row], key) -> list[Row]:
    return sorted(rows, key=key)


def size_figure(family: str, rows: list[Row], out_dir: Path):
    rows = _sorted([r for r in rows if r.size_bytes], lambda r: -r.size_bytes)
    if not rows:
        return None, f"{family} size: no size_bytes in the results"
    fig, ax = _figure(f"{FAMILY_TITLES[family]}: model size on disk")
    _bars(ax, rows, [r.size_bytes / MB for r in rows], unit="size (MB, 10^6 bytes)", fmt="{:.1f}")
    return _save(fig, out_dir, f"{family}_size.png", _caption(rows)), None


def _metric_with_ci(rows: list[Row], metric: str):
    values = [r.metrics[metric] for r in rows]
    lows = [r.metrics[metric] - r.ci.get(metric, [r.metrics[metric]] * 2)[0] for r in rows]
    highs = [r.ci.get(metric, [r.metrics[metric]] * 2)[1] - r.metrics[metric] for r in rows]
    return values, [[max(low, 0) for low in lows], [max(high, 0) for high in highs]]


def accuracy_figure(family: str, rows: list[Row], out_dir: Path):
    import numpy as np

    metrics = ["AP"] if family == "odm" else ["acc", "top5"]
    rows = _sorted([r for r in rows if all(m in r.metrics for m in metrics)], lambda r: -r.metrics[metrics[0]])
    if not rows:
        return None, f"{family} accuracy: no {'/'.join(metrics)} in the results"
    fig, ax = _figure(f"{FAMILY_TITLES[family]}: accuracy with 95% paired-bootstrap CI")
    if len(metrics) == 1:
        values, errors = _metric_with_ci(rows, metrics[0])
        _bars(ax, rows, values, errors, unit="COCO AP@[.5:.95] (pycocotools)", fmt="{:.3f}")
    else:
        width = 0.38
        positions = np.arange(len(rows))
        top = 0.0
        for offset, metric in zip((-width / 2, width / 2), metrics):
            values, errors = _metric_with_ci(rows, metric)
            bars = ax.bar(positions + offset, values, width, yerr=errors, capsize=3, label=metric,
                          edgecolor="black", linewidth=0.5)
            ax.bar_label(bars, labels=[f"{v:.3f}" for v in values], label_type="edge", padding=2, fontsize=7)
            top = max(top, max(v + e for v, e in zip(values, errors[1])))
        ax.set_ylim(0, top * 1.35 + 0.01)  # room for the legend above the tallest error bar
        ax.set_xticks(positions, [r.label for r in rows], rotation=30, ha="right", fontsize=8)
        ax.set_xlabel("type of model (type and quantization)")
        ax.set_ylabel("LAMBADA accuracy (fraction)")
        ax.legend(title="acc: whole word, greedy; top5: first token", loc="upper right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    return _save(fig, out_dir, f"{family}_accuracy.png", _caption(rows)), None


def speed_figure(family: str, rows: list[Row], out_dir: Path):
    import numpy as np

    if family == "odm":
        rows = _sorted([r for r in rows if "invoke" in r.timing and r.timing["invoke"].get("median")],
                       lambda r: r.timing["invoke"]["median"])
        if not rows:
            return None, "odm speed: no invoke timings in the results"
        fig, ax = _figure(f"{FAMILY_TITLES[family]}: inference time per image (interpreter invoke)")
        medians = [r.timing["invoke"]["median"] * 1e3 for r in rows]
        q1 = [r.timing["invoke"].get("q1", r.timing["invoke"]["median"]) * 1e3 for r in rows]
        q3 = [r.timing["invoke"].get("q3", r.timing["invoke"]["median"]) * 1e3 for r in rows]
        errors = [[m - a for m, a in zip(medians, q1)], [b - m for m, b in zip(medians, q3)]]
        _bars(ax, rows, medians, errors, unit="ms per image (median, bars: IQR)", fmt="{:.1f}")
        return _save(fig, out_dir, "odm_speed.png", _caption(rows)), None
    speed = ("prefill_tokens_per_s", "decode_tokens_per_s")
    rows = _sorted([r for r in rows if any(m in r.metrics for m in speed)],
                   lambda r: -r.metrics.get("prefill_tokens_per_s", 0))
    if not rows:
        return None, "llm speed: no tokens/s in the results"
    fig, ax = _figure(f"{FAMILY_TITLES[family]}: throughput")
    width = 0.38
    positions = np.arange(len(rows))
    for offset, metric in zip((-width / 2, width / 2), speed):
        values = [r.metrics.get(metric, 0.0) for r in rows]
        ax.bar(positions + offset, values, width, label=metric.replace("_tokens_per_s", ""), edgecolor="black", linewidth=0.5)
    ax.set_xticks(positions, [r.label for r in rows], rotation=30, ha="right", fontsize=8)
    ax.set_xlabel("type of model (type and quantization)")
    ax.set_ylabel("tokens/s (log scale)")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, out_dir, "llm_speed.png", _caption(rows)), None


def pareto_figure(family: str, rows: list[Row], out_dir: Path):
    metric = "AP" if family == "odm" else "acc"
    rows = [r for r in rows if r.size_bytes and metric in r.metrics]
    if len(rows) < 2:
        return None, f"{family} pareto: needs at least two rows with size and {metric}"
    fig, ax = _figure(f"{FAMILY_TITLES[family]}: accuracy vs size")
    for r in rows:
        low, high = r.ci.get(metric, [r.metrics[metric]] * 2)
        ax.errorbar(r.size_bytes / MB, r.metrics[metric], yerr=[[r.metrics[metric] - low], [high - r.metrics[metric]]],
                    fmt="o", color=PRECISION_COLORS.get(r.precision, "#999999"), capsize=3)
        ax.annotate(r.label, (r.size_bytes / MB, r.metrics[metric]), textcoords="offset points", xytext=(5, 5), fontsize=8)
    frontier = sorted(rows, key=lambda r: r.size_bytes)
    best, line = -1.0, []
    for r in frontier:
        if r.metrics[metric] > best:
            best = r.metrics[metric]
            line.append(r)
    ax.plot([r.size_bytes / MB for r in line], [r.metrics[metric] for r in line], "--", color="gray", label="Pareto front")
    ax.set_xlabel("size on disk (MB)")
    ax.set_ylabel(f"{metric} (95% CI)")
    ax.legend()
    ax.grid(alpha=0.3)
    return _save(fig, out_dir, f"{family}_pareto.png", _caption(rows)), None


FIGURES = (size_figure, accuracy_figure, speed_figure, pareto_figure)


def render(json_paths, out_dir) -> tuple[list[Path], list[str]]:
    """Draw every figure whose data exists; return (written paths, one line per skipped figure)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, skipped = load_rows([Path(p) for p in json_paths])
    written = []
    for family in ("odm", "llm"):
        family_rows = [r for r in rows if r.family == family]
        if not family_rows:
            skipped.append(f"{family}: no {family} cases in the results, no {family} figures")
            continue
        for draw in FIGURES:
            path, reason = draw(family, family_rows, out_dir)
            if path:
                written.append(path)
            else:
                skipped.append(reason)
    return written, skipped
