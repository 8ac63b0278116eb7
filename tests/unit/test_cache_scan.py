"""Finding cache entries by content: each candidate body read once, and nothing that cannot match."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from safepip.records import Mismatch
from safepip.recovery import cache as pipcache
from safepip.recovery import eviction
from safepip.recovery.cache import cache_key, scan_for_digest


def v2_entry(cache: Path, url: str, body: bytes | None) -> Path:
    """An http-v2 entry (record, and body unless None); the body's path."""
    key = cache_key(url)
    record = cache.joinpath("http-v2", *key[:5], key)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_bytes(b"cc=4," + b"r" * 300)
    body_path = record.with_name(key + ".body")
    if body is not None:
        body_path.write_bytes(body)
    return body_path


def v1_entry(cache: Path, url: str, body: bytes) -> Path:
    """An entry of the old layout: the body inside the record, as msgpack bin 32."""
    key = cache_key(url)
    record = cache.joinpath("http", *key[:5], key)
    record.parent.mkdir(parents=True, exist_ok=True)
    size = len(body).to_bytes(4, "big")
    head = b"cc=4,\x82\xa8response\x84\xa4body\xc6" + size
    record.write_bytes(head + body + b"\xa7headers\x80\xa4vary\x80")
    return record


class _Counted(io.RawIOBase):
    """A file that counts the bytes read through it."""

    def __init__(self, path: Path, log: dict[str, int]) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115
        self._path = str(path)
        self._log = log
        log.setdefault(self._path, 0)

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = self._file.readinto(buffer)
        self._log[self._path] += n or 0
        return n  # type: ignore[return-value]

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._file.close()
        super().close()


@pytest.fixture
def reads(monkeypatch) -> dict[str, int]:
    """Every file pipcache opens, with the bytes read from it."""
    log: dict[str, int] = {}
    real = pipcache._open_regular

    def counted(path: Path) -> _Counted:
        real(path).close()  # what the cache module would refuse (a FIFO, a link), refused here too
        return _Counted(Path(path), log)

    monkeypatch.setattr(pipcache, "_open_regular", counted)
    return log


def test_each_candidate_is_read_once_and_debris_not_at_all(tmp_path, reads):
    wanted = b"w" * 200_000
    hits = [
        v2_entry(tmp_path, "https://files.example.org/a-1.0.whl", wanted),
        v1_entry(tmp_path, "https://files.example.org/b-1.0.whl", wanted),
    ]
    others = [
        v2_entry(tmp_path, f"https://files.example.org/o{n}-1.0.whl", bytes([n]) * (1000 + 70_000 * n))
        for n in range(4)
    ] + [v1_entry(tmp_path, "https://files.example.org/p-1.0.whl", b"p" * 90_000)]
    v2_entry(tmp_path, "https://files.example.org/redirect", None)  # a record without a body
    empty = v2_entry(tmp_path, "https://files.example.org/empty-1.0.whl", b"")
    # Files pip would never read: a key in another key's folder, a name that is no key, a record.
    misplaced = hits[0].parent / (cache_key("https://files.example.org/x") + ".body")
    misplaced.write_bytes(wanted)
    (tmp_path / "http-v2" / "notes.body").write_bytes(wanted)

    found = scan_for_digest(tmp_path, "sha256", hashlib.sha256(wanted).hexdigest())

    assert sorted(str(e.body or e.record) for e in found) == sorted(str(p) for p in hits)
    candidates = hits + others
    assert set(reads) == {str(p) for p in candidates}
    for path in candidates:
        # Read once: never more bytes than the file holds (the old layout's trailer is not needed).
        assert 0 < reads[str(path)] <= path.stat().st_size
    assert str(empty) not in reads and str(misplaced) not in reads


def test_the_digest_of_nothing_is_sought_among_empty_bodies_only(tmp_path, reads):
    empty = v2_entry(tmp_path, "https://files.example.org/empty-1.0.whl", b"")
    full = v2_entry(tmp_path, "https://files.example.org/full-1.0.whl", b"full")

    found = scan_for_digest(tmp_path, "sha256", hashlib.sha256(b"").hexdigest())

    assert [e.body for e in found] == [empty]
    assert str(full) not in reads


def test_eviction_by_content_does_not_read_the_matches_again(tmp_path, reads):
    wanted = b"bad bytes" * 10_000
    body = v2_entry(tmp_path, "https://files.example.org/a-1.0.whl", wanted)
    v2_entry(tmp_path, "https://files.example.org/b-1.0.whl", b"good")
    record = Mismatch(
        name=None, version=None, url=None, expected=("0" * 64,), got=hashlib.sha256(wanted).hexdigest(),
        algorithm="sha256",
    )  # fmt: skip

    bad, kept = eviction._bad_entries(tmp_path, record)

    assert [e.body for e in bad] == [body] and kept == []
    assert reads[str(body)] == len(wanted)


def test_a_known_url_is_never_a_scan(tmp_path, reads):
    url = "https://files.example.org/a-1.0.whl"
    body = v2_entry(tmp_path, url, b"bad")
    for n in range(20):
        v2_entry(tmp_path, f"https://files.example.org/o{n}-1.0.whl", b"bad")
    record = Mismatch(
        name="a", version="1.0", url=url, expected=("0" * 64,), got=hashlib.sha256(b"bad").hexdigest(),
        algorithm="sha256",
    )  # fmt: skip

    bad, _kept = eviction._bad_entries(tmp_path, record)

    assert [e.body for e in bad] == [body]
    assert set(reads) == {str(body)}
