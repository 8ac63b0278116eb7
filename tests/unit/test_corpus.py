"""The detector and classifier on every output captured from real pip runs (tests/data/pip-outputs).

Each file holds `# ` header lines, the last of them `# expected: [...]` with the records a correct
reader extracts (NOTES.md there says how each was made), then pip's verbatim bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safepip.logscan.mismatches import detect
from safepip.records import Cause, Mismatch
from safepip.recovery.classify import classify

CORPUS = Path(__file__).resolve().parent.parent / "data" / "pip-outputs"
FILES = sorted(CORPUS.glob("*.txt"))


def load(path: Path) -> tuple[list[dict], list[str]]:
    expected: list[dict] = []
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


def as_printed(record: Mismatch) -> list[dict]:
    """A record in the corpus's shape: one entry per algorithm pip compared."""
    algorithms = record.by_algorithm or {
        record.algorithm: {"expected": list(record.expected), "got": record.got}
    }
    return [
        {
            "name": record.name,
            "version": record.version,
            "url": record.url,
            "expected": list(data["expected"]),
            "got": data["got"],
        }
        for data in algorithms.values()
    ]


def test_the_corpus_is_there():
    assert len(FILES) > 150


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_detector_reads_every_captured_output(path):
    expected, body = load(path)
    found = [printed for record in detect(body) for printed in as_printed(record)]
    assert found == expected


@pytest.mark.parametrize("path", [p for p in FILES if "cached-corruption" in p.name], ids=lambda p: p.stem)
def test_cached_corruption_is_classified_as_the_cache(path):
    _, body = load(path)
    records = detect(body)
    assert records and all(classify(r) is Cause.CACHE for r in records), records


@pytest.mark.parametrize("path", [p for p in FILES if "stale-pin" in p.name], ids=lambda p: p.stem)
def test_stale_pins_are_classified_as_stale(path):
    _, body = load(path)
    records = detect(body)
    assert records and all(classify(r) is Cause.STALE_PIN for r in records)


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.stem.endswith("transit-corruption")], ids=lambda p: p.stem
)
def test_transit_corruption_is_classified_as_transit(path):
    _, body = load(path)
    records = detect(body)
    assert records and all(classify(r) is Cause.TRANSIT for r in records)
