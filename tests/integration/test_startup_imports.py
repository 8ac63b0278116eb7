"""What safepip imports decides what every pip command pays: the heavy modules wait for a recovery.

Read from ``python -X importtime`` of real runs against the local index (the times themselves are
the benchmark's business, scripts/bench.py; here only which modules load).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from tests.support.cache import cache_body
from tests.support.envs import run
from tests.support.index import corrupted
from tests.support.wheels import pinned_requirements

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
#: Only a recovery needs these (the retry loop, the cache lock, virtualenv, packaging's parsers).
RECOVERY_ONLY = ("tenacity", "filelock", "virtualenv", "packaging.requirements", "safepip.eviction")
#: Not even an install that goes well needs these.
NEVER_ON_THE_NORMAL_PATH = (*RECOVERY_ONLY, "json", "uuid", "platform", "traceback", "configparser")


def imported(stderr: str) -> set[str]:
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", stderr, re.MULTILINE))


@pytest.fixture
def importtime_safepip(safepip_argv):
    def call(*args, env):
        # As a user runs it: SAFEPIP_TRACE (on for the rest of the suite) would load json.
        env = {k: v for k, v in env.items() if k != "SAFEPIP_TRACE"}
        return run([sys.executable, "-X", "importtime", *safepip_argv[1:], *args], env=env)

    return call


@pytest.fixture
def requirements(tmp_path, wheels):
    return pinned_requirements(tmp_path / "requirements.txt", wheels, ALPHA)


def test_a_command_passed_on_imports_nothing_heavy(importtime_safepip, safepip_env):
    result = importtime_safepip("--version", env=safepip_env)
    assert result.returncode == 0, result.stderr
    modules = imported(result.stderr)
    assert "safepip.cli" in modules
    assert modules & {*NEVER_ON_THE_NORMAL_PATH, "safepip.recovery", "safepip.detector"} == set()


def test_an_install_that_goes_well_imports_nothing_a_recovery_needs(
    importtime_safepip, safepip_env, index, requirements
):
    result = importtime_safepip("install", *index.pip_args(), "-r", requirements, env=safepip_env)
    assert result.returncode == 0, result.stderr
    modules = imported(result.stderr)
    assert {"safepip.recovery", "safepip.detector"} <= modules
    assert modules & set(NEVER_ON_THE_NORMAL_PATH) == set()


def test_a_recovery_imports_them_when_it_needs_them(
    importtime_safepip, safepip_env, index, requirements, target_venv, tmp_path
):
    warm = run(
        [target_venv, "-m", "pip", "download", "-d", tmp_path / "dl", *index.pip_args(), "-r", requirements],
        env=safepip_env,
    )
    assert warm.returncode == 0, warm.stderr
    body = cache_body(Path(safepip_env["PIP_CACHE_DIR"]), index.file_url(ALPHA))
    body.write_bytes(corrupted(body.read_bytes()))

    result = importtime_safepip("install", *index.pip_args(), "-r", requirements, env=safepip_env)

    assert result.returncode == 0, result.stderr
    assert "Fixed by evict-and-retry (2 pip runs" in result.stderr
    assert {"tenacity", "filelock", "safepip.eviction"} <= imported(result.stderr)
    assert "virtualenv" not in imported(result.stderr)  # no fresh virtualenv was needed
