"""Ctrl-C and SIGTERM, sent to real safepip processes at known moments: prompt, no retry, no leftovers.

Ctrl-C is sent as a terminal sends it, to the whole process group (safepip and pip); SIGTERM to
safepip alone, as ``kill`` or a CI runner does. Each moment is reached by observable state, never
by a sleep: the index holding a download halfway (pip is mid-download), or safepip's trace saying
it has begun an eviction (while the test holds the cache lock) or a fresh virtualenv.

safepip then exits with 128 + the signal's number (130, 143), runs pip no more, leaves nothing of
its own in TMPDIR and no virtualenv it began.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from tests.support.envs import installed, run
from tests.support.index import corrupted
from tests.support.invariants import by_invocation, read_trace
from tests.support.procs import finish, running, start, traced, wait_until
from tests.support.wheels import pinned_requirements

from safepip.recovery import eviction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups"),
]

ALPHA = "alpha-1.0-py3-none-any.whl"

#: (signal, sent to the whole process group as a terminal does?, the exit code safepip must give)
SIGNALS = {
    "ctrl-c": (signal.SIGINT, True, 130),
    "sigterm": (signal.SIGTERM, False, 143),
}


def send(proc, how: str) -> None:
    signum, to_group, _code = SIGNALS[how]
    if to_group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)


@pytest.fixture
def tmpdir_env(safepip_env, tmp_path) -> dict[str, str]:
    """safepip_env with TMPDIR in a folder of the test's, to see what is left behind in it."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    return {**safepip_env, "TMPDIR": str(tmp)}


def leftovers(env: dict[str, str]) -> list[str]:
    return sorted(p.name for p in Path(env["TMPDIR"]).iterdir())


def pip_runs(env: dict[str, str], pid: int) -> int:
    return len(traced(Path(env["SAFEPIP_TRACE"]), "pip", pid))


@pytest.mark.parametrize("how", SIGNALS)
def test_a_signal_during_a_download_stops_at_once_without_retrying(
    how, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels
):
    index.set_fault(ALPHA, "hold")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    with running([start([*safepip_argv, "install", *index.pip_args(), "-r", req], tmpdir_env)]) as (proc,):
        index.wait_held(1)
        send(proc, how)
        # The download stays held: safepip must not wait for it, nor start another.
        code, _out, err = finish(proc)
    assert code == SIGNALS[how][2], err
    assert index.downloads(ALPHA) == 1
    assert pip_runs(tmpdir_env, proc.pid) == 1
    assert "alpha" not in installed(target_venv, tmpdir_env)
    assert "Traceback" not in err
    # Neither safepip's scratch folder nor pip's own temporary folders (pip is interrupted, not
    # killed, even when safepip got SIGTERM) are left.
    assert leftovers(tmpdir_env) == []


@pytest.mark.parametrize("how", SIGNALS)
def test_a_signal_while_pip_runs_in_the_fresh_virtualenv_removes_it(
    how, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels
):
    # Three different wrong downloads climb to the last rung; its download is held halfway.
    index.set_faults(ALPHA, ["corrupt_random", "corrupt_random", "corrupt_random", "hold"])
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    with running([start([*safepip_argv, "install", *index.pip_args(), "-r", req], tmpdir_env)]) as (proc,):
        index.wait_held(1)
        venvs = Path(tmpdir_env["SAFEPIP_VENV_DIR"])
        assert len(list(venvs.iterdir())) == 1  # the fresh virtualenv exists, pip runs in it
        send(proc, how)
        code, _out, err = finish(proc)
    assert code == SIGNALS[how][2], err
    assert index.downloads(ALPHA) == 4
    assert pip_runs(tmpdir_env, proc.pid) == 4
    assert list(venvs.iterdir()) == [], "the fresh virtualenv was left behind"
    assert leftovers(tmpdir_env) == []


@pytest.mark.parametrize("how", SIGNALS)
def test_a_signal_while_the_fresh_virtualenv_is_being_made_removes_it(
    how, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels
):
    index.set_fault(ALPHA, "corrupt_random")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    trace = Path(tmpdir_env["SAFEPIP_TRACE"])
    with running([start([*safepip_argv, "install", *index.pip_args(), "-r", req], tmpdir_env)]) as (proc,):
        # safepip records the location just before virtualenv starts creating it.
        wait_until(lambda: traced(trace, "fresh-venv", proc.pid), what="the fresh virtualenv to begin")
        send(proc, how)
        code, _out, err = finish(proc)
    assert code == SIGNALS[how][2], err
    assert "Traceback" not in err
    location = Path(traced(trace, "fresh-venv", proc.pid)[0]["location"])
    assert not location.exists(), "a half-made virtualenv was left behind"
    assert pip_runs(tmpdir_env, proc.pid) <= 4
    assert leftovers(tmpdir_env) == []


@pytest.mark.parametrize("how", SIGNALS)
def test_a_signal_while_safepip_waits_for_the_cache_lock(
    how, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels, monkeypatch
):
    # Between pip runs only safepip itself is running: SIGTERM must unwind it like Ctrl-C does.
    cache = Path(tmpdir_env["PIP_CACHE_DIR"])
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    warm = run([target_venv, "-m", "pip", "download", "-d", tmp_path / "dl", *index.pip_args(), "-r", req],
               env=tmpdir_env)  # fmt: skip
    assert warm.returncode == 0, warm.stderr
    (body,) = cache.rglob("*.body")
    bad = corrupted(body.read_bytes())  # same length: pip would take a short body for a cut download
    body.write_bytes(bad)
    monkeypatch.setenv("XDG_CACHE_HOME", tmpdir_env["XDG_CACHE_HOME"])
    trace = Path(tmpdir_env["SAFEPIP_TRACE"])
    command = [*safepip_argv, "install", *index.pip_args(), "-r", req]
    with eviction.cache_lock(cache), running([start(command, tmpdir_env)]) as (proc,):
        wait_until(lambda: traced(trace, "evict", proc.pid), what="safepip to start evicting")
        send(proc, how)
        code, _out, err = finish(proc)
    assert code == SIGNALS[how][2], err
    assert "Traceback" not in err
    assert pip_runs(tmpdir_env, proc.pid) == 1
    assert body.read_bytes() == bad, "evicted although the lock was never obtained"
    assert leftovers(tmpdir_env) == []


def test_every_interrupted_run_is_traced_once(tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels):
    # The trace the other tests rely on tells the runs of one process apart, and marks the interrupt.
    index.set_fault(ALPHA, "hold")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    with running([start([*safepip_argv, "install", *index.pip_args(), "-r", req], tmpdir_env)]) as (proc,):
        index.wait_held(1)
        os.killpg(proc.pid, signal.SIGINT)
        finish(proc)
    (records,) = by_invocation(read_trace(Path(tmpdir_env["SAFEPIP_TRACE"]))).values()
    exits = [r for r in records if r["kind"] == "pip-exit"]
    assert [r["interrupted_by"] for r in exits] == [int(signal.SIGINT)]
