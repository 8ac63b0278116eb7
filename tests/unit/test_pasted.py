"""The detector on pip output as people pasted it in public threads (tests/data/pasted), and on
other tools' hash errors that look like pip's.

Each real paste gives exactly the records its header names, or none where the paste cut a record
short; each look-alike gives none. NOTES.md there says where each came from and what damage it shows.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from tests.support.corpus import CAPTURED, LOOKALIKES, PASTED, as_printed, load

from safepip.logscan import entries
from safepip.logscan.digests import HEX_LENGTH
from safepip.logscan.mismatches import detect
from safepip.logscan.text import decoded


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


@settings(deadline=None)
@given(
    st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?", fullmatch=True),
    st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,4}){0,4}", fullmatch=True),
)
def test_a_simple_pin_is_read_as_packaging_reads_it(name, version):
    # entries.py reads "name==1.2.3" without packaging's parser, for speed: the same answer.
    requirement = Requirement(f"{name}=={version}")
    (pin,) = requirement.specifier
    assert entries._name_and_version(f"{name}=={version}", None) == (requirement.name, pin.version)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"\xff\xfeE\x00R\x00R\x00O\x00R\x00:\x00", "utf-16"),  # Windows PowerShell's `>`
        (b"\xfe\xff\x00E\x00R\x00R\x00O\x00R\x00:", "utf-16"),
        (b"\xef\xbb\xbfERROR: x\n", "utf-8-sig"),
        (b"\xff\xfe\xfa\x00\nERROR: THESE PACKAGES", "utf-8"),  # bytes that only start like UTF-16
        (b"caf\xe9\n", "utf-8"),
    ],
)
def test_a_logs_encoding_is_read_from_its_first_bytes(data, encoding):
    text = decoded(io.BufferedReader(io.BytesIO(data)))  # type: ignore[arg-type]
    assert text.encoding == encoding
    assert "\ufffd" not in text.read() or encoding == "utf-8"
