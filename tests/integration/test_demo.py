"""scripts/demo, README's first command, keeps working: plain pip fails, safepip fixes it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests.support.envs import run

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_reproduces_the_seed_failure_and_fixes_it(env, tmp_path):
    demo_env = {**env, "TMPDIR": str(tmp_path), "TEMP": str(tmp_path), "TMP": str(tmp_path)}
    result = run([sys.executable, ROOT / "scripts" / "demo", "--inside-venv"], env=demo_env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE" in result.stderr
    assert "[plain pip exited 1]" in result.stdout
    assert "[safepip exited 0]" in result.stdout
    assert "Fixed by evict-and-retry (2 pip runs" in result.stderr
    assert "The index served the wheel 2 times" in result.stdout
    # It cleans up after itself.
    assert not list(tmp_path.glob("safepip-demo-*"))
