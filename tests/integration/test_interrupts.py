"""Ctrl-C, kill -INT and SIGTERM, sent to real safepip processes at known moments: prompt, no retry,
no leftovers, and no pip that outlives safepip.

Ctrl-C is typed into a real terminal (a pseudo-terminal safepip runs in), which sends SIGINT to the
whole foreground process group, safepip and pip; ``kill -INT`` and SIGTERM go to safepip alone, as
``kill`` or a CI runner sends them, and safepip must pass them on to pip at once. Each moment is
reached by observable state, never by a sleep: the index holding a download halfway (pip is
mid-download), safepip's trace saying it has begun an eviction (while the test holds the cache
lock) or a fresh virtualenv, or safepip's trace read as it is written (`TraceGate`), so the signal
arrives just as safepip starts the next pip run.

safepip then exits with 128 + the signal's number (130, 143), runs pip no more, leaves nothing of
its own or pip's in TMPDIR and no virtualenv it began, and no process of its job runs on.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest
from tests.support.envs import installed, run
from tests.support.index import corrupted
from tests.support.invariants import by_invocation, read_trace
from tests.support.procs import Terminal, TraceGate, finish, job_alive, running, start, traced, wait_until
from tests.support.wheels import pinned_requirements

from safepip.recovery import eviction

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups"),
]

ALPHA = "alpha-1.0-py3-none-any.whl"
#: Linux takes signals with sigtimedwait, whose siginfo tells a terminal's Ctrl-C from a kill.
TELLS_WHO_SENT = sys.platform.startswith("linux")

#: (signal, typed into the terminal?, the exit code safepip must give)
SIGNALS = {
    "ctrl-c": (signal.SIGINT, True, 130),
    "kill -INT": (signal.SIGINT, False, 130),
    "sigterm": (signal.SIGTERM, False, 143),
}


@contextlib.contextmanager
def job(
    argv: list, env: dict[str, str], how: str
) -> Iterator[tuple[subprocess.Popen[str], Callable[[], None], Callable[[], tuple[int, str]]]]:
    """safepip started as `how` needs it: (the process, send the signal, wait for its exit code and
    what it printed). For a Ctrl-C it runs in a terminal; otherwise in a job of its own."""
    signum, typed, _code = SIGNALS[how]
    if typed:
        terminal = Terminal()
        proc = terminal.start(argv, env)

        def ended() -> tuple[int, str]:
            code, _out, _err = finish(proc)
            return code, terminal.output()

        try:
            with running([proc]):
                yield proc, terminal.ctrl_c, ended
        finally:
            terminal.close()
        return
    proc = start(argv, env)

    def ended_plain() -> tuple[int, str]:
        code, _out, err = finish(proc)
        return code, err

    with running([proc]):
        yield proc, lambda: proc.send_signal(signum), ended_plain


@pytest.fixture
def tmpdir_env(safepip_env, tmp_path) -> dict[str, str]:
    """safepip_env with TMPDIR in a folder of the test's, to see what is left behind in it."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    return {**safepip_env, "TMPDIR": str(tmp)}


def leftovers(env: dict[str, str]) -> list[str]:
    return sorted(p.name for p in Path(env["TMPDIR"]).iterdir())


def folders_left(env: dict[str, str]) -> list[str]:
    """What safepip (its scratch folder) or pip (its pip-* temporary folders, which an interrupted
    pip removes and a terminated one leaves) left in TMPDIR.

    Not counted: the unnamed ``tmp*`` file in which pip's HTTP cache (cachecontrol) buffers a
    download as it streams, which pip itself may leave when an interrupt lands mid-download: a
    plain pip leaves it too.
    """
    return [name for name in leftovers(env) if name.startswith(("safepip-", "pip-"))]


def pip_was_not_terminated(env: dict[str, str], pid: int) -> None:
    """Every pip run ended by itself (an interrupted pip exits 1), never by SIGTERM after the grace."""
    exits = traced(Path(env["SAFEPIP_TRACE"]), "pip-exit", pid)
    assert all(r["code"] not in (143, 137) for r in exits), exits


def pip_runs(env: dict[str, str], pid: int) -> int:
    return len(traced(Path(env["SAFEPIP_TRACE"]), "pip", pid))


@pytest.mark.parametrize("how", SIGNALS)
def test_a_signal_during_a_download_stops_at_once_without_retrying(
    how, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels
):
    index.set_fault(ALPHA, "hold")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    with job([*safepip_argv, "install", *index.pip_args(), "-r", req], tmpdir_env, how) as (
        proc,
        send,
        ended,
    ):
        index.wait_held(1)
        send()
        # The download stays held: safepip must not wait for it, nor start another.
        code, err = ended()
        assert not job_alive(proc), "a process safepip started outlived it"
    assert code == SIGNALS[how][2], err
    assert index.downloads(ALPHA) == 1
    assert pip_runs(tmpdir_env, proc.pid) == 1
    assert "alpha" not in installed(target_venv, tmpdir_env)
    assert "Traceback" not in err
    # Neither safepip's scratch folder nor pip's own temporary folders are left: pip was
    # interrupted, at once and once, not terminated after a grace period, whatever safepip got.
    assert folders_left(tmpdir_env) == []
    pip_was_not_terminated(tmpdir_env, proc.pid)


@pytest.mark.skipif(not TELLS_WHO_SENT, reason="only Linux tells a terminal's Ctrl-C from a kill")
@pytest.mark.parametrize("how", SIGNALS)
def test_only_what_pip_did_not_receive_itself_is_passed_on(
    how, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels
):
    # A terminal's Ctrl-C reached pip as well: passing it on would interrupt pip's own cleanup. A
    # kill reached safepip alone: it is passed on at once.
    index.set_fault(ALPHA, "hold")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    with job([*safepip_argv, "install", *index.pip_args(), "-r", req], tmpdir_env, how) as (
        proc,
        send,
        ended,
    ):
        index.wait_held(1)
        send()
        ended()
    taken = traced(Path(tmpdir_env["SAFEPIP_TRACE"]), "signal", proc.pid)
    assert [(r["signum"], r["from_terminal"]) for r in taken] == [(SIGNALS[how][0], SIGNALS[how][1])]


@pytest.mark.parametrize("how", SIGNALS)
def test_a_signal_while_pip_runs_in_the_fresh_virtualenv_removes_it(
    how, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels
):
    # Three different wrong downloads climb to the last rung; its download is held halfway. The
    # fresh pip runs with --python, so a second pip (under the target interpreter) downloads.
    index.set_faults(ALPHA, ["corrupt_random", "corrupt_random", "corrupt_random", "hold"])
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    with job([*safepip_argv, "install", *index.pip_args(), "-r", req], tmpdir_env, how) as (
        proc,
        send,
        ended,
    ):
        index.wait_held(1)
        venvs = Path(tmpdir_env["SAFEPIP_VENV_DIR"])
        assert len(list(venvs.iterdir())) == 1  # the fresh virtualenv exists, pip runs in it
        send()
        code, err = ended()
        assert not job_alive(proc), "a pip safepip started outlived it"
    assert code == SIGNALS[how][2], err
    assert index.downloads(ALPHA) == 4
    assert pip_runs(tmpdir_env, proc.pid) == 4
    assert list(venvs.iterdir()) == [], "the fresh virtualenv was left behind"
    assert "alpha" not in installed(target_venv, tmpdir_env)
    left = folders_left(tmpdir_env)
    assert not [name for name in left if name.startswith("safepip-")], left
    if how != "ctrl-c" and TELLS_WHO_SENT:
        # Passed on to the second pip, which cleans up; the first, interrupted, would kill it.
        assert left == []
        pip_was_not_terminated(tmpdir_env, proc.pid)


@pytest.mark.parametrize("how", SIGNALS)
def test_a_signal_while_the_fresh_virtualenv_is_being_made_removes_it(
    how, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels
):
    index.set_fault(ALPHA, "corrupt_random")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    trace = Path(tmpdir_env["SAFEPIP_TRACE"])
    with job([*safepip_argv, "install", *index.pip_args(), "-r", req], tmpdir_env, how) as (
        proc,
        send,
        ended,
    ):
        # safepip records the location just before virtualenv starts creating it.
        wait_until(lambda: traced(trace, "fresh-venv", proc.pid), what="the fresh virtualenv to begin")
        send()
        code, err = ended()
    assert code == SIGNALS[how][2], err
    assert "Traceback" not in err
    location = Path(traced(trace, "fresh-venv", proc.pid)[0]["location"])
    assert not location.exists(), "a half-made virtualenv was left behind"
    assert pip_runs(tmpdir_env, proc.pid) <= 4
    assert leftovers(tmpdir_env) == []


def warm_and_corrupt(tmp_path: Path, env: dict[str, str], python: Path, index, req: Path) -> bytes:
    """Cache alpha with pip, then damage the cached body (same length: a short body would look like
    a cut download); the bad bytes."""
    warm = run(
        [python, "-m", "pip", "download", "-d", tmp_path / "dl", *index.pip_args(), "-r", req], env=env
    )
    assert warm.returncode == 0, warm.stderr
    (body,) = Path(env["PIP_CACHE_DIR"]).rglob("*.body")
    bad = corrupted(body.read_bytes())
    body.write_bytes(bad)
    return bad


@pytest.mark.parametrize("how", SIGNALS)
def test_a_signal_while_safepip_waits_for_the_cache_lock(
    how, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels, monkeypatch
):
    # Between pip runs only safepip itself is running: SIGTERM must unwind it like Ctrl-C does.
    cache = Path(tmpdir_env["PIP_CACHE_DIR"])
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    bad = warm_and_corrupt(tmp_path, tmpdir_env, target_venv, index, req)
    (body,) = cache.rglob("*.body")
    monkeypatch.setenv("XDG_CACHE_HOME", tmpdir_env["XDG_CACHE_HOME"])
    trace = Path(tmpdir_env["SAFEPIP_TRACE"])
    command = [*safepip_argv, "install", *index.pip_args(), "-r", req]
    with eviction.cache_lock(cache), job(command, tmpdir_env, how) as (proc, send, ended):
        wait_until(lambda: traced(trace, "evict", proc.pid), what="safepip to start evicting")
        send()
        code, err = ended()
    assert code == SIGNALS[how][2], err
    assert "Traceback" not in err
    assert pip_runs(tmpdir_env, proc.pid) == 1
    assert body.read_bytes() == bad, "evicted although the lock was never obtained"
    assert leftovers(tmpdir_env) == []


def sigterm_at(
    tmp_path: Path, argv: list, env: dict[str, str], kind: str, nth: int, outlived: str
) -> tuple[int, str, int]:
    """Run safepip, its trace a TraceGate: a SIGTERM is sent the moment it writes its `nth` record
    of `kind` (then it goes on at once, so the signal lands somewhere in what follows). Asserts that
    the moment came and that nothing of its job outlived it; its exit code, stderr and pid."""
    started: list[subprocess.Popen[str]] = []
    seen: list[dict] = []
    sent: list[str] = []

    def on_record(record: dict) -> None:
        if record["kind"] == kind:
            seen.append(record)
        if len(seen) == nth and started and not sent:
            started[0].send_signal(signal.SIGTERM)
            sent.append(kind)

    gate = TraceGate(tmp_path, Path(env["SAFEPIP_TRACE"]), on_record)
    try:
        proc = start(argv, {**env, "SAFEPIP_TRACE": str(gate.fifo)})
        started.append(proc)
        with running([proc]):
            code, _out, err = finish(proc)
            assert not job_alive(proc), outlived
    finally:
        gate.close()
    assert sent, "safepip never reached that moment"
    return code, err, proc.pid


@pytest.mark.parametrize("moment", ["evict", "pip"])
def test_a_sigterm_as_safepip_starts_the_next_pip_run_leaves_no_pip_behind(
    moment, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels
):
    # The signal is sent the moment safepip records the eviction, or the next pip run it is starting
    # (safepip writes that record just before it starts pip, and goes on at once): whenever it lands,
    # the retry pip must not run on after safepip, nor leave its log behind.
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    warm_and_corrupt(tmp_path, tmpdir_env, target_venv, index, req)
    kind, nth = ("evict", 1) if moment == "evict" else ("pip", 2)
    argv = [*safepip_argv, "install", *index.pip_args(), "-r", req]
    code, err, pid = sigterm_at(tmp_path, argv, tmpdir_env, kind, nth, "the retry pip outlived safepip")
    assert code == 143, err
    assert "alpha" not in installed(target_venv, tmpdir_env)
    assert folders_left(tmpdir_env) == []
    exits = traced(Path(tmpdir_env["SAFEPIP_TRACE"]), "pip-exit", pid)
    assert len(exits) <= 2 and all(r["interrupted_by"] is not None for r in exits[1:])


def test_a_signal_pending_when_pip_would_start_means_pip_is_not_started(tmp_path, safepip_argv):
    # The runner blocks the signals before it starts pip: one already waiting then stops the run
    # before pip starts (pip's would-be run writes a marker it must never write).
    marker = tmp_path / "pip-ran"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(safepip_argv[-1]))!r})
        from safepip import interrupts
        from safepip.pip import runner
        interrupts.start_run()
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
        os.kill(os.getpid(), signal.SIGTERM)
        try:
            ran = runner.run([sys.executable, "-c", "open({str(marker)!r}, 'w')"], dict(os.environ))
        except KeyboardInterrupt:
            print("raised")
        else:
            print(ran.interrupted_by, ran.exit_code)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), "pip was started although a SIGTERM was waiting"
    assert result.stdout.split() in (["15", "143"], ["raised"])


def test_every_interrupted_run_is_traced_once(tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels):
    # The trace the other tests rely on tells the runs of one process apart, and marks the interrupt.
    index.set_fault(ALPHA, "hold")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    with running([start([*safepip_argv, "install", *index.pip_args(), "-r", req], tmpdir_env)]) as (proc,):
        index.wait_held(1)
        proc.send_signal(signal.SIGINT)
        finish(proc)
    (records,) = by_invocation(read_trace(Path(tmpdir_env["SAFEPIP_TRACE"]))).values()
    exits = [r for r in records if r["kind"] == "pip-exit"]
    assert [r["interrupted_by"] for r in exits] == [int(signal.SIGINT)]


@pytest.mark.parametrize("helper", [1, 2])
def test_a_sigterm_as_a_helper_starts_leaves_no_helper_behind(
    helper, tmp_path, safepip_argv, tmpdir_env, target_venv, index, wheels
):
    # verify-cache starts two helpers before it reads either: the probe of pip's options, then the
    # question to pip about the index (started early, so that pip is imported while the cache is
    # read). A SIGTERM sent as either starts: none may outlive safepip, whenever the signal lands.
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    warm_and_corrupt(tmp_path, tmpdir_env, target_venv, index, req)
    argv = [*safepip_argv, "verify-cache", *index.pip_args()]
    code, err, _pid = sigterm_at(tmp_path, argv, tmpdir_env, "helper", helper, "a helper outlived safepip")
    assert code == 143, err
    assert "Traceback" not in err
    assert len(list(Path(tmpdir_env["PIP_CACHE_DIR"]).rglob("*.body"))) == 1  # nothing was moved
