"""The detector on pip output as people pasted it in public threads (tests/data/pasted), and on
other tools' hash errors that look like pip's.

Each real paste gives exactly the records its header names, or none where the paste cut a record
short; each look-alike gives none. NOTES.md there says where each came from and what damage it shows.
"""

from __future__ import annotations

import pytest
from tests.support.corpus import CAPTURED, LOOKALIKES, PASTED, as_printed, load

from safepip.logscan.digests import HEX_LENGTH
from safepip.logscan.mismatches import detect


def test_the_corpora_are_there():
    assert len(PASTED) >= 50 and len(LOOKALIKES) >= 25
    # Some real pastes were cut inside a record: the corpus keeps them, for the nothing they give.
    assert sum(1 for path in PASTED if not load(path)[0]) >= 7


@pytest.mark.parametrize("path", PASTED, ids=lambda p: p.stem)
def test_every_real_paste_gives_exactly_its_records(path):
    expected, body = load(path)
    assert as_printed(detect(body)) == expected


@pytest.mark.parametrize("path", LOOKALIKES, ids=lambda p: p.stem)
def test_lookalikes_give_nothing(path):
    expected, body = load(path)
    assert expected == []
    assert detect(body) == []


@pytest.mark.parametrize("path", PASTED, ids=lambda p: p.stem)
def test_every_digest_has_its_algorithms_length(path):
    # The traps in the corpus: 56 hex characters after "sha256" (OCR, a Got cut short) are a cut
    # SHA-256, never a SHA-224; a fragment cut by a wrap is no hash of the index's.
    _, body = load(path)
    for record in detect(body):
        for algorithm, data in (record.by_algorithm or {record.algorithm: record.__dict__}).items():
            assert all(len(digest) == HEX_LENGTH[algorithm] for digest in [*data["expected"], data["got"]])
        if record.published_hash is not None:
            assert len(record.published_hash) == HEX_LENGTH[record.published_algorithm]


@pytest.mark.parametrize("columns", range(1, 13))
def test_a_window_that_cut_more_than_pips_indentation_names_no_file(columns):
    # A narrow window (D09) takes the first columns of every line: up to 4 cost only the entry's
    # indentation; beyond that its name is cut ("ix==1.16.0"), and a record would name another file.
    _, body = load(next(p for p in CAPTURED if p.name == "26.3-stale-pin.txt"))
    cut = "".join(line[columns:] for line in body)
    records = detect(cut.splitlines())
    if columns <= 4:
        assert [(r.name, r.version) for r in records] == [("alpha", "1.0")]
    else:
        assert records == []
