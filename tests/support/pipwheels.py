"""The pip releases the matrix runs against, and the wheelhouse that holds their wheels.

One place for both, read by scripts/test (which downloads the wheels before pytest starts),
scripts/matrix, the benchmark and the tests. Standard library only: scripts/test reads it with
the machine's Python, before .venv exists.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERSIONS_FILE = ROOT / "tests" / "matrix" / "pip-versions.txt"
WHEELHOUSE_VARIABLE = "SAFEPIP_TEST_PIP_WHEELHOUSE"


def versions() -> list[str]:
    """The versions in tests/matrix/pip-versions.txt, in order (the newest last)."""
    lines = VERSIONS_FILE.read_text(encoding="utf-8").splitlines()
    return [v.strip() for v in lines if v.strip() and not v.lstrip().startswith("#")]


def wheelhouse() -> Path:
    """Where the pip wheels are kept: SAFEPIP_TEST_PIP_WHEELHOUSE, else .ci-cache/pip-wheels."""
    return Path(os.environ.get(WHEELHOUSE_VARIABLE) or ROOT / ".ci-cache" / "pip-wheels")
