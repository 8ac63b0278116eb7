"""The recovery ladder against the real pip, a real index on 127.0.0.1 and real faults."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import installed, run
from tests.support.output import safepip_lines
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


def test_a_file_served_corrupted_once_is_fixed_by_a_retry(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    index.set_fault(ALPHA, "corrupt_once")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert installed(target_venv, safepip_env).get("alpha") == "1.0"
    assert index.downloads(ALPHA) == 2


def test_corrupted_once_with_no_cache_dir_given(tmp_path, target_venv, safepip_env, safepip, index, wheels):
    index.set_fault(ALPHA, "corrupt_once")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("install", "--no-cache-dir", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert index.downloads(ALPHA) == 2
    assert any("Fixed by retry" in line for line in safepip_lines(result.stderr))


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
    env = dict(safepip_env)
    del env["PIP_CONFIG_FILE"]
    env["XDG_CONFIG_DIRS"] = str(tmp_path / "no-global-config")
    user_config = Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text(f"[global]\nindex-url = {index.url}\ntrusted-host = 127.0.0.1\n")
    bad_mirror.add(wheels / ALPHA)
    bad_mirror.set_fault(ALPHA, "corrupt_always")
    site_config = Path(target_venv).parent.parent / "pip.conf"
    site_config.write_text(f"[global]\nindex-url = {bad_mirror.url}\n")
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
