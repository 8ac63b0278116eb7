"""``safepip verify-cache``: every corrupted download in pip's cache, found without downloading a
package file, in both layouts, against a lock or against the index; moved into the quarantine.

pip fills its cache for real from a local index (with PEP 658 metadata files); the tests then damage
entries the four ways caches get damaged: flipped bytes, a body cut short, an empty body, and a
.metadata file with other bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import run
from tests.support.index import PackageIndex, corrupted
from tests.support.wheels import pinned_requirements

from safepip.errors import ExitCode
from safepip.recovery.cache import cache_key

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
BETA = "beta-2.0-py3-none-any.whl"
GAMMA = "gamma-0.3-py3-none-any.whl"
DELTA = "delta-1.1-py3-none-any.whl"
ALL = (ALPHA, BETA, GAMMA, DELTA)
SPECS = ("alpha==1.0", "beta==2.0", "gamma==0.3", "delta==1.1")


@pytest.fixture
def meta_index(tmp_path: Path, wheels: Path):
    with PackageIndex(tmp_path / "meta-index", metadata=True) as served:
        for name in ALL:
            served.add(wheels / name)
        yield served


def entry_file(cache: Path, url: str) -> Path:
    """The file that holds `url`'s body, in whichever layout this pip wrote."""
    body = cache_body(cache, url)
    if body.is_file():
        return body
    key = cache_key(url)
    return cache.joinpath("http", *key[:5], key)


def damage(cache: Path, index: PackageIndex) -> dict[str, str]:
    """Damage four entries four ways; {file name: the problem safepip should report}."""
    flipped = entry_file(cache, index.file_url(BETA))
    flipped.write_bytes(corrupted(flipped.read_bytes()))
    cut = entry_file(cache, index.file_url(GAMMA))
    cut.write_bytes(cut.read_bytes()[:-300])
    empty = cache_body(cache, index.file_url(DELTA))
    if empty.is_file():
        empty.write_bytes(b"")
    else:  # the old layout has no body file: an empty response is an entry whose bytes are gone
        record = entry_file(cache, index.file_url(DELTA))
        record.write_bytes(record.read_bytes()[:200])
    meta = entry_file(cache, index.file_url(ALPHA) + ".metadata")
    meta.write_bytes(meta.read_bytes().replace(b"Version: 1.0", b"Version: 6.6"))
    return {
        BETA: "wrong-bytes",
        GAMMA: "cut-short",
        DELTA: "empty" if empty.is_file() else "cut-short",
        ALPHA + ".metadata": "wrong-bytes",
    }


def warm(tmp_path: Path, python: Path, env: dict[str, str], index: PackageIndex) -> Path:
    done = run([python, "-m", "pip", "download", "-d", tmp_path / "dl", *index.pip_args(), *SPECS], env=env)
    assert done.returncode == 0, done.stderr
    cache = Path(env["PIP_CACHE_DIR"])
    assert entry_file(cache, index.file_url(ALPHA) + ".metadata").is_file(), "pip cached no .metadata file"
    return cache


def requests_for_files(index: PackageIndex) -> int:
    return sum(index.downloads(name) + index.downloads(name + ".metadata") for name in ALL)


def verify(safepip, env, *args) -> tuple[int, dict]:
    result = safepip("verify-cache", "--json", *args, env=env)
    codes = (ExitCode.OK, ExitCode.CACHE_EVICTED, ExitCode.CACHE_STILL_CORRUPT, ExitCode.CACHE_UNCHECKED)
    assert result.returncode in codes, result.stderr
    return result.returncode, json.loads(result.stdout)


def bad_files(report: dict) -> dict[str, str]:
    return {f["filename"]: f["problem"] for f in report["files"] if f["status"] == "corrupted"}


def test_against_a_lock_in_the_current_layout(
    tmp_path, target_venv, safepip_env, safepip, meta_index, wheels
):
    cache = warm(tmp_path, target_venv, safepip_env, meta_index)
    expected = damage(cache, meta_index)
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, *ALL)
    fetched = requests_for_files(meta_index)

    dry, report = verify(safepip, safepip_env, "-r", req, "--dry-run", *meta_index.pip_args())
    assert dry == ExitCode.CACHE_STILL_CORRUPT
    assert bad_files(report) == expected and report["moved"] == []

    code, report = verify(safepip, safepip_env, "-r", req, *meta_index.pip_args())
    assert code == ExitCode.CACHE_EVICTED
    assert bad_files(report) == expected
    assert report["counts"]["good"] >= 4  # the other wheels and .metadata files
    assert len(report["moved"]) == 8 and Path(report["quarantine"]).is_dir()
    # No package file (nor metadata file) was downloaded: only index pages were asked for.
    assert requests_for_files(meta_index) == fetched

    again, report = verify(safepip, safepip_env, "-r", req, *meta_index.pip_args())
    assert again == ExitCode.OK and not bad_files(report)

    plain = safepip("verify-cache", "-r", req, *meta_index.pip_args(), env=safepip_env)
    assert plain.returncode == 0 and "no corrupted download found." in plain.stdout


def test_the_whole_cache_against_the_index_in_the_old_layout(
    tmp_path, venv_with_pip, safepip_env, safepip, meta_index
):
    python = venv_with_pip("23.2.1")  # the http/ layout: bodies inside msgpack records
    env = {**safepip_env, "SAFEPIP_PYTHON": str(python)}
    cache = warm(tmp_path, python, env, meta_index)
    assert (cache / "http").is_dir() and not (cache / "http-v2").exists()
    expected = damage(cache, meta_index)
    fetched = requests_for_files(meta_index)

    code, report = verify(safepip, env, *meta_index.pip_args())

    assert code == ExitCode.CACHE_EVICTED, report
    assert report["against"] == "index"
    assert bad_files(report) == expected
    assert requests_for_files(meta_index) == fetched
    assert verify(safepip, env, *meta_index.pip_args())[0] == ExitCode.OK


def test_a_stale_pin_is_reported_not_evicted(tmp_path, target_venv, safepip_env, safepip, meta_index, wheels):
    cache = warm(tmp_path, target_venv, safepip_env, meta_index)
    before = entry_file(cache, meta_index.file_url(ALPHA)).read_bytes()
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA, pins={ALPHA: "0" * 64})
    code, report = verify(safepip, safepip_env, "-r", req, *meta_index.pip_args())
    assert code == ExitCode.OK
    stale = [f for f in report["files"] if f["status"] == "stale-pin"]
    assert [f["filename"] for f in stale] == [ALPHA]
    assert entry_file(cache, meta_index.file_url(ALPHA)).read_bytes() == before


def test_an_index_that_cannot_be_reached_is_no_clean_bill(
    tmp_path, target_venv, safepip_env, safepip, meta_index, wheels
):
    warm(tmp_path, target_venv, safepip_env, meta_index)
    req = pinned_requirements(tmp_path / "requirements.txt", wheels, *ALL)
    args = [*meta_index.pip_args(), "--retries", "0", "--timeout", "2"]
    meta_index.stop()
    code, report = verify(safepip, safepip_env, "-r", req, *args)
    assert code == ExitCode.CACHE_UNCHECKED, report
    assert report["not_checked"]
    whole, report = verify(safepip, safepip_env, *args)
    assert whole == ExitCode.CACHE_UNCHECKED and "could not fetch" in report["not_checked"]


def test_no_cache_is_nothing_to_check(tmp_path, target_venv, safepip_env, safepip):
    env = {**safepip_env, "PIP_NO_CACHE_DIR": "1"}
    result = safepip("verify-cache", env=env)
    assert result.returncode == 0, result.stderr
    assert "nothing to check" in result.stdout
