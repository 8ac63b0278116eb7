"""scripts/bench.py keeps working: a tiny run prints every figure with its target.

The timings of so small a run mean nothing and are not checked (targets belong to the benchmark,
never to tests). What is checked is that each figure is measured, and the few figures that are
facts rather than timings: the pip runs of a recovery, the downloads of the fresh virtualenv, the
modules a normal install imports.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from tests.support.envs import run

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

FIGURES = (
    "start-up on top of pip",
    "imports on the passthrough path",
    "heavy modules imported on the passthrough path",
    "imports on the normal install path",
    "heavy modules imported on the normal install path",
    "normal path: 6 small packages, safepip on top of pip",
    "normal path: 6 small packages, pip's --log alone (safepip adds it)",
    "normal path: 6 small packages, a do-nothing Python wrapper",
    "normal path: 2 packages, safepip on top of pip",
    "recovery: safepip / the ideal by hand",
    "recovery: safepip / `pip install --no-cache-dir`",
    "recovery, JSON index: safepip / the ideal by hand",
    "recovery, JSON index: safepip / `pip install --no-cache-dir`",
    "recovery: pip runs for a cache-caused mismatch",
    "recovery, JSON index: pip runs for a cache-caused mismatch",
    "recovery: helper processes besides pip, run side by side",
    "recovery: safepip's own time",
    "recovery: downloads (bad entries once, good ones never)",
    "recovery: bad files the run report names",
    "recovery, 2 bad entries: safepip / the ideal by hand",
    "recovery, JSON index, 2 bad entries: safepip / the ideal by hand",
    "recovery, 2 bad entries: pip runs for a cache-caused mismatch",
    "recovery, 2 bad entries: downloads (bad entries once, good ones never)",
    "recovery, 2 bad entries: bad files the run report names",
    "scan by content: the synthetic cache",
    "scan by content: bytes read / candidates' bytes",
    "scan by content, warm page cache: time / reading each candidate once",
    "scan by content, warm page cache: time / reading and hashing each once",
    "URL known: bytes read to evict (no scan)",
    "fresh virtualenv: safepip's",
    "fresh virtualenv: downloads while creating it",
    "memory: peak",
    "reading pip's log (",
    "reading pip's report (every captured pip output)",
)


def test_a_smoke_run_prints_every_figure(env, tmp_path):
    bench_env = {**env, "TMPDIR": str(tmp_path), "TEMP": str(tmp_path), "TMP": str(tmp_path)}
    # This checkout's safepip, whichever one the environment has installed.
    bench = [sys.executable, ROOT / "scripts" / "bench.py", "--inside-venv", "--smoke", "--src", ROOT / "src"]
    result = run(bench, env=bench_env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("\nfigure ", 1)[1]
    for figure in FIGURES:
        assert figure in table, f"{figure!r} missing from:\n{table}"
    rows = {line[:80].rstrip(): line for line in table.splitlines()}

    def row(start: str) -> str:
        return next(line for name, line in rows.items() if name.startswith(start))

    for index in ("", ", JSON index", ", 2 bad entries", ", JSON index, 2 bad entries"):
        runs = row(f"recovery{index}: pip runs for a cache-caused mismatch")
        assert re.search(r"\s2\s+exactly 2\s+PASS$", runs)
        assert row(f"recovery{index}: downloads (bad entries once").endswith("PASS")
        assert row(f"recovery{index}: bad files the run report names").endswith("PASS")
    assert re.search(r"\s0 \(pip [\d.]+ seeded .*\)\s+0\s+PASS$", row("fresh virtualenv: downloads"))
    assert re.search(r"\snone\s+none\s+PASS$", row("heavy modules imported on the normal install path"))
    # Each target printed beside its figure, in added milliseconds and as a ratio.
    assert re.search(r" ms, \d\.\d{3}x .*<= \+25 ms", row("normal path: 6 small packages, safepip"))
    # It cleans up after itself.
    assert not list(tmp_path.glob("safepip-bench-*"))
