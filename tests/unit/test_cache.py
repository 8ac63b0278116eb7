"""Cache keys and body extraction, checked against pip's own vendored code where it is importable."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from safepip.recovery.cache import CacheEntry, body_digest, cache_key, entries_for_url, scan_for_digest

URLS = [
    "http://127.0.0.1:8765/files/alpha-1.0-py3-none-any.whl",
    "HTTPS://Files.Example.ORG/packages/ab/cd/six-1.16.0-py2.py3-none-any.whl#sha256=" + "a" * 64,
    "https://files.example.org/simple/six/?format=json",
    "https://user:pw@Example.org",
]


@pytest.mark.parametrize("url", URLS)
def test_cache_key_is_pips(url):
    controller = pytest.importorskip("pip._vendor.cachecontrol.controller")
    normalized = controller.CacheController.cache_url(url)
    assert cache_key(url) == hashlib.sha224(normalized.encode()).hexdigest()


def write_v2(cache: Path, url: str, body: bytes) -> CacheEntry:
    key = cache_key(url)
    record = cache.joinpath("http-v2", *key[:5], key)
    record.parent.mkdir(parents=True)
    record.write_bytes(b"cc=4,header-record")
    record.with_name(key + ".body").write_bytes(body)
    return CacheEntry("http-v2", record, record.with_name(key + ".body"))


def write_v1(cache: Path, url: str, body: bytes) -> CacheEntry:
    msgpack = pytest.importorskip("pip._vendor.msgpack")
    key = cache_key(url)
    record = cache.joinpath("http", *key[:5], key)
    record.parent.mkdir(parents=True)
    data = {
        "response": {
            "body": body,
            "headers": {"etag": "x"},
            "status": 200,
            "version": 11,
            "reason": "OK",
            "decode_content": False,
        },
        "vary": {},
    }
    record.write_bytes(b"cc=4," + msgpack.dumps(data, use_bin_type=True))
    return CacheEntry("http", record)


@pytest.mark.parametrize("size", [0, 10, 300, 70_000, 3_000_000])
def test_body_digest_in_both_layouts(tmp_path, size):
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    want = hashlib.sha256(body).hexdigest()
    url = "http://127.0.0.1/files/a-1.0-py3-none-any.whl"
    assert body_digest(write_v2(tmp_path / "c2", url, body), "sha256") == want
    assert body_digest(write_v1(tmp_path / "c1", url, body), "sha256") == want


def test_entries_for_url_finds_both_layouts_and_only_that_url(tmp_path):
    url = "http://127.0.0.1/files/a-1.0-py3-none-any.whl"
    write_v2(tmp_path, url, b"one")
    write_v1(tmp_path, url, b"one")
    write_v2(tmp_path, url.replace("a-1.0", "b-1.0"), b"two")
    found = entries_for_url(tmp_path, url + "#sha256=" + "0" * 64)
    assert sorted(e.layout for e in found) == ["http", "http-v2"]


def test_scan_finds_entries_by_content(tmp_path):
    write_v2(tmp_path, "http://h/a.whl", b"wanted")
    write_v1(tmp_path, "http://h/b.whl", b"wanted")
    write_v2(tmp_path, "http://h/c.whl", b"other")
    found = scan_for_digest(tmp_path, "sha256", hashlib.sha256(b"wanted").hexdigest().upper())
    assert sorted(e.layout for e in found) == ["http", "http-v2"]


def test_unreadable_or_foreign_entries_give_no_digest(tmp_path):
    record = tmp_path / "junk"
    record.write_bytes(b"not a cache record")
    assert body_digest(CacheEntry("http", record), "sha256") is None
    assert body_digest(CacheEntry("http-v2", record, tmp_path / "missing.body"), "sha256") is None
