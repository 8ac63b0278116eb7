"""Several safepip processes recovering at once over one pip cache, with a plain pip reading it meanwhile.

Real processes, one shared cache, safepip's real file lock. Overlap is made certain, not hoped for:
the index holds every download of the corrupted file halfway until all the safepips are in the
middle of one (so none can finish and write the cache before the others have evicted), and the
plain pip reads the cache while they are all held. The last test holds safepip's cache lock itself
to rewrite an entry with good bytes between safepip's detection and its eviction.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import clone_venv, installed, run
from tests.support.index import corrupted
from tests.support.output import safepip_lines
from tests.support.procs import finish, running, start, traced, wait_until
from tests.support.wheels import pinned_requirements, sha256_file

from safepip.recovery import eviction
from safepip.recovery.cache import cache_key

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
BETA = "beta-2.0-py3-none-any.whl"
GAMMA = "gamma-0.3-py3-none-any.whl"
PROCESSES = 3


def warm(tmp_path: Path, python: Path, env: dict[str, str], index, wheels: Path, *filenames: str) -> None:
    req = pinned_requirements(tmp_path / "warm.txt", wheels, *filenames)
    done = run(
        [python, "-m", "pip", "download", "-d", tmp_path / "warm", *index.pip_args(), "-r", req], env=env
    )
    assert done.returncode == 0, done.stderr


def moved_files(env: dict[str, str]) -> list[str]:
    quarantine = Path(env["XDG_CACHE_HOME"]) / "safepip" / "quarantine"
    return [
        m for f in quarantine.rglob("safepip-quarantine.json") for m in json.loads(f.read_text())["moved"]
    ]


def venv_env(env: dict[str, str], python: Path) -> dict[str, str]:
    return {**env, "VIRTUAL_ENV": str(python.parent.parent)}


def test_several_safepips_recover_one_corrupted_entry_together_while_pip_reads_the_cache(
    tmp_path, template_venv, target_venv, safepip_env, safepip_argv, index, wheels
):
    cache = Path(safepip_env["PIP_CACHE_DIR"])
    warm(tmp_path, target_venv, safepip_env, index, wheels, ALPHA, BETA)
    alpha_body = cache_body(cache, index.file_url(ALPHA))
    alpha_body.write_bytes(corrupted(alpha_body.read_bytes()))
    index.set_fault(ALPHA, "hold")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    pythons = [clone_venv(template_venv, tmp_path / f"venv-{n}") for n in range(PROCESSES)]
    command = [*safepip_argv, "install", *index.pip_args(), "-r", req]

    with running([start(command, venv_env(safepip_env, python)) for python in pythons]) as procs:
        # Every safepip is now halfway through a fresh download of alpha: each got past the corrupted
        # entry (by its own eviction or another's) and none has written the cache yet.
        index.wait_held(PROCESSES)
        reader = run(
            [target_venv, "-m", "pip", "download", "-d", tmp_path / "reader", *index.pip_args(),
             "-r", pinned_requirements(tmp_path / "beta.txt", wheels, BETA)],
            env=safepip_env,
        )  # fmt: skip
        index.release()
        results = [finish(proc) for proc in procs]

    assert reader.returncode == 0, reader.stderr
    assert "Using cached beta" in reader.stdout and index.downloads(BETA) == 1
    for (code, _out, err), python in zip(results, pythons):
        assert code == 0, err
        assert "Traceback" not in err
        assert installed(python, safepip_env).get("alpha") == "1.0"
    # Exactly alpha's entry was moved, once, by whichever safepip got the lock first.
    key = cache_key(index.file_url(ALPHA))
    moved = moved_files(safepip_env)
    assert sorted(Path(m).name for m in moved) == [key, key + ".body"]
    assert index.downloads(ALPHA) == 1 + PROCESSES  # warming the cache, then one fresh download each
    # The entry one of them wrote afterwards is good, and stays: pip now installs from it.
    after = run(
        [target_venv, "-m", "pip", "download", "-d", tmp_path / "after", *index.pip_args(), "-r", req],
        env=safepip_env,
    )
    assert after.returncode == 0, after.stderr
    assert "Using cached alpha" in after.stdout
    assert index.downloads(ALPHA) == 1 + PROCESSES
    assert hashlib.sha256(alpha_body.read_bytes()).hexdigest() == sha256_file(wheels / ALPHA)


def test_several_safepips_recover_different_entries_at_once(
    tmp_path, template_venv, target_venv, safepip_env, safepip_argv, index, wheels
):
    cache = Path(safepip_env["PIP_CACHE_DIR"])
    warm(tmp_path, target_venv, safepip_env, index, wheels, ALPHA, BETA, GAMMA)
    for filename in (ALPHA, BETA):
        path = cache_body(cache, index.file_url(filename))
        path.write_bytes(corrupted(path.read_bytes()))
    gamma_before = cache_body(cache, index.file_url(GAMMA)).read_bytes()
    jobs = [(ALPHA,), (BETA,), (ALPHA, BETA)]
    pythons = [clone_venv(template_venv, tmp_path / f"venv-{n}") for n in range(len(jobs))]
    commands = [
        [
            *safepip_argv,
            "install",
            *index.pip_args(),
            "-r",
            pinned_requirements(tmp_path / f"r{n}.txt", wheels, *job),
        ]
        for n, job in enumerate(jobs)
    ]
    reader_req = pinned_requirements(tmp_path / "gamma.txt", wheels, GAMMA)
    reader_cmd = [
        target_venv,
        "-m",
        "pip",
        "download",
        "-d",
        tmp_path / "reader",
        *index.pip_args(),
        "-r",
        reader_req,
    ]

    for filename in (ALPHA, BETA):
        index.set_fault(filename, "hold")

    with running([start(c, venv_env(safepip_env, p)) for c, p in zip(commands, pythons)]) as procs:
        # Each safepip is halfway through a fresh download (none can finish without one, and none
        # can write the cache before the hold is released): the reader runs while all are at work.
        index.wait_held(len(jobs))
        reader = run(reader_cmd, env=safepip_env)
        index.release()
        results = [finish(proc) for proc in procs]

    assert reader.returncode == 0, reader.stderr
    for (code, _out, err), python, job in zip(results, pythons, jobs):
        assert code == 0, err
        have = installed(python, safepip_env)
        assert all(have.get(f.split("-")[0]) == f.split("-")[1] for f in job)
    allowed = {cache_key(index.file_url(f)) for f in (ALPHA, BETA)}
    assert {Path(m).name.removesuffix(".body") for m in moved_files(safepip_env)} <= allowed
    assert cache_body(cache, index.file_url(GAMMA)).read_bytes() == gamma_before
    assert index.downloads(GAMMA) == 1


def test_an_entry_rewritten_good_before_the_eviction_is_kept(
    tmp_path, target_venv, safepip_env, safepip_argv, index, wheels, monkeypatch
):
    cache = Path(safepip_env["PIP_CACHE_DIR"])
    warm(tmp_path, target_venv, safepip_env, index, wheels, ALPHA)
    alpha_body = cache_body(cache, index.file_url(ALPHA))
    good = alpha_body.read_bytes()
    alpha_body.write_bytes(corrupted(good))
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    trace = Path(safepip_env["SAFEPIP_TRACE"])
    monkeypatch.setenv("XDG_CACHE_HOME", safepip_env["XDG_CACHE_HOME"])  # safepip's lock, found the same way

    with running([]) as procs:
        with eviction.cache_lock(cache):
            procs.append(start([*safepip_argv, "install", *index.pip_args(), "-r", req], safepip_env))
            # safepip saw the mismatch and now waits for the lock this test holds...
            wait_until(lambda: traced(trace, "evict", procs[0].pid), what="safepip to start evicting")
            # ...while another process writes the entry afresh, as pip does (a new file renamed in).
            fresh = alpha_body.with_name("fresh.tmp")
            fresh.write_bytes(good)
            os.replace(fresh, alpha_body)
        code, _out, err = finish(procs[0])

    assert code == 0, err
    assert alpha_body.read_bytes() == good, "the good entry was evicted"
    assert moved_files(safepip_env) == []
    assert index.downloads(ALPHA) == 1  # the retry read the good entry from the cache
    assert not any("moved" in line for line in safepip_lines(err))
