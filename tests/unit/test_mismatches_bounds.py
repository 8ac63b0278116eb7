"""The detector reads a log of any length in bounded memory: pip's output can grow, safepip's may not."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from safepip.logscan import mismatches as detector
from safepip.logscan.mismatches import detect
from safepip.urls import file_name

HEAD = (
    "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated "
    "the package versions, please update the hashes. Otherwise, examine the package contents "
    "carefully; someone may have tampered with them."
)


def report(name: str) -> list[str]:
    return [
        HEAD,
        f"    {name}==1.0 from https://files.example.org/{name}-1.0-py3-none-any.whl:",
        "        Expected sha256 " + "a" * 64,
        "             Got        " + "b" * 64,
        "",
    ]


def peak_bytes(lines: Iterator[str]) -> tuple[int, list]:
    tracemalloc.start()
    try:
        found = detect(lines)
        return tracemalloc.get_traced_memory()[1], found
    finally:
        tracemalloc.stop()


def test_a_report_that_never_ends_is_read_in_bounded_memory():
    def endless() -> Iterator[str]:
        # A head cut short, then 10 MB of pieces that would all continue it, then indented lines.
        for _ in range(2):
            yield "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE"
            for _ in range(50_000):
                yield "x" * 100
            for _ in range(10_000):
                yield "        Expected sha256 " + "a" * 60

    peak, found = peak_bytes(endless())

    assert found == []
    assert peak < 2 * 1024 * 1024  # the text seen was 12 MB


def test_memory_stays_flat_however_many_files_the_log_names(monkeypatch):
    monkeypatch.setattr(detector, "_MAX_SOURCES", 500)  # 10,000 in use: the same, quicker

    def long_log(files: int) -> Iterator[str]:
        for n in range(files):
            yield f"  Using cached pkg_{n}-1.0-py3-none-any.whl (1.0 MB)"
        yield from report(f"pkg_{files - 1}")

    detect(report("warm-up"))  # what the first report imports is not the log's memory
    small, found = peak_bytes(long_log(20_000))
    big, _ = peak_bytes(long_log(60_000))

    assert found and found[0].from_cache is True
    assert big < small * 1.25  # three times the lines, the same memory (without the bound: 2.4 times)


def test_the_latest_line_about_a_file_says_where_its_bytes_came_from():
    lines = [
        "  Downloading https://files.example.org/alpha-1.0-py3-none-any.whl (1.0 MB)",
        *(f"  Using cached other_{n}-1.0-py3-none-any.whl" for n in range(3 * detector._MAX_SOURCES)),
        "  Using cached alpha-1.0-py3-none-any.whl (1.0 MB)",
        *report("alpha"),
    ]
    (record,) = detect(lines)
    assert record.from_cache is True


@given(st.text(alphabet="/.a%2F?#", max_size=12))
def test_file_names_are_read_as_pathlib_reads_them(path):
    # urls.file_name avoids pathlib (which interns every name it sees), and must agree with it.
    from urllib.parse import unquote

    url = "https://files.example.org/" + path
    assert file_name(url) == PurePosixPath(unquote(urlsplit(url).path)).name


def test_lines_a_relay_says_go_on_are_joined_in_bounded_memory():
    # GitLab flags a line that goes on with the one before ("00O+"): joined again, but never past a
    # line's bound, however many such lines come.
    def endless() -> Iterator[str]:
        yield "2025-12-18T10:11:12.000000Z 00O " + HEAD
        for n in range(100_000):
            yield f"2025-12-18T10:11:12.{n:06d}Z 00O+" + "x" * 100

    peak, found = peak_bytes(endless())

    assert found == []
    assert peak < 2 * 1024 * 1024  # the text seen was 13 MB
