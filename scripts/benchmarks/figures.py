"""What a run reports: each figure beside its target, and the table of them all."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Figure:
    name: str
    measured: str
    target: str = "-"
    #: True/False against the target; None for a figure shown for information only.
    ok: bool | None = None
    value: float | None = None

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: ""}[self.ok]


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(
        self, name: str, measured: str, target: str = "-", ok: bool | None = None, value: float | None = None
    ) -> None:
        figure = Figure(name, measured, target, ok, value)
        self.figures.append(figure)
        print(f"  {figure.name}: {figure.measured}  [{figure.target}] {figure.verdict}", flush=True)

    def table(self, markdown: bool) -> str:
        rows = [(f.name, f.measured, f.target, f.verdict) for f in self.figures]
        header = ("figure", "measured", "target", "")
        if markdown:
            lines = ["| figure | measured | target | |", "|---|---|---|---|"]
            lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
            return "\n".join(lines)
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        out = []
        for row in [header, *rows]:
            out.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        return "\n".join(out)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
