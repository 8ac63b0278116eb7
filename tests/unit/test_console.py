"""say(): verbosity levels from pip's -q/-v, colour decided by NO_COLOR, FORCE_COLOR and the terminal."""

from __future__ import annotations

import io

import pytest

from safepip.output import console as messages
from safepip.output.console import Level, say, wants_color


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _reset():
    messages.reset()
    yield
    messages.reset()


def shown_at(verbosity: int) -> list[str]:
    messages.configure(verbosity=verbosity, env={})
    out = io.StringIO()
    for level in Level:
        say(level.name.lower(), stream=out, level=level)
    return [line.split(" ", 1)[1] for line in out.getvalue().splitlines()]


def test_levels_follow_pips_verbosity():
    assert shown_at(1) == ["detail", "info", "success", "warning", "error", "notice"]
    assert shown_at(0) == ["info", "success", "warning", "error", "notice"]
    assert shown_at(-1) == ["success", "warning", "error", "notice"]
    # Where packages went, when it is not where the user asked, shows like a refusal: always.
    assert shown_at(-2) == ["error", "notice"]
    assert shown_at(-5) == ["error", "notice"]


def test_every_line_keeps_the_prefix_and_plain_text_stays_plain():
    out = io.StringIO()
    say("refusing: x\n  file: y\n", stream=out, level=Level.ERROR)
    assert out.getvalue() == "safepip: refusing: x\nsafepip:   file: y\n"


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: only a non-empty value counts
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),  # NO_COLOR wins
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_decision(env, tty, expected, monkeypatch):
    monkeypatch.setattr(messages.os, "name", "posix")
    stream = Terminal() if tty else io.StringIO()
    assert wants_color(stream, env) is expected


def test_coloured_lines_on_a_terminal():
    out = Terminal()
    say("recovered: alpha", stream=out, level=Level.SUCCESS)
    assert out.getvalue() == "\x1b[1msafepip:\x1b[0m \x1b[32mrecovered: alpha\x1b[0m\n"


def test_pips_no_color_switches_safepips_colour_off(monkeypatch):
    monkeypatch.setattr(messages.sys, "stderr", Terminal())
    messages.configure(no_color=True, env={"FORCE_COLOR": "1"})
    say("hash mismatch")
    assert messages.sys.stderr.getvalue() == "safepip: hash mismatch\n"
