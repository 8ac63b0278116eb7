"""The run record and what reads it: GitHub Actions' summary and annotation, the history log."""

from __future__ import annotations

import io
import json

from tests.support.runrecords import BAD, PIN, URL, record

from safepip.commands import history as history_command
from safepip.config.settings import Settings
from safepip.output import github, historylog


def test_the_record_of_a_recovery():
    data = record("recovered")
    assert data["schema"] == "safepip-run/1"
    assert data["verdict"] == {
        "outcome": "recovered",
        "exit_code": 0,
        "detail": "",
        "fixed_by": "evict-and-retry",
        "evidence": [],
    }
    assert data["mismatch_seen"] is True
    assert data["files"] == [
        {
            "name": "alpha",
            "version": "1.0",
            "filename": "alpha-1.0-py3-none-any.whl",
            "cause": "corrupted-cache-entry",
            "found_by": "pip",
        }
    ]
    first, second = data["attempts"]
    assert first["rung"] == "pip" and first["exit_code"] == 1 and first["duration"] == 1.25
    assert first["mismatches"][0]["got"] == BAD and first["mismatches"][0]["cause"] == "corrupted-cache-entry"
    assert second["mismatches"] == [] and second["cache_bypassed"] is True
    assert data["command"] == ["install", "--require-hashes", "-r", "requirements.txt"]
    json.dumps(data)  # plain JSON all the way down


def test_a_clean_run_saw_no_mismatch():
    data = record("ok")
    assert data["mismatch_seen"] is False and data["files"] == [] and data["verdict"]["fixed_by"] is None


def test_annotation_of_a_recovery_is_a_warning():
    line = github.annotation(record("recovered"))
    assert line.startswith("::warning title=safepip recovered from a hash mismatch::")
    assert (
        "alpha 1.0: the copy in pip's cache is corrupted. Fixed by evict-and-retry after 2 pip runs" in line
    )
    assert "\n" not in line


def test_annotation_of_a_refusal_is_an_error_with_escaped_title():
    line = github.annotation(record("stale-pin"))
    title = line.split("::")[1]
    assert title.startswith("error title=safepip refused%3A the requirements pin")
    assert "," not in title.split("title=", 1)[1]


def test_workflow_command_escaping():
    assert github.escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert github.escape_property("a:b,c") == "a%3Ab%2Cc"


def test_summary_markdown():
    text = github.summary(record("recovered"))
    assert text.startswith("### safepip: recovered from a hash mismatch\n")
    assert "`pip install --require-hashes -r requirements.txt` succeeded after 2 pip runs" in text
    assert "| alpha 1.0 (`alpha-1.0-py3-none-any.whl`) | the copy in pip's cache is corrupted |" in text
    assert "| 1 | pip | 1 | 1.2 s | 1 |" in text and "| 2 | evict-and-retry | 0 | 0.5 s | 0 |" in text
    refused = github.summary(record("stale-pin"))
    assert f"- pinned: `sha256 {PIN}`" in refused and f"- index publishes: `sha256 {BAD}`" in refused
    assert f"- url: `{URL}#sha256={BAD}`" in refused


def test_enabled_only_under_github_actions_unless_forced():
    assert github.enabled("auto", {"GITHUB_ACTIONS": "true"})
    assert not github.enabled("auto", {})
    assert not github.enabled("off", {"GITHUB_ACTIONS": "true"})
    assert github.enabled("on", {})


def test_publish_appends_to_the_summary_and_annotates_stderr(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    err = io.StringIO()
    github.publish(record("recovered"), {"GITHUB_STEP_SUMMARY": str(summary)}, stream=err)
    assert summary.read_text().startswith("earlier step\n### safepip: recovered")
    assert err.getvalue().startswith("::warning title=")


def test_history_appends_reads_and_skips_damaged_lines(tmp_path):
    log = tmp_path / "log" / "history.jsonl"
    historylog.append(log, record("recovered"))
    with open(log, "a") as handle:
        handle.write('{"cut short\n')
    historylog.append(log, record("stale-pin"))
    outcomes = [r["verdict"]["outcome"] for r in historylog.read(log)]
    assert outcomes == ["recovered", "stale-pin"]
    assert historylog.read(tmp_path / "missing.jsonl") == []


def test_history_drops_its_oldest_half_past_the_limit(tmp_path, monkeypatch):
    log = tmp_path / "history.jsonl"
    one = record("recovered")
    monkeypatch.setattr(historylog, "MAX_BYTES", 10 * len(json.dumps(one, separators=(",", ":"))))
    for number in range(25):
        historylog.append(log, {**one, "cwd": f"/run/{number}"})
    kept = [r["cwd"] for r in historylog.read(log)]
    assert kept[-1] == "/run/24" and len(kept) <= 11
    assert kept == [f"/run/{n}" for n in range(25 - len(kept), 25)]


def test_history_table():
    text = history_command.table([record("recovered"), record("stale-pin")])
    header, first, second = text.splitlines()
    assert header.split() == ["WHEN", "OUTCOME", "FIXED", "BY", "RUNS", "FILES", "COMMAND"]
    assert "recovered" in first and "evict-and-retry" in first and "alpha 1.0 (cache)" in first
    assert "refused: stale pin" in second and "- (exit 20)" in second and "alpha 1.0 (stale pin)" in second
    assert first.rstrip().endswith("install --require-hashes -r requirements.txt")


def test_history_command(tmp_path):
    log = tmp_path / "history.jsonl"
    settings = Settings(history_file=log)
    out = io.StringIO()
    assert history_command.main([], settings, stdout=out) == 0
    assert out.getvalue() == f"No recoveries or refusals logged yet (history log: {log}).\n"
    for _ in range(3):
        historylog.append(log, record("recovered"))
    out = io.StringIO()
    history_command.main(["--json", "--limit", "2"], settings, stdout=out)
    assert len(json.loads(out.getvalue())) == 2


def test_files_safepip_s_check_found_are_named_for_what_they_are():
    # pip reported alpha and stopped; safepip's check of the cache found beta cut short. Both are
    # named everywhere, and beta as safepip's finding, not as something pip said.
    data = record("recovered-found")
    assert [(f["name"], f["cause"], f["found_by"]) for f in data["files"]] == [
        ("alpha", "corrupted-cache-entry", "pip"),
        ("beta", "corrupted-cache-entry", "safepip"),
    ]
    evict = data["attempts"][1]
    assert evict["mismatches"] == []  # pip never reported beta
    assert evict["found_in_cache"][0]["problem"] == "cut-short"
    summary = github.summary(data)
    cell = "the copy in pip's cache is corrupted (found by safepip's check of the cache)"
    assert f"| beta 2.0 (`beta-2.0-py3-none-any.whl`) | {cell} |" in summary
    assert "beta 2.0: the copy in pip's cache is corrupted (found by safepip's check" in github.annotation(
        data
    )
    row = history_command.row(data)
    assert row["files"] == "alpha 1.0 (cache), beta 2.0 (cache, found by safepip)"
