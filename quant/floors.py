"""Accuracy floors, kept as data in bench/floors.toml and checked per case.

A floor is either ``absolute`` (metric >= value) or relative to a baseline
precision of the same model: ``points`` (metric >= baseline - points/100) or
``ratio`` (metric >= ratio * baseline).  Every floor records where it comes from.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

FLOORS_FILE = Path(__file__).resolve().parent.parent / "bench" / "floors.toml"
KINDS = ("absolute", "points", "ratio")


@dataclass(frozen=True)
class Floor:
    model: str
    precision: str
    metric: str
    kind: str
    value: float
    source: str
    baseline: str | None = None

    def threshold(self, baseline_value: float | None) -> float:
        if self.kind == "absolute":
            return self.value
        if baseline_value is None:
            raise ValueError(f"{self.kind} floor on {self.model}-{self.precision} needs the {self.baseline} value")
        if self.kind == "points":
            return baseline_value - self.value / 100.0
        return self.value * baseline_value

    def describe(self) -> str:
        if self.kind == "absolute":
            return f">= {self.value:.4f}"
        if self.kind == "points":
            return f">= {self.baseline} - {self.value} points"
        return f">= {self.value} x {self.baseline}"


def load_floors(path: Path = FLOORS_FILE) -> list[Floor]:
    data = tomllib.loads(Path(path).read_text())
    floors = []
    for entry in data.get("floor", []):
        floor = Floor(**entry)
        if floor.kind not in KINDS:
            raise ValueError(f"{path}: floor kind {floor.kind!r} not in {KINDS}")
        if floor.kind != "absolute" and not floor.baseline:
            raise ValueError(f"{path}: {floor.kind} floor for {floor.model}-{floor.precision} needs a baseline")
        floors.append(floor)
    return floors


def floors_for(model: str, precision: str, floors: list[Floor] | None = None) -> list[Floor]:
    return [f for f in (floors if floors is not None else load_floors()) if f.model == model and f.precision == precision]


def check_floor(floor: Floor, value: float, baseline_value: float | None) -> str | None:
    """None when the floor holds, else a message naming metric, value, floor and direction."""
    threshold = floor.threshold(baseline_value)
    if value >= threshold:
        return None
    base = f" ({floor.baseline} = {baseline_value:.4f})" if baseline_value is not None else ""
    return (
        f"{floor.model}-{floor.precision}: {floor.metric} = {value:.4f} is below its floor {threshold:.4f} "
        f"[{floor.describe()}{base}; higher is better; source: {floor.source}]"
    )
