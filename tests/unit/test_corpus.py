"""The detector and classifier on every output captured from real pip runs (tests/data/pip-outputs).

Each file holds `# ` header lines, the last of them `# expected: [...]` with the records a correct
reader extracts (NOTES.md there says how each was made), then pip's verbatim bytes.
"""

from __future__ import annotations

import pytest
from tests.support.corpus import CAPTURED, as_printed, load

from safepip.logscan.mismatches import detect
from safepip.records import Cause
from safepip.recovery.classify import classify

FILES = CAPTURED


def test_the_corpus_is_there():
    assert len(FILES) > 150


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_detector_reads_every_captured_output(path):
    expected, body = load(path)
    assert as_printed(detect(body)) == expected


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
