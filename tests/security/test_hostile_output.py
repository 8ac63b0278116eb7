"""Hostile text from a mirror or a package's metadata, in what safepip renders: GitHub's job summary
(Markdown), the history table (a terminal), the run record (credentials).

A mirror chooses file names and URLs, and a package's metadata chooses the requirement lines pip
prints for its dependencies (``gamma===<anything without spaces>``). None of it may turn into
Markdown that GitHub renders as a link or an image (a request to a server of the mirror's choosing
whenever someone opens the summary), into terminal control codes, or carry a credential out.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from tests.support.runrecords import COMMAND, PIN, attempt

from safepip.commands import history as history_command
from safepip.config.settings import Settings
from safepip.errors import ExitCode
from safepip.output import github, historylog, runrecord
from safepip.records import Mismatch, Outcome, Rung, RunResult, Verdict

pytestmark = pytest.mark.security

IMAGE = "![x](https://tracker.example.org/p.png)"
LINK = "[click](https://evil.example.org/)"
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"


def hostile_result() -> RunResult:
    hostile = Mismatch(
        name="gamma",
        version=f"{ESCAPES}{IMAGE}",
        url=f"https://files.example.org/gamma-1.0-py3.{IMAGE}`{LINK}`-none-any.whl",
        expected=(PIN,),
        got="b" * 64,
        algorithm="sha256",
        from_cache=False,
        published_hash="b" * 64,
        published_algorithm="sha256",
        requirement=f"gamma==={IMAGE}``{LINK}",
        comes_from=f"alpha==1.0->-r requirements.txt (line 1) {LINK}",
    )
    history = (attempt(Rung.PIP, 1, 1.0, hostile),)
    verdict = Verdict(Outcome.STALE_PIN, ExitCode.STALE_PIN, (hostile,))
    command = (*COMMAND, "--extra-index-url", f"https://u:s3cret@idx.example.org/{IMAGE}")
    return RunResult(command, "/env/bin/python", "VIRTUAL_ENV", history, verdict, 1.0, 1_700_000_000.0)


def outside_code_spans(markdown: str) -> str:
    """The text of `markdown` that is not inside a code span (CommonMark: a run of n backticks
    opens one, the next run of exactly n closes it)."""
    out, i = [], 0
    while i < len(markdown):
        if markdown[i] != "`":
            out.append(markdown[i])
            i += 1
            continue
        run = re.match(r"`+", markdown[i:]).group(0)  # type: ignore[union-attr]
        closing = re.compile(rf"(?<!`){run}(?!`)")
        found = closing.search(markdown, i + len(run))
        if found is None:
            out.append(run)
            i += len(run)
        else:
            i = found.end()
    return "".join(out)


def test_the_job_summary_renders_no_link_or_image_a_mirror_chose():
    summary = github.summary(runrecord.build(hostile_result()))
    assert IMAGE in summary, "the hostile text is not shown at all: the test proves nothing"
    prose = outside_code_spans(summary)
    assert "](" not in prose.replace("\\](", "").replace("\\(", ""), prose
    assert not re.search(r"(?<!\\)!(?<!\\)\[", prose), prose
    assert "<" not in prose.replace("\\<", "")
    # Each table row is still one row of two cells.
    rows = [line for line in summary.splitlines() if line.startswith("| gamma")]
    assert len(rows) == 1 and len(re.findall(r"(?<!\\)\|", rows[0])) == 3, rows


def test_the_record_and_the_summary_hold_no_credential():
    record = runrecord.build(hostile_result())
    assert "s3cret" not in json.dumps(record) and "u:****@idx.example.org" in json.dumps(record)
    assert "s3cret" not in github.summary(record) and "s3cret" not in github.annotation(record)


def test_the_history_table_shows_control_codes_as_escapes_and_masks_old_records(tmp_path):
    log = tmp_path / "history.jsonl"
    record = runrecord.build(hostile_result())
    # An older safepip kept the command line unmasked: it is shown masked all the same.
    record["command"] = ["install", "--proxy", "bob:hunter2@p.example.org:1"]
    historylog.append(log, record)
    table = history_command.table([record])
    assert "\x1b" not in table and "\x07" not in table and "\\x1b" in table
    out = io.StringIO()
    assert history_command.main([], Settings(history_file=log), stdout=out) == 0
    assert "hunter2" not in out.getvalue() and "bob:****@p.example.org:1" in out.getvalue()
    assert "\x1b" not in out.getvalue()
    out = io.StringIO()
    assert history_command.main(["--json"], Settings(history_file=log), stdout=out) == 0
    assert "hunter2" not in out.getvalue()
