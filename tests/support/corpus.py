"""The corpora of real pip output: captured on this project's machines (tests/data/pip-outputs) and
pasted by people in public threads (tests/data/pasted). Each file holds `# ` header lines, the last of
them `# expected: [...]` with the records a correct reader extracts, then the text as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"
CAPTURED = sorted((DATA / "pip-outputs").glob("*.txt"))
PASTED = sorted((DATA / "pasted" / "real").glob("*.txt"))
LOOKALIKES = sorted((DATA / "pasted" / "lookalikes").glob("*.txt"))


def load(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The expected records and the body's lines (with their line ends) of one corpus file."""
    expected: list[dict[str, Any]] = []
    body: list[str] = []
    with open(path, encoding="utf-8", newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    header = True
    for line in lines:
        if header and line.startswith("# "):
            if line.startswith("# expected:"):
                expected = json.loads(line[len("# expected:") :])
            continue
        header = False
        body.append(line)
    return expected, body


def as_printed(records: Any) -> list[dict[str, Any]]:
    """Records in the corpus's shape: one entry per algorithm pip compared."""
    out = []
    for record in records:
        algorithms = record.by_algorithm or {
            record.algorithm: {"expected": list(record.expected), "got": record.got}
        }
        out += [
            {
                "name": record.name,
                "version": record.version,
                "url": record.url,
                "expected": list(data["expected"]),
                "got": data["got"],
            }
            for data in algorithms.values()
        ]
    return out
