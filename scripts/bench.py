#!/usr/bin/env python3
"""safepip against plain pip, in one run: every performance figure beside its target.

    python3 scripts/bench.py              # the full run (a few minutes on 2 cores); README's table
    python3 scripts/bench.py --smoke      # a tiny run, for the test suite: every figure, no meaning
    python3 scripts/bench.py --markdown   # the table as Markdown, for README

Everything runs offline, in a temporary folder, with the test suite's own parts (the lab,
scripts/benchmarks/lab.py). Timings are medians of alternating runs, so a slow moment of the machine
hits safepip and pip alike; the figures are ratios against plain pip (or against the best a person
could do by hand) measured in the same run.

The figures come in sections, run in this order, one module each in scripts/benchmarks/ (its
docstring says what it measures): start-up, the normal path, recovery, finding an entry by content
(scan), the fresh-virtualenv rung, memory. ``--only SECTION`` runs some of them.

It exits 0 even when a target is missed (it is a report), unless ``--strict`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import devenv
from benchmarks.figures import Report
from benchmarks.fresh_venv import fresh_venv
from benchmarks.lab import Lab
from benchmarks.memory import memory
from benchmarks.normal_path import normal_path
from benchmarks.recovery import recovery
from benchmarks.scan import scan
from benchmarks.sizes import GB, KB, MB, human, size
from benchmarks.startup import startup

INSIDE = "--inside-venv"
SECTIONS = {
    "startup": startup,
    "normal": normal_path,
    "recovery": recovery,
    "scan": scan,
    "fresh-venv": fresh_venv,
    "memory": memory,
}


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny, fast run: every figure, no meaning")
    parser.add_argument("--runs", type=int, default=5, help="alternating runs per timed figure (default 5)")
    parser.add_argument("--startup-runs", type=int, default=15, help="runs of each --version (default 15)")
    parser.add_argument("--packages", type=int, default=20, help="packages installed (default 20)")
    parser.add_argument("--package-size", type=size, default=MB, help="size of each (default 1MB)")
    parser.add_argument(
        "--throttle", type=size, default=4 * MB, help="index speed per response, per second (default 4MB)"
    )
    parser.add_argument(
        "--bad-entries",
        type=int,
        default=3,
        help="corrupted cache entries of the second recovery (default 3)",
    )
    parser.add_argument(
        "--scan-entries", type=int, default=2000, help="entries of the synthetic cache (default 2000)"
    )
    parser.add_argument("--scan-size", type=size, default=GB, help="its size (default 1GB)")
    parser.add_argument("--log-size", type=size, default=100 * MB, help="the big pip log (default 100MB)")
    parser.add_argument("--small-log", type=size, default=MB, help="the small pip log (default 1MB)")
    parser.add_argument("--only", action="append", choices=sorted(SECTIONS), help="run only these figures")
    parser.add_argument(
        "--src", type=Path, help="measure the safepip in this src/ folder (another checkout) instead"
    )
    parser.add_argument("--markdown", action="store_true", help="print the final table as Markdown")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where")
    parser.add_argument(INSIDE, dest="inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs, args.startup_runs, args.packages, args.package_size = 1, 2, 2, 64 * KB
        args.throttle, args.scan_entries, args.scan_size = 4 * MB, 60, 2 * MB
        args.log_size, args.small_log, args.bad_entries = 2 * MB, 256 * KB, 2
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    # Any python3 may have started this; only .venv has safepip, its dependencies and the test extras.
    if not args.inside and Path(sys.prefix).resolve() != devenv.VENV.resolve():
        python = devenv.ensure("test")
        forwarded = [a for a in (sys.argv[1:] if argv is None else argv) if a != INSIDE]
        return subprocess.run([str(python), str(Path(__file__).resolve()), INSIDE, *forwarded]).returncode
    # The lab is built from the test suite's own parts (tests.support).
    sys.path.insert(0, str(devenv.ROOT))
    started = time.perf_counter()
    report = measure(args)
    print_summary(args, report, time.perf_counter() - started)
    if args.json:
        args.json.write_text(
            json.dumps([f.__dict__ for f in report.figures], indent=2, default=str) + "\n", encoding="utf-8"
        )
    missed = [f for f in report.figures if f.ok is False]
    return 1 if args.strict and missed else 0


def measure(args: argparse.Namespace) -> Report:
    """Run the chosen sections in a lab of their own, in a temporary folder removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix="safepip-bench-"))
    report = Report()
    lab = None
    try:
        lab = Lab(work, args)
        for name, section in SECTIONS.items():
            if not args.only or name in args.only:
                began = time.perf_counter()
                section(lab, report)
                print(f"  ({name}: {time.perf_counter() - began:.0f} s)", flush=True)
    finally:
        if lab is not None:
            lab.close()
        if args.keep:
            print(f"(bench files kept in {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return report


def print_summary(args: argparse.Namespace, report: Report, elapsed: float) -> None:
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
    machine += f", Python {platform.python_version()}"
    print()
    print(f"safepip bench, {time.strftime('%Y-%m-%d')}, {machine}, {elapsed:.0f} s")
    print(
        f"packages: {args.packages} x {human(args.package_size)}, index throttled to "
        f"{human(args.throttle)}/s, medians of {args.runs} alternating runs per figure "
        f"({1 if args.smoke else 6 * args.runs} for the normal path)"
    )
    print(report.table(args.markdown))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
