"""What safepip imports decides what every pip command pays: the normal path imports only what
Python has loaded at start-up, plus ``signal``; everything else waits for where it is needed.

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
#: safepip's modules on the normal path (docs/design.md, "The normal path").
NORMAL_PATH = {
    "safepip",
    "safepip.cli",
    "safepip.errors",
    "safepip.interrupts",
    "safepip.trace",
    "safepip.watch",
    "safepip.commands",
    "safepip.config",
    "safepip.config.invocation",
    "safepip.output",
    "safepip.output.console",
    "safepip.pip",
    "safepip.pip.args",
    "safepip.pip.launch",
    "safepip.pip.log",
    "safepip.pip.options",
    "safepip.pip.runner",
    "safepip.pip.target",
}


def imported(stderr: str) -> set[str]:
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", stderr, re.MULTILINE))


@pytest.fixture(scope="module")
def python_at_start() -> set[str]:
    """What the interpreter imports for `import signal` alone, `from __future__` included (and
    runpy, which starts this checkout's safepip in the tests: see tests/support/envs.safepip_from)."""
    code = "from __future__ import annotations\nimport runpy, signal"
    bare = run([sys.executable, "-X", "importtime", "-c", code], env={})
    return imported(bare.stderr)


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


def test_a_command_passed_on_imports_nothing_but_the_normal_path(
    importtime_safepip, safepip_env, python_at_start
):
    result = importtime_safepip("--version", env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert imported(result.stderr) - python_at_start == NORMAL_PATH


def test_an_install_that_goes_well_imports_nothing_but_the_normal_path(
    importtime_safepip, safepip_env, index, requirements, python_at_start
):
    result = importtime_safepip("install", *index.pip_args(), "-r", requirements, env=safepip_env)
    assert result.returncode == 0, result.stderr
    assert imported(result.stderr) - python_at_start == NORMAL_PATH


def test_a_recovery_imports_what_it_needs_when_it_needs_it(
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
    modules = imported(result.stderr)
    assert {"tenacity", "filelock", "safepip.recovery.ladder", "safepip.recovery.eviction"} <= modules
    assert "virtualenv" not in modules  # no fresh virtualenv was needed
