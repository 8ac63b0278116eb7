"""Classification decides what recovery may do; each branch is checked on a minimal record."""

from __future__ import annotations

import pytest

from safepip.logscan.mismatches import EMPTY_SHA256
from safepip.output.evidence import explain
from safepip.records import Attempt, Cause, Mismatch, Rung
from safepip.recovery.classify import causes, classify

PIN = "a" * 64
GOT = "b" * 64


def record(**overrides) -> Mismatch:
    fields = dict(
        name="six",
        version="1.16.0",
        url=f"https://files.example.org/six-1.16.0-py3-none-any.whl#sha256={PIN}",
        expected=(PIN,),
        got=GOT,
        algorithm="sha256",
        from_cache=False,
        published_hash=PIN,
        published_algorithm="sha256",
    )
    fields.update(overrides)
    return Mismatch(**fields)


@pytest.mark.parametrize(
    ("overrides", "cause"),
    [
        ({"from_cache": True}, Cause.CACHE),
        ({}, Cause.TRANSIT),
        ({"from_cache": None}, Cause.TRANSIT),
        # pip got exactly what the index publishes, and that is not pinned: a stale pin.
        ({"expected": ("c" * 64,), "published_hash": GOT}, Cause.STALE_PIN),
        ({"expected": ("c" * 64,), "published_hash": GOT, "from_cache": True}, Cause.STALE_PIN),
        # ... unless the pin is the published hash of another file of the release.
        ({"published_hash": GOT, "locked_file": "six-1.16.0.tar.gz"}, Cause.OTHER_FILE_PINNED),
        ({"got": PIN.upper()}, Cause.PIP_CASE_BUG),
        ({"expected": (GOT.upper(),)}, Cause.PIP_CASE_BUG),
        ({"url": "file:///tmp/six-1.16.0-py3-none-any.whl"}, Cause.LOCAL_FILE),
        (
            {"url": None, "published_hash": None, "published_algorithm": None, "from_cache": None},
            Cause.UNKNOWN,
        ),
        ({"published_hash": None, "published_algorithm": None, "from_cache": True}, Cause.CACHE),
        ({"published_hash": None, "published_algorithm": None, "got": EMPTY_SHA256}, Cause.TRANSIT),
        # An md5 fragment cannot be compared with sha256 digests.
        ({"published_hash": "d" * 32, "published_algorithm": "md5", "from_cache": None}, Cause.UNKNOWN),
    ],
)
def test_classify(overrides, cause):
    assert classify(record(**overrides)) is cause


def test_causes_use_the_index_hash_an_earlier_attempt_printed():
    # Run 1's report showed the index's hash, and it is the hash of the bytes pip got.
    first = Attempt(Rung.PIP, 1, 1.0, (record(published_hash=GOT),))
    # Run 2's report of the same file showed none (pip printed the bare URL).
    bare = record(url=record().url_without_fragment, published_hash=None, published_algorithm=None)
    assert causes([bare]) == {bare: Cause.UNKNOWN}
    ((known, cause),) = causes([bare], [first]).items()
    assert known.published_hash == GOT and cause is Cause.STALE_PIN


@pytest.mark.parametrize("cause", list(Cause))
def test_every_cause_has_a_plain_explanation_and_next_step(cause):
    likely, step = explain(record(), cause)
    assert likely.strip() and step.strip()
    assert "--trusted-host" not in step and "--no-require-hashes" not in step
