"""Hostile text in a pasted log or in pip's output never reaches the terminal through safepip.

A log can carry escape sequences that retitle a terminal, clear it, move the cursor or hide text
(C0 and C1 control codes, OSC and CSI sequences), and bidirectional controls that make text read
differently than it is; a mirror can put them in a file name. `safepip diagnose` and every
``safepip:`` line print what they found with those made visible instead. Very long lines are cut
while reading, so memory stays flat.
"""

from __future__ import annotations

import io
import re
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepip.commands import diagnose
from safepip.config.settings import Settings
from safepip.output import console as messages
from safepip.output.console import printable

GOOD = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
BAD = "23a6ef2a0f70a4ccf77b6b386012309fe6dae404dbbf13c4e741851799134406"
HEAD = (
    "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the "
    "package versions, please update the hashes. Otherwise, examine the package contents carefully; "
    "someone may have tampered with them."
)
# What a terminal acts on: C0 controls but tab and newline, DEL, C1 controls (0x9b is an 8-bit CSI),
# and the bidirectional embedding, override and isolate controls.
DANGEROUS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

NASTY = [
    "\x1b]0;pwned\x07",  # OSC: set the window title
    "\x1b]8;;https://evil.example.org/\x1b\\",  # OSC 8 hyperlink
    "\x1b[2J\x1b[H",  # CSI: clear the screen, cursor home
    "\x9b2J",  # the same with an 8-bit CSI
    "\x9d0;title\x9c",  # 8-bit OSC
    "\x1b[8m",  # hidden text
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\x07\x08\x7f",  # bell, backspace, delete
    "\x1bP1$r\x1b\\",  # DCS
]


def report(url: str, requirement: str = "six==1.16.0") -> str:
    return (
        f"{HEAD}\n"
        f"    {requirement} from {url}#sha256={GOOD} (from -r req.txt (line 1)):\n"
        f"        Expected sha256 {GOOD}\n"
        f"             Got        {BAD}\n"
    )


def diagnosed(text: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = diagnose.main(["-", *args], Settings(), stdin=io.StringIO(text), stdout=out)
    return code, out.getvalue()


@pytest.mark.parametrize("nasty", NASTY)
def test_diagnose_prints_no_control_sequence_from_the_log(nasty):
    # Unicode letters that are no escape sequence must survive, so the check is not "ASCII only".
    url = f"https://files.example.org/p/six-1.16.0-py2.py3-none-any.whl{nasty}évil"
    text = f"{nasty}Collecting six\n{nasty}" + report(url) + f"{nasty}\n"
    code, out = diagnosed(text)
    assert code == 0
    assert "1 file(s) did not match" in out
    assert not DANGEROUS.search(out), repr(out)
    assert "évil" in out


def test_a_control_code_in_a_file_name_is_shown_not_obeyed():
    # A mirror chose this name. C1 controls survive the log cleaner (they are not ESC sequences).
    url = "https://mirror.example.org/six-1.16.0\x9b2J\u202egnp.whl"
    _code, out = diagnosed(report(url))
    assert not DANGEROUS.search(out)
    assert "\\x9b2J" in out and "\\u202e" in out


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_whatever_the_log_holds_diagnose_output_is_free_of_control_codes(junk):
    url = f"https://files.example.org/six-1.16.0-py2.py3-none-any.whl{junk.replace(chr(10), '')}"
    for args in ((), ("--json",)):
        _code, out = diagnosed(junk + "\n" + report(url) + junk, *args)
        assert not DANGEROUS.search(out.replace("\n", "")), repr(out)


def test_safepip_lines_never_carry_control_codes(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setenv("NO_COLOR", "1")
    messages.say("moved six\x1b]0;pwned\x07 from \x9b2J\u202e into quarantine", stream=stream)
    text = stream.getvalue()
    assert text.startswith("safepip: moved six")
    assert not DANGEROUS.search(text.replace("\n", ""))
    assert "\\x1b]0;pwned\\x07" in text


def test_printable_keeps_text_and_marks_what_a_terminal_would_act_on():
    assert printable("naïve 日本 tab\there") == "naïve 日本 tab\there"
    assert printable("a\x1b[31mb") == "a\\x1b[31mb"
    assert printable("\x9b\u202e") == "\\x9b\\u202e"
    assert printable("line\nnext", keep_newlines=True) == "line\nnext"
    assert printable("line\nnext") == "line\\x0anext"


def test_a_100k_character_line_and_a_huge_one_keep_memory_flat(tmp_path):
    # A report after a 100k-character line and a 20 MB line is still found, and reading does not
    # hold either line whole.
    log = tmp_path / "ci.log"
    with open(log, "w", encoding="utf-8") as handle:
        handle.write("x" * 100_000 + "\n")
        for _ in range(20):
            handle.write("y" * 1_000_000)
        handle.write("\n")
        handle.write(report("https://files.example.org/six-1.16.0-py2.py3-none-any.whl"))
    tracemalloc.start()
    try:
        out = io.StringIO()
        code = diagnose.main([str(log)], Settings(), stdout=out)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 0 and "six 1.16.0" in out.getvalue()
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while reading a 20 MB line"
