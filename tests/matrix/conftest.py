"""The pip matrix's own fixtures, and the result table it can write.

Each matrix test is one cell: a row (a pip version, or a pair of them) and a column (a scenario),
both taken from the test's ``matrix`` marker and parameters at collection. A test adds what it saw
(``cell("exit 0 · evict-and-retry · 2 pip runs")``). When ``SAFEPIP_MATRIX_RESULTS`` names a file,
the controlling pytest process (not an xdist worker) writes every cell there as JSON when the
session ends; ``scripts/matrix`` turns that into the table of docs/matrix.md. Under xdist the
controlling process loads this file only when ``tests/matrix`` is named on the command line (it
collects nothing itself), as scripts/matrix does; otherwise no file is written.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

RESULTS_VARIABLE = "SAFEPIP_MATRIX_RESULTS"
_cells: dict[str, dict[str, Any]] = {}
_started = time.monotonic()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("matrix")
        if marker is None or "column" not in marker.kwargs:
            continue
        params = dict(getattr(getattr(item, "callspec", None), "params", {}))
        row = params.get("version") or " + ".join(params.get("pair", ()))
        column = marker.kwargs["column"].format(**params)
        item.user_properties.append(("matrix_row", row))
        item.user_properties.append(("matrix_column", column))


@pytest.fixture
def cell(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``cell(text)``: what this test saw, for its cell of the result table."""

    def note(text: str) -> None:
        request.node.user_properties.append(("matrix_cell", text))

    return note


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    props = dict(report.user_properties)
    if "matrix_row" not in props:
        return
    entry = _cells.setdefault(
        report.nodeid,
        {"row": props["matrix_row"], "column": props["matrix_column"], "outcome": "passed", "duration": 0.0},
    )
    entry["duration"] += report.duration
    if "matrix_cell" in props:
        entry["cell"] = props["matrix_cell"]
    if report.failed:
        entry["outcome"] = "failed"
        entry["detail"] = (report.longreprtext or "").strip().splitlines()[-1:] or [""]
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        entry["detail"] = [str(reason).removeprefix("Skipped: ")]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get(RESULTS_VARIABLE)
    if not target or hasattr(session.config, "workerinput"):
        return
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "platform": sys.platform,
        "wall_seconds": round(time.monotonic() - _started, 1),
        "workers": os.environ.get("PYTEST_XDIST_WORKER_COUNT") or _workers(session),
        "exitstatus": int(exitstatus),
        "cells": sorted(_cells.values(), key=lambda c: (c["row"], c["column"])),
    }
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _workers(session: pytest.Session) -> str:
    value = getattr(session.config.option, "numprocesses", None)
    return str(value) if value else "1"
