"""Start-up: what safepip costs every pip command before pip itself runs.

``safepip --version`` (passed on to pip untouched) against ``python -m pip --version``, and which
modules safepip imports (``python -X importtime``) on the passthrough and normal paths.
"""

from __future__ import annotations

import re
import subprocess
import sys

from benchmarks.figures import Report, median
from benchmarks.lab import Lab, rotations, timed

#: Modules that only a recovery needs: importing them on the normal path costs every pip command.
HEAVY = ("virtualenv", "tenacity", "filelock", "packaging.requirements", "json", "platform", "uuid")


def _import_times(stderr: str) -> dict[str, int]:
    """``python -X importtime`` output: module -> its own import time in microseconds."""
    found: dict[str, int] = {}
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|( *)(\S+)", line)
        if match:
            found[match.group(3)] = int(match.group(1))
    return found


def startup(lab: Lab, report: Report) -> None:
    print("start-up", flush=True)
    target = lab.fresh_target()
    env = lab.env_for(target, lab.warm_cache)
    pip = [lab.python(target), "-m", "pip"]
    times: dict[str, list[float]] = {"safepip": [], "pip": []}
    for order in rotations(["safepip", "pip"], 2 * lab.args.startup_runs):
        for who in order:
            argv = [*lab.safepip, "--version"] if who == "safepip" else [*pip, "--version"]
            seconds, code = timed(argv, env, lab.log("startup"))
            assert code == 0, f"{who} --version failed; see {lab.log('startup')}"
            times[who].append(seconds)
    extra_ms = (median(times["safepip"]) - median(times["pip"])) * 1000
    report.add(
        "start-up on top of pip (`safepip --version`)",
        f"{extra_ms:+.0f} ms ({median(times['safepip']) * 1000:.0f} vs {median(times['pip']) * 1000:.0f} ms)",
        "<= 25 ms",
        extra_ms <= 25,
        extra_ms,
    )
    bare = subprocess.run([sys.executable, "-X", "importtime", "-c", "pass"], capture_output=True, text=True)
    baseline = _import_times(bare.stderr)
    paths = {
        "passthrough": [*lab.safepip_python("-X", "importtime"), "--version"],
        "normal install": [*lab.safepip_python("-X", "importtime"), *lab.install_args()],
    }
    for label, argv in paths.items():
        if label == "normal install":
            target = lab.fresh_target()
            env = lab.env_for(target, lab.warm_cache)
        proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        imported = _import_times(proc.stderr)
        own = sum(us for name, us in imported.items() if name not in baseline) / 1000
        heavy = sorted(m for m in HEAVY if m in imported)
        report.add(f"imports on the {label} path (`-X importtime`)", f"{own:.0f} ms", "-", None, own)
        report.add(
            f"heavy modules imported on the {label} path",
            ", ".join(heavy) or "none",
            "none",
            not heavy,
        )
