"""The detector on the shapes real pip output takes: pip 8 to 26, terminals, log files, CI relays."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepip.logscan.mismatches import EMPTY_SHA256, HEX_LENGTH, detect_text

HEAD = (
    "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the "
    "package versions, please update the hashes. Otherwise, examine the package contents carefully; "
    "someone may have tampered with them."
)
GOOD = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
BAD = "23a6ef2a0f70a4ccf77b6b386012309fe6dae404dbbf13c4e741851799134406"
OTHER = "f5851620a22110d6ebb73809df89c6321e79b4483dd2eb84ea77948505561463"
URL = "https://files.example.org/packages/ab/cd/six-1.16.0-py2.py3-none-any.whl"

MODERN = f"""\
Looking in indexes: https://idx.example.org/simple
Collecting six==1.16.0 (from -r req.txt (line 1))
  Using cached six-1.16.0-py2.py3-none-any.whl (11 kB)
ERROR: {HEAD}
    six==1.16.0 from {URL}#sha256={GOOD} (from -r req.txt (line 1)):
        Expected sha256 {GOOD}
             Got        {BAD}

"""


def only(text: str):
    records = detect_text(text)
    assert len(records) == 1, records
    return records[0]


def test_modern_pipe_output_gives_every_field():
    record = only(MODERN)
    assert (record.name, record.version) == ("six", "1.16.0")
    assert record.url == f"{URL}#sha256={GOOD}"
    assert record.expected == (GOOD,)
    assert record.got == BAD
    assert record.algorithm == "sha256"
    assert record.from_cache is True
    assert record.published_hash == GOOD
    assert (record.requirements_file, record.requirements_line) == ("req.txt", 1)
    assert record.filename == "six-1.16.0-py2.py3-none-any.whl"


def test_downloading_line_means_not_from_cache():
    text = MODERN.replace("Using cached six-1.16.0-py2.py3-none-any.whl", f"Downloading {URL}")
    assert only(text).from_cache is False


def test_old_pip_prints_cached_url_and_from_suffix_only_in_the_entry():
    text = f"""\
Collecting six==1.16.0
  Using cached {URL} (11 kB)
ERROR: {HEAD}
    six==1.16.0 from {URL}#sha256={GOOD} (from -r req.txt (line 1)):
        Expected sha256 {GOOD}
             Got        {BAD}
"""
    record = only(text)
    assert record.from_cache is True
    assert record.requirements_line == 1


def test_tty_colours_and_crlf():
    red, reset = "\x1b[31m", "\x1b[0m"
    lines = MODERN.splitlines()
    coloured = "\r\n".join(
        f"{red}{line}{reset}" if line.startswith(("ERROR", "    ")) else line for line in lines
    )
    assert only(coloured) == only(MODERN)


def test_progress_bar_redraws_with_bare_carriage_returns():
    text = MODERN.replace(
        "  Using cached",
        "     ━━━━━━━━━━ 0.0/11.0 kB\r     ━━━━━━━━━━ 11.0/11.0 kB 1 MB/s\r\n  Using cached",
    )
    assert only(text).from_cache is True


def test_pip_log_file_timestamps_and_the_traceback_copy_count_once():
    stamp = "2026-11-24T10:11:12,345 "
    logged = "".join(stamp + line + "\n" for line in MODERN.splitlines())
    traceback = f"""\
{stamp}Exception information:
{stamp}Traceback (most recent call last):
{stamp}  File "/x/pip/_internal/cli/base_command.py", line 180, in exc_logging_wrapper
{stamp}pip._internal.exceptions.HashErrors: {HEAD}
{stamp}    six==1.16.0 from {URL}#sha256={GOOD} (from -r req.txt (line 1)):
{stamp}        Expected sha256 {GOOD}
{stamp}             Got        {BAD}
"""
    assert only(logged + traceback) == only(MODERN)


@pytest.mark.parametrize(
    "prefix",
    ["#10 98.65 ", "2024-05-07T10:11:12.1234567Z ", "[pipenv.exceptions.InstallError]: ", "remote:  "],
)
def test_relay_prefixes(prefix):
    relayed = "".join(prefix + line + "\n" for line in MODERN.splitlines())
    record = only(relayed)
    assert record.got == BAD and record.expected == (GOOD,)


def hard_wrap(text: str, width: int) -> str:
    """What a terminal of `width` columns does to long lines (and its padding of the last piece)."""
    out = []
    for line in text.splitlines():
        pieces = [line[i : i + width] for i in range(0, len(line), width)] or [""]
        out.extend(piece.ljust(width) for piece in pieces)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("width", [40, 57, 64, 80, 100, 117, 130, 200])
def test_terminal_hard_wrapping_anywhere(width):
    assert only(hard_wrap(MODERN, width)) == only(MODERN)


def test_the_seed_sample_wrapped_at_117_columns_with_padding():
    text = """\
Collecting cryptography==3.1
  Downloading cryptography-3.1-cp35-abi3-manylinux2010_x86_64.whl (2.6 MB)
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, p
lease update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.
    cryptography==3.1 from https://files.example-host.net/packages/c0/9c/647e559a6e8be493dc2a7a5d15d26cb501ca60ec299b
356f23839a673a83/cryptography-3.1-cp35-abi3-manylinux2010_x86_64.whl#sha256=321761d55fb7cb256b771ee4ed78e69486a7336be
9143b90c52be59d7657f50f (from -r requirements.txt (line 3)):                                                         
        Expected sha256 321761d55fb7cb256b771ee4ed78e69486a7336be9143b90c52be59d7657f50f                             
             Got        a14d0fdef1a2bbc476c328084e07af58696f9cce1c354a9e2956e4469ca5afa3       
"""  # noqa: W291
    record = only(text)
    assert record.url.endswith(
        "x86_64.whl#sha256=321761d55fb7cb256b771ee4ed78e69486a7336be9143b90c52be59d7657f50f"
    )
    assert "\n" not in record.url and " " not in record.url
    assert record.version == "3.1"
    assert record.requirements_line == 3


def test_pip9_pipenv_head_two_blocks_md5_fragments_wrapped():
    text = textwrap.dedent(
        """\
        THESE PACKAGES DO NOT MATCH THE HASHES FROM Pipfile.lock!. If you have updated the package versions, please update the ha
        shes. Otherwise, examine the package contents carefully; someone may have tampered with them.
            crayons==0.1.2 from https://pkg.example.net/packages/14/fa/635fdd47686a0f29692d927333fcf39e0279fc39c81704866c97adc
        34053/crayons-0.1.2.tar.gz#md5=29140ff72efcd6e7e6f2bf7ae86e880b (from -r /tmp/tmpx-requirements.txt (line 1)):
                Expected sha256 6f51241d0c4faec1c04c1c0ac6a68f1d66a4655476ce1570b3f37e5166a599cc
                     Got        5e17691605e564d63482067eb6327d01a584bbaf870beffd4456a3391bd8809d

            parse==1.6.6 from https://pkg.example.net/packages/83/c2/ad86ed2b91b20f94d33a017b5f2f8f515056b781071bc53fe91ee3bf30b
        4/parse-1.6.6-py3-none-any.whl#md5=b7869836ebd4bf1faefc13a6de1b2dde (from -r /tmp/tmpx-requirements.txt (line 12)):
                Expected sha256 efac1e5be02c04b28e99920d863e8a9c88ba5464f5e03e7a39c0907127387e16
                     Got        a4862be306f334c36ae7adc73af028c56ca0139b8e39435e935bde8d481dd99e
        """
    )
    first, second = detect_text(text)
    assert (first.name, first.version, second.name, second.version) == ("crayons", "0.1.2", "parse", "1.6.6")
    assert first.url.endswith("/crayons-0.1.2.tar.gz#md5=29140ff72efcd6e7e6f2bf7ae86e880b")
    assert first.published_algorithm == "md5" and not first.published_comparable
    assert second.requirements_line == 12


def test_unknown_package_has_no_url_but_is_a_mismatch():
    text = f"""\
Downloading smmap-5.0.1-py3-none-any.whl (24 kB)
ERROR: {HEAD}
    unknown package:
        Expected sha256 {GOOD}
             Got        {BAD}
"""
    record = only(text)
    assert (record.name, record.version, record.url, record.from_cache) == (None, None, None, None)


def test_upper_case_digests_are_kept_as_printed():
    upper = GOOD.upper()
    text = f"""\
ERROR: {HEAD}
    cryptography from https://pkgs.example.org/***/cryptography-42.0.7-cp39-abi3-win32.whl#sha256={upper} (from -r r.txt (line 4)):
        Expected sha256 {upper}
             Got        {GOOD}
"""
    record = only(text)
    assert record.expected == (upper,) and record.got == GOOD
    assert (record.name, record.version) == ("cryptography", "42.0.7")


def test_several_pinned_hashes_and_several_algorithms():
    text = f"""\
ERROR: {HEAD}
    six==1.16.0 from {URL} (from -r req.txt (line 1)):
        Expected sha256 {GOOD}
        Expected     or {OTHER}
             Got        {BAD}

        Expected sha512 {"a" * 128}
             Got        {"b" * 128}

"""
    record = only(text)
    assert record.expected == (GOOD, OTHER, "a" * 128)
    assert record.got == BAD and record.algorithm == "sha256"
    assert record.by_algorithm["sha512"]["got"] == "b" * 128
    assert record.published_hash is None


def test_direct_url_requirement_and_bare_url_lines():
    bare = f"""\
ERROR: {HEAD}
    {URL}#sha256={GOOD}:
        Expected sha256 {GOOD}
             Got        {EMPTY_SHA256}
"""
    record = only(bare)
    assert (record.name, record.version) == ("six", "1.16.0")
    named = bare.replace(f"    {URL}", f"    six@ {URL} from {URL}")
    assert only(named).requirement == f"six@ {URL}"


def test_multiple_reports_in_one_log_are_all_found():
    second = MODERN.replace("six", "idna").replace(BAD, OTHER)
    records = detect_text(MODERN + "some other output\n" + second)
    assert [r.name for r in records] == ["six", "idna"]


LOOKALIKES = {
    "hash missing": """\
ERROR: Hashes are required in --require-hashes mode, but they are missing from some requirements. Here is a list of those requirements along with the hashes their downloaded archives actually had. Add lines like these to your requirements files to prevent tampering.
    alembic==1.17.1 --hash=sha256:cbc2386e60f89608bb63f30d2d6cc66c7aaed1fe105bd862828600e5ad167023
""",
    "unpinned": """\
ERROR: In --require-hashes mode, all requirements must have their versions pinned with ==. These do not:
    six from https://files.example.org/six-1.16.0-py2.py3-none-any.whl
""",
    "no matching distribution": """\
ERROR: Could not find a version that satisfies the requirement array-record==0.4.1 (from versions: none)
ERROR: No matching distribution found for array-record==0.4.1
""",
    "incomplete download": """\
× Download failed because not enough bytes were received (9.4 MB/17.5 MB)
╰─> URL: https://files.example.org/packages/arcticdb-5.6.0-cp313-cp313-manylinux_2_17_x86_64.whl
note: This is an issue with network connectivity, not pip.
""",
    "network error": """\
WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken
ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='files.example.org', port=443)
""",
    "uv": f"""\
error: Failed to download `six==1.16.0`
  Caused by: Hash mismatch for `six==1.16.0`

Expected:
  sha256:{GOOD}

Computed:
  sha256:{BAD}
""",
    "poetry": "Hash for six (1.16.0) from archive six-1.16.0-py2.py3-none-any.whl not found in known hashes\n",
    "head quoted in prose": f"Has anyone seen '{HEAD}' before? It went away with --no-cache-dir.\n",
    "digest cut short": MODERN.replace(f"Got        {BAD}", f"Got        {BAD[:30]}"),
}


@pytest.mark.parametrize("name", list(LOOKALIKES))
def test_lookalikes_are_not_mismatches(name):
    assert detect_text(LOOKALIKES[name]) == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=2000))
def test_arbitrary_text_never_crashes_and_never_invents_a_mismatch(text):
    records = detect_text(text)
    for record in records:
        # A record needs pip's head and real digests in the text: it cannot come from nowhere.
        assert "THESE PACKAGES DO NOT MATCH THE HASHES FROM" in text
        assert record.got.lower() in text.replace("\n", "").lower() or record.got in text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=40, max_value=250))
def test_noise_around_a_real_report_does_not_change_it(noise, width):
    noise = noise.replace("THESE PACKAGES", "")
    text = noise + "\n" + hard_wrap(MODERN, width) + "\n" + noise
    records = detect_text(text)
    assert [(r.name, r.got, r.expected) for r in records] == [("six", BAD, (GOOD,))]


# -- hostile and broken text: the detector reports what the text says, or nothing -------------------

TRUE_RECORD = ("six", BAD, (GOOD,))


@settings(max_examples=300, deadline=None)
@given(st.data(), st.sampled_from([40, 57, 80, 117, 200, 1000]))
def test_a_report_cut_anywhere_gives_the_whole_record_or_none(data, width):
    # A log cut short (a CI step killed, a paste that stopped early) never yields a wrong digest.
    text = hard_wrap(MODERN, width) if width < 1000 else MODERN
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    records = detect_text(text[:cut])
    assert [(r.name, r.got, r.expected) for r in records] in ([], [TRUE_RECORD])


_SEQUENCES = st.sampled_from(
    [
        "\x1b[31m",
        "\x1b[0m",
        "\x1b[1;33m",
        "\x1b[2K",
        "\x1b[?25l",
        "\x1b]0;title\x07",
        "\x1b]8;;http://x\x1b\\",
    ]
)
# C0 controls a terminal acts on, minus the ones that start or end a line (tab, newline, CR, VT,
# FF, the separators 0x1c-0x1e that str.splitlines honours) and ESC, which only comes in sequences.
_CONTROLS = st.sampled_from([chr(c) for c in [*range(0x00, 0x09), *range(0x0E, 0x1B), 0x1F, 0x7F]])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0), st.one_of(_SEQUENCES, _CONTROLS)), max_size=30))
def test_escape_sequences_and_control_codes_anywhere_change_nothing(insertions):
    # Terminals and CI viewers sprinkle these anywhere, even inside a digest or a URL (each at a
    # place in pip's text: sequences are never nested inside each other).
    pieces, last = [], 0
    for at, piece in sorted((position % (len(MODERN) + 1), piece) for position, piece in insertions):
        pieces += [MODERN[last:at], piece]
        last = at
    text = "".join([*pieces, MODERN[last:]])
    assert [(r.name, r.got, r.expected) for r in detect_text(text)] == [TRUE_RECORD]


@pytest.mark.parametrize("url", ["https://[files.example.org/six-1.16.0-py2.py3-none-any.whl", "http://[::1"])
def test_a_url_that_cannot_be_parsed_is_no_crash(url):
    # urlsplit raises on an unbalanced '[' (an IPv6 literal cut short); a log can hold anything.
    record = only(MODERN.replace(URL, url).replace("Using cached six", f"Using cached {url}"))
    assert (record.got, record.expected) == (BAD, (GOOD,))
    assert record.url is None and record.filename is None


_HEX = st.text(alphabet="0123456789abcdefABCDEF", min_size=0, max_size=140)
_FRAGMENTS = st.one_of(
    st.just(f"ERROR: {HEAD}"),
    st.just(f"{HEAD[:40]}"),
    st.builds(lambda h: f"    six==1.16.0 from {URL}#sha256={h} (from -r req.txt (line 1)):", _HEX),
    st.just("    unknown package:"),
    st.builds(
        lambda alg, h, pad: f"{' ' * pad}Expected {alg} {h}",
        st.sampled_from(["sha256", "sha512", "md5", "or", "sha3"]),
        _HEX,
        st.integers(0, 12),
    ),
    st.builds(lambda h, pad: f"{' ' * pad}Got        {h}", _HEX, st.integers(0, 12)),
    st.just(""),
    st.just("  Using cached six-1.16.0-py2.py3-none-any.whl (11 kB)"),
    st.text(max_size=80),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=40), st.sampled_from([None, 40, 80]))
def test_pieces_of_pip_reports_in_any_order_never_crash_or_invent_a_digest(lines, width):
    text = "\n".join(lines) + "\n"
    if width:
        text = hard_wrap(text, width)
    flat = "".join(text.split()).lower()
    for record in detect_text(text):
        # Every digest of a record is complete and stands in the text (allowing for wraps).
        assert len(record.got) == HEX_LENGTH[record.algorithm]
        assert record.got.lower() in flat
        assert record.expected and all(e.lower() in flat for e in record.expected)
        assert "THESEPACKAGESDONOTMATCH" in flat.upper()
