"""The recovery ladder against the real pip, a real index on 127.0.0.1 and real faults."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import installed, run
from tests.support.output import safepip_lines
from tests.support.pipconf import bad_mirror_inside
from tests.support.recovered import assert_plain_pip_succeeds_after
from tests.support.wheels import pinned_requirements, sha256_file

from safepip.errors import ExitCode
from safepip.recovery.cache import cache_key

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
BETA = "beta-2.0-py3-none-any.whl"


def cache_files(cache: Path) -> dict[str, str]:
    """Every file of pip's cache and the sha256 of its bytes."""
    return {
        str(p.relative_to(cache)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in cache.rglob("*")
        if p.is_file()
    }


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture
def pip_cache(safepip_env) -> Path:
    return Path(safepip_env["PIP_CACHE_DIR"])


def test_a_corrupted_cache_entry_is_evicted_alone_and_fixed_in_two_runs(
    tmp_path, target_venv, safepip_env, safepip, index, wheels, pip_cache
):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, BETA)
    warm = run(
        [target_venv, "-m", "pip", "download", "-d", tmp_path / "dl", *index.pip_args(), "-r", req],
        env=safepip_env,
    )
    assert warm.returncode == 0, warm.stderr
    body = cache_body(pip_cache, index.file_url(ALPHA))
    assert body.is_file(), f"pip did not cache {index.file_url(ALPHA)}"
    corrupt(body)
    before = cache_files(pip_cache)
    downloads = {name: index.downloads(name) for name in (ALPHA, BETA)}

    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)

    assert result.returncode == 0, result.stderr
    assert installed(target_venv, safepip_env) >= {"alpha": "1.0", "beta": "2.0"}
    # Only alpha's file was fetched again, once: beta came from the untouched cache.
    assert index.downloads(ALPHA) == downloads[ALPHA] + 1
    assert index.downloads(BETA) == downloads[BETA]
    after = cache_files(pip_cache)
    alpha_key = cache_key(index.file_url(ALPHA))
    untouched = {k: v for k, v in before.items() if alpha_key not in k}
    assert {k: after.get(k) for k in untouched} == untouched
    # Exactly two pip runs: one failing, one after the eviction.
    assert result.stdout.count("Looking in indexes") == 2
    assert any("Fixed by evict-and-retry (2 pip runs" in line for line in safepip_lines(result.stderr))
    # The evicted bytes wait in safepip's quarantine with a manifest naming the mismatch.
    manifests = list(Path(safepip_env["XDG_CACHE_HOME"]).rglob("safepip-quarantine.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert manifest["mismatches"][0]["name"] == "alpha"
    assert all(alpha_key in moved for moved in manifest["moved"])
    assert_plain_pip_succeeds_after(safepip_env)


def test_a_file_served_corrupted_once_is_fixed_by_a_retry(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    index.set_fault(ALPHA, "corrupt_once")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert installed(target_venv, safepip_env).get("alpha") == "1.0"
    assert index.downloads(ALPHA) == 2
    # pip cached the corrupted download before it checked it: that entry went too.
    assert_plain_pip_succeeds_after(safepip_env)
    assert index.downloads(ALPHA) == 2


def test_corrupted_once_with_no_cache_dir_given(tmp_path, target_venv, safepip_env, safepip, index, wheels):
    index.set_fault(ALPHA, "corrupt_once")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("install", "--no-cache-dir", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert index.downloads(ALPHA) == 2
    assert any("Fixed by retry" in line for line in safepip_lines(result.stderr))
    assert_plain_pip_succeeds_after(safepip_env)


def test_a_file_always_served_corrupted_is_refused_with_evidence(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    index.set_fault(ALPHA, "corrupt_always")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == ExitCode.TAMPERING_SUSPECTED
    assert "alpha" not in installed(target_venv, safepip_env)
    assert index.downloads(ALPHA) == 2
    text = result.stderr
    assert "tampering" in text
    assert index.file_url(ALPHA) in text
    assert f"index publishes: sha256 {index.published_hash(ALPHA)}" in text
    assert f"pinned:          sha256 {sha256_file(wheels / ALPHA)}" in text
    # A current pip tells a cut-short download apart, so no doubt about that is raised.
    assert "cannot tell a download cut short" not in text


def test_a_stale_pin_fails_fast_without_retrying(tmp_path, target_venv, safepip_env, safepip, index, wheels):
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, pins={ALPHA: "0" * 64})
    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == ExitCode.STALE_PIN
    assert index.downloads(ALPHA) == 1
    assert result.stdout.count("Looking in indexes") == 1
    assert "pip-compile --generate-hashes" in result.stderr
    assert f"requirement:     alpha==1.0 ({req}, line 1)" in result.stderr


def test_other_failures_pass_through_without_retry(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    req = tmp_path / "requirements.txt"
    req.write_text(
        "alpha==1.0 --hash=sha256:"
        + sha256_file(wheels / ALPHA)
        + "\nmissing==1.0 --hash=sha256:"
        + "0" * 64
        + "\n"
    )
    plain = run([target_venv, "-m", "pip", "install", *index.pip_args(), "-r", req], env=safepip_env)
    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == plain.returncode == 1
    assert not safepip_lines(result.stderr)
    assert result.stdout.count("Looking in indexes") == 1


def test_a_bad_mirror_configured_inside_the_target_is_the_users_configuration(
    tmp_path, target_venv, safepip_env, safepip, index, wheels, bad_mirror
):
    # The user's own configuration names the good index; the target environment's pip.conf
    # overrides it with a mirror that serves wrong bytes. That is the configuration plain pip uses
    # there: safepip does not route around it (no other index hears of the package), and says so.
    env, site_config = bad_mirror_inside(
        target_venv, safepip_env, tmp_path, index, bad_mirror, wheels / ALPHA
    )
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)

    result = safepip("install", "-r", req, env=env)

    assert result.returncode == ExitCode.TAMPERING_SUSPECTED, result.stderr
    assert bad_mirror.downloads(ALPHA) == 2
    assert index.requests == []
    assert "alpha" not in installed(target_venv, env)
    assert not Path(env["SAFEPIP_VENV_DIR"]).exists() or not any(Path(env["SAFEPIP_VENV_DIR"]).iterdir())
    assert f"the target environment has its own pip configuration ({site_config})" in result.stderr


def test_venv_rung_can_be_switched_off(tmp_path, target_venv, safepip_env, safepip, index, wheels):
    index.set_fault(ALPHA, "corrupt_random")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    env = {**safepip_env, "SAFEPIP_NO_VENV": "1"}
    result = safepip("install", *index.pip_args(), "-r", req, env=env)
    assert result.returncode == ExitCode.NOT_RECOVERED
    assert index.downloads(ALPHA) == 3
    assert "fresh virtualenv" not in result.stderr


def test_download_command_recovers_too(tmp_path, target_venv, safepip_env, safepip, index, wheels):
    index.set_fault(ALPHA, "corrupt_once")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    dest = tmp_path / "dest"
    result = safepip("download", "-d", dest, *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert sha256_file(dest / ALPHA) == sha256_file(wheels / ALPHA)
    assert_plain_pip_succeeds_after(safepip_env)


GAMMA = "gamma-0.3-py3-none-any.whl"
DELTA = "delta-1.1-py3-none-any.whl"


def test_three_corrupted_entries_are_all_evicted_in_two_runs(
    tmp_path, target_venv, safepip_env, safepip, index, wheels, pip_cache
):
    # pip reports one mismatch per run. safepip checks every cached file the requirements use at the
    # first one, evicts the three bad entries together, and runs pip twice, not once per entry.
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, BETA, GAMMA, DELTA)
    warm = run(
        [target_venv, "-m", "pip", "download", "-d", tmp_path / "dl", *index.pip_args(), "-r", req],
        env=safepip_env,
    )
    assert warm.returncode == 0, warm.stderr
    bad = (BETA, GAMMA, DELTA)
    for name in bad:
        corrupt(cache_body(pip_cache, index.file_url(name)))
    good = cache_body(pip_cache, index.file_url(ALPHA)).read_bytes()
    downloads = {name: index.downloads(name) for name in (ALPHA, *bad)}
    report = tmp_path / "report.json"

    result = safepip("install", "--safepip-report", report, *index.pip_args(), "-r", req, env=safepip_env)

    assert result.returncode == 0, result.stderr
    assert installed(target_venv, safepip_env) >= {
        "alpha": "1.0",
        "beta": "2.0",
        "gamma": "0.3",
        "delta": "1.1",
    }
    assert result.stdout.count("Looking in indexes") == 2
    # Each bad entry was fetched again exactly once; the good one never.
    assert {n: index.downloads(n) - downloads[n] for n in downloads} == {
        ALPHA: 0,
        BETA: 1,
        GAMMA: 1,
        DELTA: 1,
    }
    assert cache_body(pip_cache, index.file_url(ALPHA)).read_bytes() == good
    # The report and the history name every bad file: the one pip reported, and the two safepip's
    # check found (pip never reported them: it stopped at the first).
    files = json.loads(report.read_text())["files"]
    assert {(f["filename"], f["found_by"]) for f in files} == {
        (BETA, "pip"),
        (GAMMA, "safepip"),
        (DELTA, "safepip"),
    }
    lines = safepip_lines(result.stderr)
    recovered = next(line for line in lines if "recovered:" in line)
    assert all(name in recovered for name in bad), recovered
    history = safepip("history", "--json", env=safepip_env)
    (entry,) = json.loads(history.stdout)
    assert {f["filename"] for f in entry["files"]} == set(bad)
    manifests = list(Path(safepip_env["XDG_CACHE_HOME"]).rglob("safepip-quarantine.json"))
    assert len(manifests) == 1
    moved = json.loads(manifests[0].read_text())["moved"]
    assert len(moved) == 6  # record and body of each of the three
    # And the cache is clean: plain pip, right after, succeeds from it without fetching anything.
    after = {n: index.downloads(n) for n in downloads}
    assert_plain_pip_succeeds_after(safepip_env)
    assert {n: index.downloads(n) for n in downloads} == after


def test_cut_short_and_empty_entries_are_found_with_the_first_mismatch(
    tmp_path, target_venv, safepip_env, safepip, index, wheels, pip_cache
):
    # A body shorter than the Content-Length its record keeps, and an empty one: pip 25.1+ downloads
    # them again on every run (older pips may report a mismatch); safepip's check evicts them once.
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, BETA, GAMMA)
    warm = run(
        [target_venv, "-m", "pip", "download", "-d", tmp_path / "dl", *index.pip_args(), "-r", req],
        env=safepip_env,
    )
    assert warm.returncode == 0, warm.stderr
    corrupt(cache_body(pip_cache, index.file_url(ALPHA)))
    cut = cache_body(pip_cache, index.file_url(BETA))
    cut.write_bytes(cut.read_bytes()[:100])
    cache_body(pip_cache, index.file_url(GAMMA)).write_bytes(b"")
    downloads = {name: index.downloads(name) for name in (ALPHA, BETA, GAMMA)}

    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Looking in indexes") == 2
    assert {n: index.downloads(n) - downloads[n] for n in downloads} == {ALPHA: 1, BETA: 1, GAMMA: 1}
    recovered = next(line for line in safepip_lines(result.stderr) if "recovered:" in line)
    assert "beta 2.0 (beta-2.0-py3-none-any.whl): the copy in pip's cache is cut short" in recovered
    assert "gamma 0.3 (gamma-0.3-py3-none-any.whl): the copy in pip's cache is empty" in recovered
    assert_plain_pip_succeeds_after(safepip_env)


def test_a_wheel_pip_built_itself_is_never_evicted(
    tmp_path, target_venv, safepip_env, safepip, index, wheels, pip_cache
):
    # pip checks an sdist's hash before building it, so a wheel it built (cache dir wheels/) never
    # holds bytes pip downloaded wrong: only the downloaded wheel's entry goes.
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    warm = run(
        [target_venv, "-m", "pip", "download", "-d", tmp_path / "dl", *index.pip_args(), "-r", req],
        env=safepip_env,
    )
    assert warm.returncode == 0, warm.stderr
    built = pip_cache / "wheels" / "3f" / "a1" / "0c" / "5e0d" / ALPHA
    built.parent.mkdir(parents=True)
    built.write_bytes((wheels / ALPHA).read_bytes())
    body = cache_body(pip_cache, index.file_url(ALPHA))
    corrupt(body)

    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)

    assert result.returncode == 0, result.stderr
    assert built.read_bytes() == (wheels / ALPHA).read_bytes()
    assert any("moved 2 file(s) out of pip's cache" in line for line in safepip_lines(result.stderr))
    (manifest,) = Path(safepip_env["XDG_CACHE_HOME"]).rglob("safepip-quarantine.json")
    assert all(
        "wheels" not in Path(p).relative_to(pip_cache).parts
        for p in json.loads(manifest.read_text())["moved"]
    )
