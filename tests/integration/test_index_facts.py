"""What the index publishes decides the ladder: JSON indexes, locked sdists, PEP 658 metadata.

pip prints the index's own hash only when it travels in the link (`#sha256=` on an HTML page).
Against a JSON index (PEP 691) safepip asks the target pip for it; these tests serve one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import installed, run
from tests.support.index import PackageIndex
from tests.support.output import safepip_lines
from tests.support.wheels import build_sdist, build_wheel, sha256_file

from safepip.errors import ExitCode

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"


def pin(tmp_path: Path, name: str, version: str, *digests: str) -> Path:
    req = tmp_path / "requirements.txt"
    hashes = " ".join(f"--hash=sha256:{d}" for d in digests)
    req.write_text(f"{name}=={version} {hashes}\n")
    return req


@pytest.fixture
def json_index(tmp_path: Path, wheels: Path):
    with PackageIndex(tmp_path / "json-index", json_api=True) as served:
        served.add(wheels / ALPHA)
        yield served


def test_a_stale_pin_behind_a_json_index_fails_fast_with_the_index_hash(
    tmp_path, target_venv, safepip_env, safepip, json_index, wheels
):
    req = pin(tmp_path, "alpha", "1.0", "0" * 64)
    result = safepip("install", *json_index.pip_args(), "-r", req, env=safepip_env)

    # pip printed the bare URL (JSON index): safepip learnt the published hash by asking.
    assert f"{json_index.file_url(ALPHA)} (from" in result.stderr
    assert f"{json_index.file_url(ALPHA)}#sha256" not in result.stderr
    assert result.returncode == ExitCode.STALE_PIN, result.stderr
    assert json_index.downloads(ALPHA) == 1
    assert result.stdout.count("Looking in indexes") == 1
    digest = sha256_file(wheels / ALPHA)
    assert f"index publishes: sha256 {digest} (asked the index through pip)" in result.stderr


def test_tampering_evidence_behind_a_json_index_names_the_index_hash(
    tmp_path, target_venv, safepip_env, safepip, json_index, wheels
):
    json_index.set_fault(ALPHA, "corrupt_always")
    digest = sha256_file(wheels / ALPHA)
    req = pin(tmp_path, "alpha", "1.0", digest)
    result = safepip("install", *json_index.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == ExitCode.TAMPERING_SUSPECTED, result.stderr
    assert json_index.downloads(ALPHA) == 2
    assert f"index publishes: sha256 {digest} (asked the index through pip)" in result.stderr
    assert "alpha" not in installed(target_venv, safepip_env)


def test_a_corrupted_metadata_file_in_the_cache_is_evicted_alone(
    tmp_path, target_venv, safepip_env, safepip, wheels
):
    # Without pins pip resolves from PEP 658 metadata and caches the .metadata file under its own
    # URL; its report then names the wheel. Only the .metadata entry is bad, and only it goes.
    cache = Path(safepip_env["PIP_CACHE_DIR"])
    with PackageIndex(tmp_path / "meta-index", metadata=True) as served:
        served.add(wheels / ALPHA)
        warm = run(
            [target_venv, "-m", "pip", "download", "-d", tmp_path / "dl", *served.pip_args(), "alpha==1.0"],
            env=safepip_env,
        )
        assert warm.returncode == 0, warm.stderr
        body = cache_body(cache, served.file_url(ALPHA) + ".metadata")
        assert body.is_file(), "pip did not cache the metadata file"
        body.write_bytes(body.read_bytes().replace(b"Version: 1.0", b"Version: 6.6"))
        wheel_body = cache_body(cache, served.file_url(ALPHA))
        wheel_before = hashlib.sha256(wheel_body.read_bytes()).hexdigest()

        plain = run([target_venv, "-m", "pip", "install", *served.pip_args(), "alpha==1.0"], env=safepip_env)
        assert plain.returncode == 1 and "THESE PACKAGES DO NOT MATCH" in plain.stderr

        result = safepip("install", *served.pip_args(), "alpha==1.0", env=safepip_env)

    assert result.returncode == 0, result.stderr
    assert installed(target_venv, safepip_env).get("alpha") == "1.0"
    assert result.stdout.count("Looking in indexes") == 2
    assert any("Fixed by evict-and-retry" in line for line in safepip_lines(result.stderr))
    # The wheel's own entry was good and stayed, byte for byte.
    assert hashlib.sha256(wheel_body.read_bytes()).hexdigest() == wheel_before


def test_pip_22_3_choosing_the_wheel_is_steered_to_the_locked_sdist(
    tmp_path, venv_with_pip, safepip_env, safepip
):
    # pip 22.3.x ignores a JSON index's hashes when choosing a file, so it takes the wheel though
    # only the sdist is locked. safepip sees the lock names the sdist and sends pip there.
    python = venv_with_pip("22.3.1")
    env = {**safepip_env, "VIRTUAL_ENV": str(python.parent.parent)}
    files = tmp_path / "files"
    wheel, sdist = build_wheel(files, "epsilon", "1.0"), build_sdist(files, "epsilon", "1.0")
    req = pin(tmp_path, "epsilon", "1.0", sha256_file(sdist))
    with PackageIndex(tmp_path / "json-index", json_api=True) as served:
        served.add(wheel)
        served.add(sdist)
        plain = run([python, "-m", "pip", "install", *served.pip_args(), "-r", req], env=env)
        assert plain.returncode == 1 and "THESE PACKAGES DO NOT MATCH" in plain.stderr

        result = safepip("install", *served.pip_args(), "-r", req, env=env)

        assert result.returncode == 0, result.stderr
        assert served.downloads(sdist.name) == 1
    assert installed(python, env).get("epsilon") == "1.0"
    lines = safepip_lines(result.stderr)
    assert any(f"the lock pins {sdist.name}" in line and "--no-binary epsilon" in line for line in lines)
    assert any("Fixed by steer-to-locked-file (2 pip runs" in line for line in lines)
    # The fresh-virtualenv rung was not needed.
    assert not (Path(env["SAFEPIP_VENV_DIR"]).exists() and any(Path(env["SAFEPIP_VENV_DIR"]).iterdir()))


def test_an_unknown_package_report_is_traced_to_its_cache_entry_by_content(
    tmp_path, target_venv, safepip_env, safepip, wheels
):
    # Resolving from PEP 658 metadata and downloading afterwards in a batch, pip reports
    # "unknown package" with no name and no URL: only the bad digest identifies the entry.
    cache = Path(safepip_env["PIP_CACHE_DIR"])
    beta = "beta-2.0-py3-none-any.whl"
    with PackageIndex(tmp_path / "meta-index", metadata=True) as served:
        served.add(wheels / ALPHA)
        served.add(wheels / beta)
        args = [*served.pip_args(), "alpha==1.0", "beta==2.0"]
        warm = run([target_venv, "-m", "pip", "download", "-d", tmp_path / "dl", *args], env=safepip_env)
        assert warm.returncode == 0, warm.stderr
        bodies = {}
        for name in (ALPHA, beta):
            bodies[name] = cache_body(cache, served.file_url(name))
        data = bytearray(bodies[ALPHA].read_bytes())
        data[len(data) // 2] ^= 0xFF
        bodies[ALPHA].write_bytes(bytes(data))
        beta_before = bodies[beta].read_bytes()

        result = safepip("install", *args, env=safepip_env)

        assert "unknown package:" in result.stderr
        assert result.returncode == 0, result.stderr
        assert served.downloads(ALPHA) == 2 and served.downloads(beta) == 1
    assert installed(target_venv, safepip_env) >= {"alpha": "1.0", "beta": "2.0"}
    assert bodies[beta].read_bytes() == beta_before
    assert any("moved 2 file(s) out of pip's cache" in line for line in safepip_lines(result.stderr))


@pytest.mark.parametrize("api", ["html", "json"])
def test_a_stale_pin_refusal_says_the_pin_is_no_published_file(
    api, tmp_path, target_venv, safepip_env, safepip, wheels
):
    # safepip has asked the index for the release's files: the pin is none of them, and it says so.
    req = pin(tmp_path, "alpha", "1.0", "0" * 64)
    with PackageIndex(tmp_path / "index", json_api=api == "json") as served:
        served.add(wheels / ALPHA)
        result = safepip("install", *served.pip_args(), "-r", req, env=safepip_env)
    assert result.returncode == ExitCode.STALE_PIN, result.stderr
    said = "\n".join(safepip_lines(result.stderr))
    assert "The pinned hash is the hash of none of the files the index offers pip for alpha 1.0." in said


def test_a_refusal_names_the_file_the_pin_belongs_to(tmp_path, venv_with_pip, safepip_env, safepip):
    # The lock names the sdist; pip 22.3 chooses the wheel (it ignores a JSON index's hashes when
    # choosing), and may be neither steered (--only-binary was given) nor replaced by a fresh pip
    # (switched off): the refusal says whose hash the pin is.
    python = venv_with_pip("22.3.1")
    env = {**safepip_env, "VIRTUAL_ENV": str(python.parent.parent), "SAFEPIP_NO_VENV": "1"}
    files = tmp_path / "files"
    wheel, sdist = build_wheel(files, "epsilon", "1.0"), build_sdist(files, "epsilon", "1.0")
    req = pin(tmp_path, "epsilon", "1.0", sha256_file(sdist))
    with PackageIndex(tmp_path / "json-index", json_api=True) as served:
        served.add(wheel)
        served.add(sdist)
        result = safepip("install", "--only-binary", "zeta", *served.pip_args(), "-r", req, env=env)
    assert result.returncode == ExitCode.STALE_PIN, result.stderr
    said = "\n".join(safepip_lines(result.stderr))
    assert f"The pin is the hash of the sdist, {sdist.name} (version 1.0)." in said
    assert "epsilon" not in installed(python, env)
