"""What happens to pip's output on its way to a reader, as parameterised transformations.

Each kind was seen in real pastes (tests/data/pasted/NOTES.md names them D01 to D21 and the files that
show them). Every function maps the text as a terminal showed it (see `rendered`) to damaged text;
the property tests apply them, alone and together, to every captured pip output and demand the same
records. `--` comments name the kind.
"""

from __future__ import annotations

import html
import re

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
HEAD_WORDS = "THESE PACKAGES DO NOT MATCH"


def rendered(text: str) -> str:
    """What a terminal shows of raw output, which is what a person copies: no escape sequences,
    only the last redraw of a line rewritten with carriage returns, lines ending in \\n."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        lines.append(_ESCAPES.sub("", line.rstrip("\r").rsplit("\r", 1)[-1]))
    return "\n".join(lines)


def _lines(text: str) -> list[str]:
    return text.split("\n")


# -- layout lost (rendered HTML, text copied from a web page) ----------------------------------------


def strip_indent(text: str, keep: int | None = None) -> str:
    """D01 (every line) / D02 (all but line number `keep`): leading spaces gone."""
    return "\n".join(line if i == keep else line.lstrip(" \t") for i, line in enumerate(_lines(text)))


def collapse_spaces(text: str) -> str:
    """D03: every run of spaces becomes one (HTML whitespace collapsing)."""
    return "\n".join(re.sub(" {2,}", " ", line) for line in _lines(text))


def drop_blank_lines(text: str) -> str:
    """D04."""
    return "\n".join(line for line in _lines(text) if line.strip())


def extra_indent(text: str, n: int) -> str:
    """D05: every line, blank ones too, indented by n more spaces."""
    return "\n".join(" " * n + line for line in _lines(text))


# -- the terminal ----------------------------------------------------------------------------------


def hard_wrap(text: str, width: int, pad: bool = False) -> str:
    """D06 / D07: lines cut every `width` characters; with `pad`, the last piece of a wrapped line
    is padded with spaces to the width, as some terminals copy it."""
    out = []
    for line in _lines(text):
        pieces = [line[i : i + width] for i in range(0, len(line), width)] or [""]
        if pad and len(pieces) > 1:
            pieces[-1] = pieces[-1].ljust(width)
        out.extend(pieces)
    return "\n".join(out)


def space_gaps(text: str, width: int, gap: int) -> str:
    """D08: a terminal's wrap pasted into a wider window: `gap` spaces every `width` characters."""
    out = []
    for line in _lines(text):
        pieces = [line[i : i + width] for i in range(0, len(line), width)] or [""]
        out.append((" " * gap).join(pieces))
    return "\n".join(out)


def left_cut(text: str, n: int) -> str:
    """D09: a window that lost the first n columns of every line."""
    return "\n".join(line[n:] for line in _lines(text))


# -- relays ----------------------------------------------------------------------------------------


def buildkit(text: str, step: int = 12, start: float = 98.5, seconds_only: bool = False) -> str:
    """D10a: ``#12 98.65 `` (plain progress) or ``98.65 `` (buildx error summary) on every line; the
    seconds tick on, so the prefix changes from line to line."""
    out = []
    for i, line in enumerate(_lines(text)):
        seconds = f"{start + i * 0.37:.2f}"
        out.append((f"{seconds} " if seconds_only else f"#{step} {seconds} ") + line)
    return "\n".join(out)


def ci_timestamps(text: str) -> str:
    """D10b: a CI log's timestamp on every line."""
    return "\n".join(f"2025-03-05T00:39:{i % 60:02d}.{i:07d}Z {line}" for i, line in enumerate(_lines(text)))


def gitlab(text: str, split_at: int = 0) -> str:
    """D10b, GitLab (runner 17+, the default from 18.7): a timestamp, the stream and a flag on every
    line. A line the runner received in pieces goes on in a line flagged ``+`` (with `split_at`,
    every line longer than that is cut there)."""
    out = []
    for i, line in enumerate(_lines(text)):
        stamp = f"2025-12-18T10:11:{i % 60:02d}.{i:06d}Z 01O"
        pieces = [line[:split_at], line[split_at:]] if split_at and len(line) > split_at else [line]
        out.append(f"{stamp} {pieces[0]}")
        out.extend(f"{stamp}+{piece}" for piece in pieces[1:])
    return "\n".join(out)


def buildkite_times(text: str) -> str:
    """D10b, Buildkite's agent: each line starts with an APC escape holding its time."""
    return "\n".join(f"\x1b_bk;t={1698765432000 + i}\x07{line}" for i, line in enumerate(_lines(text)))


def jenkins(text: str) -> str:
    """D10b, Jenkins' timestamper plugin."""
    return "\n".join(f"[10:11:{i % 60:02d}] {line}" for i, line in enumerate(_lines(text)))


def pipenv(text: str) -> str:
    """D10c: pipenv re-raising pip's output."""
    return "\n".join("[pipenv.exceptions.InstallError]: " + line for line in _lines(text))


def logger_on_head(text: str) -> str:
    """D10d: a logger's prefix on the head's line only (the lines pip printed after it are bare)."""
    prefix = (
        "2019-07-19 15:38:03 ERROR (SyncWorker_4) [homeassistant.util.package] Unable to install package x: "
    )
    return "\n".join(prefix + line if HEAD_WORDS in line else line for line in _lines(text))


def viewer_gutter(text: str) -> str:
    """D10e: a CI log viewer (Buildkite): a ``--`` line after the head, then every line in a gutter,
    its indentation lost."""
    out: list[str] = []
    seen_head = False
    for line in _lines(text):
        if seen_head:
            out.append("  | " + line.lstrip() if line.strip() else line)
        else:
            out.append(line)
            if HEAD_WORDS in line:
                seen_head = True
                out.append("--")
    return "\n".join(out)


# -- the paste -------------------------------------------------------------------------------------


def markdown_quote(text: str) -> str:
    """D11."""
    return "\n".join("> " + line if line else ">" for line in _lines(text))


def backticks(text: str) -> str:
    """D12: the whole paste in single backticks, touching its first and last characters."""
    return "`" + text.strip("\n") + "`"


def viewer_links(text: str) -> str:
    """D18: GitHub's log viewer turns digit runs into links, and a copy keeps the Markdown."""
    link = "](https://github.com/o/r/actions/runs/13781981420/job/38541714596#step:6:57)"
    return re.sub(r"(?<=sha2)(56)|(?<=/)(\d\d)(?=/)", lambda m: "[" + m.group(0) + link, text)


def join_lines(text: str) -> str:
    """D19: a chat client's paragraph: every line stripped and joined with a space."""
    return " ".join(line.strip() for line in _lines(text) if line.strip())


def double_space(text: str) -> str:
    """D20: a blank line after every line."""
    return "\n\n".join(_lines(text))


def html_escape(text: str) -> str:
    """D21: escaped once on its way (a web page's source)."""
    return html.escape(text, quote=False)
