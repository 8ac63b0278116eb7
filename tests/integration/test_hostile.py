"""Hostile mirrors: wrong bytes that differ every time, a mirror flipping between good and bad, a
mirror that stalls. safepip never installs a mismatching file, its attempts are bounded in number
(and it adds no waits of its own), and its last message says what it saw.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from tests.support.envs import installed, run, site_packages
from tests.support.index import corrupted
from tests.support.invariants import pip_runs_of_one_safepip
from tests.support.output import safepip_lines
from tests.support.wheels import pinned_requirements

from safepip.errors import ExitCode

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
BETA = "beta-2.0-py3-none-any.whl"


def safepip_text(stderr: str) -> str:
    return "\n".join(safepip_lines(stderr))


def installed_files_match(python: Path, wheel: Path) -> bool:
    """Whether every file the wheel holds is installed with exactly the wheel's bytes."""
    target = site_packages(python.parent.parent)
    with zipfile.ZipFile(wheel) as archive:
        return all(
            (target / name).read_bytes() == archive.read(name)
            for name in archive.namelist()
            if not name.endswith("/RECORD")
        )


def test_wrong_bytes_that_differ_every_time_are_named_in_the_verdict(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    index.set_fault(ALPHA, "corrupt_random")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == ExitCode.NOT_RECOVERED, result.stderr
    assert "alpha" not in installed(target_venv, safepip_env)
    # Bounded: the first run and one per rung, no more.
    assert index.downloads(ALPHA) == len(pip_runs_of_one_safepip(safepip_env)) == 4
    venvs = Path(safepip_env["SAFEPIP_VENV_DIR"])
    assert not venvs.exists() or not any(venvs.iterdir()), "a failed fresh virtualenv was kept"
    data = (wheels / ALPHA).read_bytes()
    seen = [hashlib.sha256(corrupted(data, variant)).hexdigest() for variant in (1, 2, 3, 4)]
    verdict = safepip_text(result.stderr)
    for digest in seen:
        assert digest in verdict, f"the verdict does not name {digest}, one of the hashes received"
    assert index.file_url(ALPHA) in verdict


def test_a_mirror_flipping_between_good_and_bad_is_recovered_with_good_bytes_only(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    index.set_fault(ALPHA, "flip")  # bad, good, bad, ...
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, BETA)
    result = safepip("install", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert len(pip_runs_of_one_safepip(safepip_env)) == 2
    # What is installed is exactly the good wheels' content: nothing from a flipped download.
    assert installed_files_match(target_venv, wheels / ALPHA)
    assert installed_files_match(target_venv, wheels / BETA)


def test_a_mirror_flipping_every_file_between_good_and_bad_is_refused(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    # pip stops at the first bad file, so with every file flipping and no cache, each run meets one
    # bad file: alpha, then beta (alpha good), then alpha again with the same wrong bytes as the
    # first time. That repetition is the sign safepip stops at, after three runs.
    index.set_fault(ALPHA, "flip")
    index.set_fault(BETA, "flip")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, BETA)
    result = safepip("install", "--no-cache-dir", *index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == ExitCode.TAMPERING_SUSPECTED, result.stderr
    assert len(pip_runs_of_one_safepip(safepip_env)) == 3
    have = installed(target_venv, safepip_env)
    assert "alpha" not in have and "beta" not in have
    bad_alpha = hashlib.sha256(corrupted((wheels / ALPHA).read_bytes())).hexdigest()
    verdict = safepip_text(result.stderr)
    assert bad_alpha in verdict and index.file_url(ALPHA) in verdict


def test_a_stalled_mirror_is_bounded_by_pips_own_timeout(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    # The index sends half of the file and then nothing (until the test ends). pip's --timeout
    # decides when to give up; safepip adds no wait and no retry of its own to a failure that is
    # not a hash mismatch.
    index.set_fault(ALPHA, "hold")
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)
    patience = ["--timeout", "1", "--retries", "0", "--resume-retries", "0"]
    args = ["install", *patience, *index.pip_args(), "-r", req]
    plain = run([target_venv, "-m", "pip", *args], env=safepip_env, timeout=120)
    assert "timed out" in plain.stderr.lower() or "incomplete" in plain.stderr.lower(), plain.stderr
    before = index.downloads(ALPHA)
    result = safepip(*args, env=safepip_env, timeout=120)
    assert result.returncode == plain.returncode != 0, result.stderr
    assert len(pip_runs_of_one_safepip(safepip_env)) == 1
    assert index.downloads(ALPHA) - before == before  # as many requests as the plain pip made
    assert "alpha" not in installed(target_venv, safepip_env)
    assert "Next:" not in safepip_text(result.stderr)
