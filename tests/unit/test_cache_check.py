"""The check of cached downloads (recovery/cachecheck.py) and what it reads: records, bodies, names.

Records are written with pip's own vendored msgpack, as cachecontrol writes them; the scenarios with
the real pip are in tests/integration/test_verify_cache.py and the recovery tests.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.support.wheels import build_sdist, build_wheel

from safepip.pip.index import IndexFacts, PinnedRequirement, PublishedFile
from safepip.recovery import cachecheck, cacherecord, identify
from safepip.recovery.cache import CacheEntry, cache_key, read_body

msgpack = pytest.importorskip("pip._vendor.msgpack")
URL = "https://files.example.org/packages/alpha-1.0-py3-none-any.whl"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_bytes(body: bytes, headers: dict[str, str]) -> bytes:
    response = {
        "body": body,
        "headers": headers,
        "status": 200,
        "version": 11,
        "reason": "OK",
        "decode_content": False,
    }
    return b"cc=4," + msgpack.dumps({"response": response, "vary": {}}, use_bin_type=True)


def write_entry(
    cache: Path, url: str, body: bytes, *, layout: str = "http-v2", length: int | None = None
) -> CacheEntry:
    """An entry as pip writes it; `length` is the Content-Length the server sent (default: the body's)."""
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(len(body) if length is None else length),
    }
    key = cache_key(url)
    record = cache.joinpath(layout, *key[:5], key)
    record.parent.mkdir(parents=True, exist_ok=True)
    if layout == "http-v2":
        record.write_bytes(record_bytes(b"", headers))
        record.with_name(key + ".body").write_bytes(body)
        return CacheEntry(layout, record, record.with_name(key + ".body"))
    record.write_bytes(record_bytes(body, headers))
    return CacheEntry(layout, record)


# -- records --------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["http-v2", "http"])
def test_the_headers_of_a_record_in_both_layouts(tmp_path, layout):
    body = bytes(range(256)) * 12_000  # past the size the reader skips instead of reading
    entry = write_entry(tmp_path, URL, body, layout=layout, length=len(body) + 5)
    found = cacherecord.read(entry.record)
    assert found is not None
    assert found.content_length == len(body) + 5
    assert found.headers["content-type"] == "application/octet-stream"


def test_what_is_no_record_reads_as_none(tmp_path):
    for name, data in {
        "empty": b"",
        "garbage": b"not a record",
        "cut": record_bytes(b"x" * 100, {})[:30],
    }.items():
        (tmp_path / name).write_bytes(data)
        assert cacherecord.read(tmp_path / name) is None, name


# -- bodies ---------------------------------------------------------------------------------------


def test_an_old_layout_record_cut_short_is_seen_as_such(tmp_path):
    body = b"z" * 200_000
    entry = write_entry(tmp_path, URL, body, layout="http")
    data = entry.record.read_bytes()
    entry.record.write_bytes(data[: len(data) // 2])
    found = read_body(entry)
    assert found is not None and found.cut_short and found.announced == len(body)


def test_a_body_is_read_once_for_several_algorithms_and_its_ends(tmp_path):
    body = b"head" + b"m" * 3_000_000 + b"tail"
    entry = write_entry(tmp_path, URL, body)
    found = read_body(entry, ("sha256", "sha512"), ends=8)
    assert found is not None
    assert found.digests == {"sha256": sha(body), "sha512": hashlib.sha512(body).hexdigest()}
    assert found.head == body[:8] and found.tail == body[-8:] and found.size == len(body)


# -- what a body says it is -------------------------------------------------------------------------


def ends(data: bytes) -> tuple[bytes, bytes]:
    return data[: identify.ENDS], data[-identify.ENDS :]


def test_a_wheel_names_its_project(tmp_path):
    wheel = build_wheel(tmp_path, "My.Project", "2.0", payload_size=200_000)
    assert identify.project(*ends(wheel.read_bytes())) == "my-project"


def test_a_wheel_with_flipped_bytes_in_the_middle_still_names_its_project(tmp_path):
    data = bytearray(build_wheel(tmp_path, "alpha", "1.0", payload_size=200_000).read_bytes())
    data[len(data) // 2] ^= 0xFF
    assert identify.project(*ends(bytes(data))) == "alpha"


def test_an_sdist_names_its_project(tmp_path):
    sdist = build_sdist(tmp_path, "beta-thing", "0.3")
    assert identify.project(*ends(sdist.read_bytes())) == "beta-thing"


def test_a_metadata_file_names_its_project():
    text = b"Metadata-Version: 2.1\nName: Gamma_Lib\nVersion: 6.6\n"
    assert identify.project(text, text) == "gamma-lib"


def test_what_names_nothing(tmp_path):
    wheel = build_wheel(tmp_path, "alpha", "1.0", payload_size=200_000).read_bytes()
    assert identify.project(*ends(wheel[: len(wheel) // 2])) is None  # the central directory is gone
    assert identify.project(b"", b"") is None
    assert identify.project(b"<!DOCTYPE html>", b"</html>") is None


# -- judging --------------------------------------------------------------------------------------


GOOD = b"the good bytes"
BAD = b"the bad  bytes"


def judged(
    tmp_path: Path, body: bytes, expected: cachecheck.Expected | None, **kwargs: int
) -> cachecheck.Checked:
    entry = write_entry(tmp_path, URL, body, **kwargs)
    return cachecheck.judge(
        entry,
        read_body(entry, expected.algorithms if expected else ["sha256"]),
        cacherecord.read(entry.record),
        expected,
    )


def expected(published: str | None = None, pinned: tuple[str, ...] = ()) -> cachecheck.Expected:
    return cachecheck.Expected(
        URL,
        "alpha",
        "1.0",
        "alpha-1.0-py3-none-any.whl",
        {"sha256": published} if published else {},
        {"sha256": pinned} if pinned else {},
    )


def test_bytes_that_match_the_pin_are_good(tmp_path):
    found = judged(tmp_path, GOOD, expected(sha(GOOD), (sha(GOOD),)))
    assert not found.bad and found.verified and not found.stale_pin


def test_bytes_that_match_neither_the_pin_nor_the_index_are_wrong(tmp_path):
    found = judged(tmp_path, BAD, expected(sha(GOOD), (sha(GOOD),)))
    assert found.problem is cachecheck.Problem.WRONG_BYTES and found.digest == sha(BAD)


def test_the_index_s_own_file_that_the_lock_does_not_pin_is_a_stale_pin_not_a_corruption(tmp_path):
    found = judged(tmp_path, GOOD, expected(sha(GOOD), ("0" * 64,)))
    assert not found.bad and found.stale_pin


def test_without_pins_the_index_decides(tmp_path):
    assert not judged(tmp_path / "a", GOOD, expected(sha(GOOD))).bad
    assert judged(tmp_path / "b", BAD, expected(sha(GOOD))).bad


def test_without_pins_or_published_hashes_only_the_length_is_checked(tmp_path):
    assert not judged(tmp_path / "a", BAD, expected()).bad
    assert not judged(tmp_path / "a", BAD, None).verified
    cut = judged(tmp_path / "b", GOOD[:5], None, length=len(GOOD))
    assert cut.problem is cachecheck.Problem.CUT_SHORT and cut.announced == len(GOOD)
    empty = judged(tmp_path / "c", b"", None, length=len(GOOD))
    assert empty.problem is cachecheck.Problem.EMPTY


def test_an_empty_body_against_a_hash_is_empty_not_wrong(tmp_path):
    assert judged(tmp_path, b"", expected(sha(GOOD)), length=0).problem is cachecheck.Problem.EMPTY


def test_pins_in_another_algorithm_are_compared_in_it(tmp_path):
    item = cachecheck.Expected(
        URL, "alpha", "1.0", "a.whl", {}, {"sha512": (hashlib.sha512(GOOD).hexdigest(),)}
    )
    assert judged(tmp_path / "a", GOOD, item).verified and not judged(tmp_path / "a", GOOD, item).bad
    assert judged(tmp_path / "b", BAD, item).bad


# -- expectations from what pip said, and the whole check -------------------------------------------


def facts() -> IndexFacts:
    files = (
        PublishedFile(
            "alpha-1.0-py3-none-any.whl", URL, {"sha256": sha(GOOD)}, {"sha256": sha(b"meta")}, "alpha", "1.0"
        ),
        PublishedFile(
            "alpha-1.0.tar.gz",
            URL.replace("-py3-none-any.whl", ".tar.gz"),
            {"sha256": "1" * 64},
            None,
            "alpha",
            "1.0",
        ),
        PublishedFile(
            "other-2.0-py3-none-any.whl",
            "https://files.example.org/other-2.0-py3-none-any.whl",
            {"sha256": "2" * 64},
            None,
            "other",
            "2.0",
        ),
    )
    pinned = (PinnedRequirement("Alpha", "1.0", {"sha256": (sha(GOOD),)}),)
    return IndexFacts(pinned, {("alpha", "1.0"): files[:2], ("other", "2.0"): files[2:]})


def test_expectations_cover_the_pinned_releases_files_and_their_metadata():
    found = {e.url: e for e in cachecheck.expectations(facts())}
    assert set(found) == {URL, URL + ".metadata", URL.replace("-py3-none-any.whl", ".tar.gz")}
    assert found[URL].pinned == {"sha256": (sha(GOOD),)}
    assert found[URL + ".metadata"].pinned == {} and found[URL + ".metadata"].published == {
        "sha256": sha(b"meta")
    }
    every = {e.url for e in cachecheck.expectations(facts(), pinned_only=False)}
    assert "https://files.example.org/other-2.0-py3-none-any.whl" in every


def test_the_check_finds_the_bad_entries_in_both_layouts_and_leaves_the_rest(tmp_path):
    write_entry(tmp_path, URL, BAD, layout="http")
    write_entry(tmp_path, URL, GOOD, layout="http-v2")
    write_entry(tmp_path, URL + ".metadata", b"meta but changed")
    write_entry(tmp_path, "https://files.example.org/unrelated.whl", BAD)
    checked = cachecheck.check(tmp_path, cachecheck.expectations(facts()))
    bad = {(c.entry.layout, c.expected.filename if c.expected else None) for c in checked if c.bad}
    assert bad == {("http", "alpha-1.0-py3-none-any.whl"), ("http-v2", "alpha-1.0-py3-none-any.whl.metadata")}
    assert len(checked) == 3  # the unrelated entry is not one of the requirements' files


def test_a_survey_matches_entries_to_published_files_by_the_key_of_their_url(tmp_path):
    wheel = build_wheel(tmp_path / "w", "alpha", "1.0", payload_size=100_000).read_bytes()
    broken = bytearray(wheel)
    broken[len(broken) // 2] ^= 0xFF
    write_entry(tmp_path / "cache", URL, bytes(broken))
    write_entry(tmp_path / "cache", "https://files.example.org/cut.whl", wheel[:100], length=len(wheel))
    surveyed = cachecheck.survey(tmp_path / "cache")
    assert surveyed.projects == ["alpha"]
    published = PublishedFile("alpha-1.0-py3-none-any.whl", URL, {"sha256": sha(wheel)}, None, "alpha", "1.0")
    checked = cachecheck.match(
        surveyed, cachecheck.expectations(IndexFacts((), {("alpha", "1.0"): (published,)}), pinned_only=False)
    )
    problems = sorted((c.expected.filename if c.expected else "?", c.problem) for c in checked)
    assert problems == [
        ("?", cachecheck.Problem.CUT_SHORT),
        ("alpha-1.0-py3-none-any.whl", cachecheck.Problem.WRONG_BYTES),
    ]
