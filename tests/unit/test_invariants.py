"""The checker that every scenario of the suite passes through (tests/support/invariants.py) catches
each way of breaking safepip's promises: fed traces of a safepip that misbehaves, it objects; fed
what safepip really does, it stays quiet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.invariants import check_deletions, check_invocation, snapshot

from safepip.pip import launch

PY = "/venv/bin/python"
GIVEN = ["install", "--require-hashes", "--index-url", "https://idx.example.org/simple", "-r", "req.txt"]
LOG = ["--log", "/tmp/safepip-abc123/pip-1.log"]


def trace(
    *runs: list[str], given: list[str] = GIVEN, recoverable: bool = True, **start: object
) -> list[dict]:
    records = [
        {"kind": "start", "given": given, "args": start.pop("args", given), "python": PY,
         "reason": start.pop("reason", "VIRTUAL_ENV"), "recoverable": recoverable},
    ]  # fmt: skip
    for argv in runs:
        records.append(
            {"kind": "pip", "argv": launch.pip_argv(PY, argv), "env": {"changed": [], "removed": []}}
        )
        records.append({"kind": "pip-exit", "code": 1, "interrupted_by": None})
    return records


def test_a_pip_that_could_import_from_the_current_folder_is_caught():
    # `python -m pip` puts the current folder first on sys.path: a pip.py there would run instead.
    records = trace(with_added(*LOG))
    records[1]["argv"] = [PY, "-m", "pip", *with_added(*LOG)]
    assert any("not a pip command line" in p for p in check_invocation(records))


def with_added(*extra: str) -> list[str]:
    return [GIVEN[0], *extra, *GIVEN[1:]]


def test_what_safepip_does_passes():
    records = trace(
        with_added(*LOG),
        with_added("--log", "/tmp/safepip-abc123/pip-2.log"),
        with_added("--log", "/tmp/safepip-abc123/pip-3.log", "--no-cache-dir"),
        with_added("--log", "/tmp/safepip-abc123/pip-4.log", "--no-cache-dir", "--no-binary", "alpha"),
    )
    assert check_invocation(records) == []


@pytest.mark.parametrize(
    ("run", "complaint"),
    [
        ([a for a in with_added(*LOG) if a != "--require-hashes"], "dropped ['--require-hashes']"),
        ([a for a in with_added(*LOG) if a not in ("-r", "req.txt")], "dropped"),
        (with_added(*LOG, "--trusted-host", "idx.example.org"), "added --trusted-host"),
        (with_added(*LOG, "--no-require-hashes"), "added --no-require-hashes"),
        (
            with_added(*LOG, "--extra-index-url", "https://other.example.org/simple"),
            "added --extra-index-url",
        ),
        (with_added(*LOG, "--index-url", "https://other.example.org/simple"), "added --index-url"),
        (with_added(*LOG, "--find-links", "/tmp/wheels"), "added --find-links"),
        (with_added(*LOG, "--no-binary", ":none:"), "--no-binary :none:"),
        (with_added("--log", "/home/user/pip.log"), "outside safepip's scratch folder"),
        (with_added(*LOG, "--pre"), "added --pre"),
        (with_added(*LOG, "--upgrade"), "'--upgrade'"),
    ],
)
def test_a_weaker_or_different_pip_command_line_is_caught(run, complaint):
    problems = check_invocation(trace(with_added(*LOG), run))
    assert problems and any(complaint in p for p in problems), problems


def test_changing_pips_environment_is_caught():
    records = trace(with_added(*LOG))
    records[1]["env"] = {"changed": ["PIP_TRUSTED_HOST"], "removed": ["PIP_REQUIRE_HASHES"]}
    assert any("changed pip's environment" in p for p in check_invocation(records))


def test_running_pip_again_after_an_interrupt_is_caught():
    records = trace(with_added(*LOG), with_added(*LOG))
    records[2]["interrupted_by"] = 2
    assert any("after an interrupt" in p for p in check_invocation(records))


def test_too_many_pip_runs_are_caught():
    assert any("pip runs" in p for p in check_invocation(trace(*[with_added(*LOG)] * 6)))


def test_a_pip_command_safepip_does_not_watch_must_run_exactly_as_given():
    given = ["list", "--format=json"]
    assert check_invocation(trace(given, given=given, recoverable=False)) == []
    changed = check_invocation(trace([*given, "--no-cache-dir"], given=given, recoverable=False))
    assert any("does not watch was changed" in p for p in changed)


def test_another_interpreter_than_the_target_or_a_fresh_virtualenv_is_caught():
    records = trace(with_added(*LOG))
    records[1]["argv"][0] = "/usr/bin/python3"
    assert any("neither the target" in p for p in check_invocation(records))
    fresh = trace(with_added(*LOG))
    fresh.insert(1, {"kind": "fresh-venv", "location": "/data/safepip/venvs/req-1"})
    fresh[2]["argv"][0] = "/data/safepip/venvs/req-1/bin/python"
    assert check_invocation(fresh) == []


def test_pips_own_python_option_stays_like_every_other():
    given = ["--python", "/other/bin/python", *GIVEN]
    assert check_invocation(trace(given[:2] + with_added(*LOG), given=given)) == []
    problems = check_invocation(trace(with_added(*LOG), given=given, args=GIVEN))
    assert any("changed before pip saw it" in p for p in problems)


def test_the_release_notice_may_be_turned_off_after_the_first_run_only():
    quiet = "--disable-pip-version-check"
    after = trace(with_added(*LOG), with_added("--log", "/tmp/safepip-abc123/pip-2.log", quiet))
    assert check_invocation(after) == []
    first = check_invocation(trace(with_added(*LOG, quiet)))
    assert any("added '--disable-pip-version-check'" in p for p in first)


def test_a_helper_that_installs_is_caught():
    records = trace(with_added(*LOG))
    records.append({"kind": "helper", "argv": launch.pip_argv(PY, ["--isolated", "install", "x"])})
    assert any("helper command ran pip install" in p for p in check_invocation(records))
    records[-1] = {"kind": "helper", "argv": launch.pip_argv(PY, ["cache", "dir"])}
    assert check_invocation(records) == []


# -- files ------------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "entry": tmp_path / "pip-cache" / "http-v2" / "a" / "abc.body",
        "other": tmp_path / "pip-cache" / "http-v2" / "b" / "def.body",
        "requirements": tmp_path / "requirements.txt",
        "own": tmp_path / "xdg-cache" / "safepip" / "runs" / "x.log",
        "installed": tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "alpha" / "__init__.py",
    }
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    return paths


def check(
    tmp_path: Path, remove: list[Path], manifest: list[Path] = (), recoverable: bool = True
) -> list[str]:
    before = snapshot(tmp_path)
    for path in remove:
        path.unlink()
    if manifest:
        folder = tmp_path / "xdg-cache" / "safepip" / "quarantine" / "q1"
        folder.mkdir(parents=True)
        (folder / "safepip-quarantine.json").write_text(json.dumps({"moved": [str(p) for p in manifest]}))
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg-cache")}
    records = [{"kind": "start", "args": ["install"], "recoverable": recoverable}]
    return check_deletions(before, snapshot(tmp_path), env, [tmp_path], records)


def test_a_cache_entry_named_in_a_manifest_may_go(tmp_path, tree):
    assert check(tmp_path, [tree["entry"]], manifest=[tree["entry"]]) == []


def test_a_cache_entry_no_manifest_names_is_caught(tmp_path, tree):
    problems = check(tmp_path, [tree["entry"], tree["other"]], manifest=[tree["entry"]])
    assert problems == [f"{tree['other']} disappeared, and no quarantine manifest names it"]


def test_a_users_file_is_caught(tmp_path, tree):
    assert check(tmp_path, [tree["requirements"]])


def test_safepips_own_files_and_what_pip_installs_are_theirs(tmp_path, tree):
    assert snapshot(tmp_path).isdisjoint({tree["installed"]})
    assert check(tmp_path, [tree["own"]]) == []


def test_commands_safepip_passes_on_are_pips_business(tmp_path, tree):
    assert check(tmp_path, [tree["other"]], recoverable=False) == []


# -- the fresh virtualenv's pip and "exit 0 means done where plain pip would have" ------------------

VENV = "/data/safepip/venvs/req-1"
FRESH = f"{VENV}/bin/python"


def fresh_run(argv: list[str], code: int = 0, exit_code: int = 0, kept: bool | None = None) -> list[dict]:
    """A trace whose second pip run is a fresh virtualenv's, ending with safepip's exit code."""
    records = trace(with_added(*LOG), argv)
    records.insert(3, {"kind": "fresh-venv", "location": VENV})
    records[4]["argv"][0] = FRESH
    records[5]["code"] = code
    if kept is not None:
        records.insert(4, {"kind": "fresh-venv-into-itself", "pip": "21.3.1"})
        records.append({"kind": "fresh-venv-kept", "location": VENV, "venv_ok": kept})
    records.append({"kind": "exit", "code": exit_code})
    return records


def test_the_fresh_pip_may_be_given_the_targets_python_and_nothing_else(monkeypatch):
    monkeypatch.setattr(Path, "is_dir", lambda self: False)  # the fresh virtualenv is gone
    assert check_invocation(fresh_run(["--python", PY, *with_added(*LOG)])) == []
    other = check_invocation(fresh_run(["--python", "/usr/bin/python3", *with_added(*LOG)]))
    assert any("added '--python'" in p for p in other), other
    twice = check_invocation(fresh_run(["--python", PY, "--python", PY, *with_added(*LOG)]))
    assert any("added '--python'" in p for p in twice), twice
    # Only a fresh virtualenv's pip: the target's own pip installs there already.
    records = trace(with_added(*LOG), ["--python", PY, *with_added(*LOG)])
    assert any("added '--python'" in p for p in check_invocation(records))


def test_exit_0_after_a_run_that_installed_elsewhere_is_caught(monkeypatch):
    monkeypatch.setattr(Path, "is_dir", lambda self: False)
    # The fresh pip without --python installs into its own environment: not done where asked.
    problems = check_invocation(fresh_run(with_added(*LOG), kept=False))
    assert any("installed into the fresh virtualenv" in p for p in problems), problems
    # ... and --python after the command name is ignored by pip, so it counts for nothing.
    late = [GIVEN[0], "--python", PY, *GIVEN[1:]]
    problems = check_invocation(fresh_run(late))
    assert problems, "a --python after the command name passed for installing into the target"


def test_exit_0_needs_a_last_pip_run_that_succeeded(monkeypatch):
    monkeypatch.setattr(Path, "is_dir", lambda self: False)
    problems = check_invocation(fresh_run(["--python", PY, *with_added(*LOG)], code=1))
    assert any("last pip run exited 1" in p for p in problems), problems


def test_a_fresh_venv_kept_means_exit_25_unless_opted_in(monkeypatch):
    monkeypatch.setattr(Path, "is_dir", lambda self: True)
    assert check_invocation(fresh_run(with_added(*LOG), kept=False, exit_code=25)) == []
    assert check_invocation(fresh_run(with_added(*LOG), kept=True, exit_code=0)) == []
    wrong = check_invocation(fresh_run(with_added(*LOG), kept=False, exit_code=0))
    assert any("exited 0" in p for p in wrong), wrong


def test_a_fresh_pip_too_old_for_python_may_write_where_the_command_says(monkeypatch):
    # download -d, wheel -w, --target through a fresh pip without --python: nothing went into its
    # environment (it is gone), the files went where the command said.
    monkeypatch.setattr(Path, "is_dir", lambda self: False)
    records = fresh_run(with_added(*LOG))
    records.insert(4, {"kind": "fresh-venv-into-itself", "pip": "21.3.1"})
    assert check_invocation(records) == []


def test_a_fresh_venv_left_without_anything_in_it_is_caught(monkeypatch):
    monkeypatch.setattr(Path, "is_dir", lambda self: True)
    problems = check_invocation(fresh_run(["--python", PY, *with_added(*LOG)]))
    assert any("left the fresh virtualenv" in p for p in problems), problems
