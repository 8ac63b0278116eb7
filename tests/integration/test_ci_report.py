"""Reports for CI and the history log, from real recoveries and refusals of the real pip.

The JSON report is validated field by field against the format of docs/run-report.md; the GitHub
Actions job summary is written to a temporary GITHUB_STEP_SUMMARY; the annotation is read from
safepip's stderr (the runner reads workflow commands from both streams; stdout stays pip's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.support.wheels import pinned_requirements, sha256_file

from safepip.errors import ExitCode
from safepip.records import Outcome, Rung

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
RUNGS = {rung.value for rung in Rung}
OUTCOMES = {outcome.value for outcome in Outcome}


def validate(report: dict[str, Any]) -> None:
    """Every field of a run report has the type docs/run-report.md gives it."""
    assert report["schema"] == "safepip-run/1"
    assert isinstance(report["safepip_version"], str)
    for key in ("started", "finished"):
        assert report[key].endswith("Z") and "T" in report[key]
    assert isinstance(report["duration"], float) and report["duration"] >= 0
    assert isinstance(report["cwd"], str)
    assert all(isinstance(a, str) for a in report["command"])
    assert set(report["target"]) == {"python", "reason"}
    verdict = report["verdict"]
    assert set(verdict) == {"outcome", "exit_code", "detail", "fixed_by", "evidence"}
    assert verdict["outcome"] in OUTCOMES and isinstance(verdict["exit_code"], int)
    assert verdict["fixed_by"] is None or verdict["fixed_by"] in RUNGS
    assert isinstance(report["mismatch_seen"], bool)
    for item in report["files"]:
        assert set(item) == {"name", "version", "filename", "cause"}
    assert report["attempts"], "a watched run has at least one attempt"
    for number, attempt in enumerate(report["attempts"], 1):
        assert attempt["number"] == number and attempt["rung"] in RUNGS
        assert attempt["argv"][1:3] == ["-m", "pip"]  # as people re-run it (pip/launch.py, shown)
        assert isinstance(attempt["exit_code"], int) and isinstance(attempt["duration"], float)
        for key in ("interrupted", "cache_bypassed", "in_fresh_venv", "into_fresh_venv"):
            assert isinstance(attempt[key], bool)
        for mismatch in attempt["mismatches"]:
            assert {"name", "version", "url", "expected", "got", "algorithm", "cause"} <= set(mismatch)
    assert isinstance(report["notes"], list)
    assert report["fresh_virtualenv"] is None or isinstance(report["fresh_virtualenv"], str)


def history_log(env: dict[str, str]) -> Path:
    return Path(env["XDG_STATE_HOME"]) / "safepip" / "log" / "history.jsonl"


@pytest.fixture
def ci_env(safepip_env, tmp_path) -> dict[str, str]:
    """Inside a GitHub Actions job (isolated_env strips GITHUB_*: set here on purpose)."""
    return {**safepip_env, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md")}


def test_a_recovery_in_github_actions(tmp_path, target_venv, ci_env, safepip, index, wheels):
    index.set_fault(ALPHA, "corrupt_once")
    report_path = tmp_path / "reports" / "safepip.json"
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("install", "--safepip-report", report_path, *index.pip_args(), "-r", req, env=ci_env)
    assert result.returncode == 0, result.stderr

    report = json.loads(report_path.read_text())
    validate(report)
    assert report["verdict"]["outcome"] == "recovered"
    assert report["verdict"]["fixed_by"] in {"evict-and-retry", "retry"}
    assert report["command"] == ["install", *index.pip_args(), "-r", str(req)]
    first = report["attempts"][0]
    assert first["exit_code"] == 1 and [m["name"] for m in first["mismatches"]] == ["alpha"]
    assert first["mismatches"][0]["cause"] == "corrupted-download"
    assert report["attempts"][-1]["exit_code"] == 0 and len(report["attempts"]) == 2
    assert report["target"]["python"] == str(target_venv)

    summary = Path(ci_env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("### safepip: recovered from a hash mismatch\n")
    assert "| alpha 1.0 (`alpha-1.0-py3-none-any.whl`) | the download was damaged in transit |" in summary
    assert "| 1 | pip | 1 |" in summary
    # The warning annotation, on stderr; pip's stdout carries none of safepip's lines.
    warnings = [line for line in result.stderr.splitlines() if line.startswith("::warning ")]
    assert len(warnings) == 1 and "title=safepip recovered from a hash mismatch::alpha 1.0" in warnings[0]
    assert "::" not in result.stdout and "safepip:" not in result.stdout

    # The recovery is in the history log, and `--safepip-history` shows it.
    logged = [json.loads(line) for line in history_log(ci_env).read_text().splitlines()]
    assert [r["verdict"]["outcome"] for r in logged] == ["recovered"]
    shown = safepip("--safepip-history", env=ci_env)
    assert shown.returncode == 0
    header, row = shown.stdout.splitlines()[:2]
    assert header.split()[:2] == ["WHEN", "OUTCOME"]
    assert "recovered" in row and report["verdict"]["fixed_by"] in row and "alpha 1.0 (download)" in row
    as_json = json.loads(safepip("--safepip-history", "--json", env=ci_env).stdout)
    assert as_json == logged


def test_a_refusal_in_github_actions(tmp_path, target_venv, ci_env, safepip, index, wheels):
    report_path = tmp_path / "report.json"
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, pins={ALPHA: "0" * 64})
    env = {**ci_env, "SAFEPIP_REPORT": str(report_path)}
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == ExitCode.STALE_PIN

    report = json.loads(report_path.read_text())
    validate(report)
    assert report["verdict"]["outcome"] == "stale-pin" and report["verdict"]["exit_code"] == 20
    (evidence,) = report["verdict"]["evidence"]
    assert evidence["expected"] == ["0" * 64] and evidence["got"] == sha256_file(wheels / ALPHA)

    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("### safepip: refused: the requirements pin a hash the index does not publish")
    assert f"- pinned: `sha256 {'0' * 64}`" in summary
    errors = [line for line in result.stderr.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1 and "exit code 20" in errors[0].lower()
    assert [json.loads(x)["verdict"]["outcome"] for x in history_log(env).read_text().splitlines()] == [
        "stale-pin"
    ]


def test_a_clean_run_gets_a_report_but_no_history_summary_or_annotation(
    tmp_path, target_venv, ci_env, safepip, index, wheels
):
    report_path = tmp_path / "report.json"
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("--safepip-report", report_path, "install", *index.pip_args(), "-r", req, env=ci_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    validate(report)
    assert report["verdict"]["outcome"] == "ok" and report["mismatch_seen"] is False
    assert len(report["attempts"]) == 1 and report["attempts"][0]["mismatches"] == []
    assert not history_log(ci_env).exists()
    assert not Path(ci_env["GITHUB_STEP_SUMMARY"]).exists()
    assert "::" not in result.stderr


def test_commands_safepip_only_passes_on_write_nothing(tmp_path, target_venv, ci_env, safepip):
    report_path = tmp_path / "report.json"
    result = safepip("--safepip-report", report_path, "list", env=ci_env)
    assert result.returncode == 0
    assert not report_path.exists() and not history_log(ci_env).exists()


def test_history_and_github_can_be_switched_off(tmp_path, target_venv, ci_env, safepip, index, wheels):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, pins={ALPHA: "0" * 64})
    env = {**ci_env, "SAFEPIP_GITHUB": "off"}
    result = safepip("--safepip-no-history", "install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == ExitCode.STALE_PIN
    assert not history_log(env).exists()
    assert not Path(env["GITHUB_STEP_SUMMARY"]).exists()
    assert "::error" not in result.stderr


def test_a_report_that_cannot_be_written_does_not_change_the_exit_code(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("--safepip-report", tmp_path, "install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0
    assert f"safepip: warning: cannot write the run report to {tmp_path}: " in result.stderr
