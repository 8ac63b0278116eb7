#!/usr/bin/env python3
"""safepip against plain pip, in one run: every performance figure of issue 7 beside its target.

    python3 scripts/bench.py              # the full run (a few minutes on 2 cores); README's table
    python3 scripts/bench.py --smoke      # a tiny run, for the test suite: every figure, no meaning
    python3 scripts/bench.py --markdown   # the table as Markdown, for README

Everything runs offline, in a temporary folder, with the test suite's own parts: a PEP 503 index on
127.0.0.1 (tests/support/index.py) throttled to a realistic transfer speed, real wheels
(tests/support/wheels.py), throwaway virtualenvs and an environment isolated from this machine's
pip configuration (tests/support/envs.py). Timings are medians of alternating runs, so a slow
moment of the machine hits safepip and pip alike; the figures are ratios against plain pip (or
against the best a person could do by hand) measured in the same run.

The figures:

* start-up: ``safepip --version`` (passed on to pip untouched) against ``python -m pip --version``,
  and which modules safepip imports (``python -X importtime``) on the passthrough and normal paths;
* normal path: a warm-cache install of N hash-pinned packages through safepip against plain pip
  (and what pip's ``--log`` alone costs);
* recovery: one corrupted cache entry among N cached packages. safepip's whole run against the
  ideal by hand (the failing pip run, deleting exactly that entry, one more pip run) and against
  ``pip install --no-cache-dir`` alone, the usual remedy; and how many pip runs it took;
* finding an entry by content (pip printed no URL) in a synthetic cache of 2,000 entries and 1 GB:
  the bytes read against the bytes of the candidates, the time against reading them once; and the
  same eviction when the URL is known (no scan at all);
* the fresh-virtualenv rung: safepip's virtualenv (app-data seeding) against ``python -m venv``
  followed by ``pip install --upgrade pip`` (from the local index, so it is offline and fair);
* memory: safepip's peak memory reading a 1 MB and a 100 MB pip log.

It exits 0 even when a target is missed (it is a report), unless ``--strict`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.index import PackageIndex

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import devenv  # noqa: E402

INSIDE = "--inside-venv"
# Runs `python -m safepip` with a given src/ first on sys.path (as tests/conftest.py does). Not through
# PYTHONPATH, which safepip would hand on to pip.
_BOOTSTRAP = (
    "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
    "runpy.run_module('safepip', run_name='__main__', alter_sys=True)"
)
KB, MB, GB = 1024, 1024 * 1024, 1024 * 1024 * 1024
#: Modules that only a recovery needs: importing them on the normal path costs every pip command.
HEAVY = ("virtualenv", "tenacity", "filelock", "packaging.requirements", "json", "platform", "uuid")
HEAD = "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE"


# -- figures ----------------------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    measured: str
    target: str = "-"
    #: True/False against the target; None for a figure shown for information only.
    ok: bool | None = None
    value: float | None = None

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: ""}[self.ok]


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, name: str, measured: str, target: str = "-", ok: bool | None = None, value=None) -> None:
        figure = Figure(name, measured, target, ok, value)
        self.figures.append(figure)
        print(f"  {figure.name}: {figure.measured}  [{figure.target}] {figure.verdict}", flush=True)

    def table(self, markdown: bool) -> str:
        rows = [(f.name, f.measured, f.target, f.verdict) for f in self.figures]
        header = ("figure", "measured", "target", "")
        if markdown:
            lines = ["| figure | measured | target | |", "|---|---|---|---|"]
            lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
            return "\n".join(lines)
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        out = []
        for row in [header, *rows]:
            out.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        return "\n".join(out)


# -- sizes and timing -------------------------------------------------------------------------------


def size(text: str) -> int:
    """``"1GB"``, ``"512KB"``, ``"2MB"``, ``"1000"``: bytes (binary units)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMG]?)B?\s*", text.upper())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    return int(float(match.group(1)) * {"": 1, "K": KB, "M": MB, "G": GB}[match.group(2)])


def human(n: float) -> str:
    for unit, factor in (("GB", GB), ("MB", MB), ("KB", KB)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n:.0f} B"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed(
    argv: Sequence[object], env: dict[str, str], log: Path, cwd: Path | None = None
) -> tuple[float, int]:
    """Run a command with its output into `log`; (seconds, exit code)."""
    with open(log, "ab") as out:
        start = time.perf_counter()
        code = subprocess.run(
            [str(a) for a in argv], env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=cwd
        ).returncode
        return time.perf_counter() - start, code


def settle(lab: Lab) -> None:
    """Let the disk catch up with what setting up wrote, so the writing does not slow a timed run."""
    if hasattr(os, "sync") and not lab.args.smoke:  # a smoke run measures nothing
        os.sync()


def rotations(names: Sequence[str], repeats: int) -> Iterator[list[str]]:
    """Each repeat runs every variant once, in an order that rotates: nobody always goes first."""
    for n in range(repeats):
        shift = n % len(names)
        yield list(names[shift:]) + list(names[:shift])


# -- the lab: an isolated environment, a throttled index, wheels, a template virtualenv --------------


class Lab:
    def __init__(self, work: Path, args: argparse.Namespace) -> None:
        from tests.support.envs import create_venv, isolated_env
        from tests.support.index import PackageIndex
        from tests.support.wheels import build_wheel, sha256_file

        self.work = work
        self.args = args
        self.env = isolated_env(work / "home")
        # As on a user's machine: Python writes bytecode, and nothing traces safepip.
        for variable in ("PYTHONDONTWRITEBYTECODE", "SAFEPIP_TRACE"):
            self.env.pop(variable, None)
        self.logs = work / "logs"
        self.logs.mkdir()
        self.template = work / "template"
        create_venv(self.template, app_data=work / "test-app-data")
        # Byte-compiled, as an environment is once its pip has run (each copy then starts warm).
        self.compile(self.template)
        self.wheels = [
            build_wheel(work / "wheels", f"bench-{i:02d}", "1.0", payload_size=args.package_size)
            for i in range(args.packages)
        ]
        self.requirements = work / "requirements.txt"
        self.requirements.write_text(
            "".join(
                f"bench-{i:02d}==1.0 --hash=sha256:{sha256_file(w)}\n" for i, w in enumerate(self.wheels)
            ),
            encoding="utf-8",
        )
        # The same wheels from two indexes: HTML pages with #sha256= links (PEP 503, most mirrors)
        # and PEP 691 JSON (PyPI, to pip 22.2+), where pip's report shows no hash of the index's.
        self.index = PackageIndex(work / "index", throttle=args.throttle).start()
        self.json_index = PackageIndex(work / "json-index", throttle=args.throttle, json_api=True).start()
        for index in (self.index, self.json_index):
            for wheel in self.wheels:
                index.add(wheel)
        # safepip as a user runs it: the console script of its environment, modules byte-compiled
        # as an installation leaves them. With --src, the safepip of another checkout (before and
        # after a change), run like `python -m safepip` with that src/ first on sys.path.
        script = Path(sys.executable).with_name("safepip" + (".exe" if os.name == "nt" else ""))
        if args.src is not None:
            self.safepip = self.safepip_python()
            self.probe_env = dict(self.env, PYTHONPATH=str(args.src))
            package = args.src / "safepip"
        else:
            self.safepip = [str(script)] if script.exists() else self.safepip_python()
            self.probe_env = self.env
            import safepip

            package = Path(safepip.__file__).parent
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
        self.warm_cache = work / "warm-cache"
        self.json_warm_cache = work / "json-warm-cache"
        self._warm(self.index, self.warm_cache)
        self._warm(self.json_index, self.json_warm_cache)
        self._target: Path | None = None

    def _warm(self, index: PackageIndex, cache: Path) -> None:
        """pip's cache as after an earlier install of the same requirements (fetched unthrottled)."""
        throttle, index.throttle = index.throttle, None
        try:
            env = dict(self.env, PIP_CACHE_DIR=str(cache))
            downloads = cache.with_name(cache.name + "-downloads")
            pip = [self.python(self.template), "-m", "pip", "download", "-d", downloads]
            _, code = timed([*pip, *self.install_args(index)[1:]], env, self.logs / "warm.log")
            if code != 0:
                raise SystemExit(f"bench: pip could not fill its cache; see {self.logs / 'warm.log'}")
        finally:
            index.throttle = throttle

    def close(self) -> None:
        self.index.stop()
        self.json_index.stop()

    def safepip_python(self, *flags: str) -> list[str]:
        """``python [flags] -m safepip``, for this checkout's safepip or the one of --src."""
        if self.args.src is None:
            return [sys.executable, *flags, "-m", "safepip"]
        return [sys.executable, *flags, "-c", _BOOTSTRAP, str(self.args.src)]

    def compile(self, venv: Path) -> None:
        subprocess.run([self.python(venv), "-m", "compileall", "-q", str(venv)], check=True, env=self.env)

    @staticmethod
    def python(venv: Path) -> Path:
        return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    def fresh_target(self) -> Path:
        """The environment installed into, as new: a copy of the template made once, and emptied of
        what the last run installed (quicker than a new copy of a thousand files each time)."""
        from tests.support.envs import clone_venv, site_packages

        if self._target is None:
            self._target = self.work / "target"
            clone_venv(self.template, self._target)
        for path in site_packages(self._target).iterdir():
            if path.name.startswith("bench_"):
                shutil.rmtree(path)
        return self._target

    def env_for(self, target: Path, cache: Path | None = None) -> dict[str, str]:
        """The environment with `target` activated, as a shell's ``activate`` leaves it."""
        env = dict(self.env, VIRTUAL_ENV=str(target))
        env["PATH"] = os.pathsep.join([str(self.python(target).parent), self.env.get("PATH", os.defpath)])
        if cache is not None:
            env["PIP_CACHE_DIR"] = str(cache)
        return env

    def install_args(self, index: PackageIndex | None = None) -> list[str]:
        return ["install", *(index or self.index).pip_args(), "-r", str(self.requirements)]

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"


# -- start-up ---------------------------------------------------------------------------------------


def _import_times(stderr: str) -> dict[str, int]:
    """``python -X importtime`` output: module -> its own import time in microseconds."""
    found = {}
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
        "<= 50 ms",
        extra_ms <= 50,
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


# -- the normal path --------------------------------------------------------------------------------


def normal_path(lab: Lab, report: Report) -> None:
    print(f"normal path: warm-cache install of {lab.args.packages} packages", flush=True)
    cache = lab.work / "normal-cache"
    shutil.copytree(lab.warm_cache, cache)
    # What any wrapper pays: a Python that starts pip and waits (safepip's interpreter, no imports).
    wrapper = [sys.executable, "-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"]
    times: dict[str, list[float]] = {"pip": [], "pip --log": [], "python wrapper": [], "safepip": []}
    # The tightest target, within the noise of single runs, and the cheapest runs: six times as many
    # rounds as the other figures (and one more first, to warm the machine's caches).
    rounds = 1 if lab.args.smoke else 6 * lab.args.runs
    for n, order in enumerate(rotations(list(times), rounds + 1)):
        for who in order:
            target = lab.fresh_target()
            env = lab.env_for(target, cache)
            settle(lab)
            args = lab.install_args()
            pip = [lab.python(target), "-m", "pip", *args]
            if who == "safepip":
                argv = [*lab.safepip, *args]
            elif who == "python wrapper":
                argv = [*wrapper, *pip]
            elif who == "pip --log":
                argv = [*pip[:4], "--log", str(lab.work / f"pip-{n}.log"), *pip[4:]]
            else:
                argv = pip
            seconds, code = timed(argv, env, lab.log("normal"))
            assert code == 0, f"{who} install failed; see {lab.log('normal')}"
            if n > 0:  # the first round only warms the machine's caches
                times[who].append(seconds)
    pip, logged, wrapped, ours = (median(times[k]) for k in ("pip", "pip --log", "python wrapper", "safepip"))
    ratio = ours / pip
    report.add(
        f"normal path: warm-cache install of {lab.args.packages}, safepip / pip",
        f"{ratio:.3f}x ({ours:.2f} s vs {pip:.2f} s, {(ours - pip) * 1000:+.0f} ms)",
        "<= 1.03x",
        ratio <= 1.03,
        ratio,
    )
    for label, value in (
        ("pip's --log alone (which safepip adds)", logged),
        ("a do-nothing Python wrapper", wrapped),
    ):
        report.add(
            f"normal path: {label} / pip",
            f"{value / pip:.3f}x ({(value - pip) * 1000:+.0f} ms)",
            "-",
            None,
            value / pip,
        )
    if len(times["pip"]) >= 2:
        # How much single runs differ: what a median of this many runs can and cannot resolve.
        low, _, high = statistics.quantiles(times["pip"], n=4)
        report.add(
            "normal path: single pip runs, middle half",
            f"{low:.2f} s to {high:.2f} s (+-{(high - low) / 2 * 1000:.0f} ms), {len(times['pip'])} runs",
        )


# -- recovery from one corrupted cache entry ---------------------------------------------------------


def _corrupt_copy(lab: Lab, dest: Path, victim: str, index: PackageIndex) -> tuple[Path, Path]:
    """A copy of the warm cache with `victim`'s cached body damaged; (record, body) of that entry."""
    from tests.support.index import corrupted

    from safepip.pipcache import cache_key

    shutil.copytree(lab.json_warm_cache if index is lab.json_index else lab.warm_cache, dest)
    key = cache_key(index.file_url(victim))
    record = dest.joinpath("http-v2", *key[:5], key)
    body = record.with_name(key + ".body")
    body.write_bytes(corrupted(body.read_bytes()))
    return record, body


def recovery(lab: Lab, report: Report) -> None:
    victim = lab.wheels[len(lab.wheels) // 2].name
    for index, label in ((lab.index, ""), (lab.json_index, ", JSON index")):
        print(
            f"recovery{label}: one corrupted entry among {lab.args.packages} cached packages of "
            f"{human(lab.args.package_size)}, index at {human(lab.args.throttle)}/s",
            flush=True,
        )
        _recovery(lab, report, victim, index, label)
    _recovery_trace(lab, report, victim)


def _recovery(lab: Lab, report: Report, victim: str, index: PackageIndex, label: str) -> None:
    times: dict[str, list[float]] = {"by hand": [], "safepip": [], "--no-cache-dir": []}
    args = lab.install_args(index)
    for n, order in enumerate(rotations(list(times), lab.args.runs)):
        for who in order:
            name = f"{who.strip('-').replace(' ', '-')}-{n}{label and '-json'}"
            target = lab.fresh_target()
            cache = lab.work / "recovery-caches" / name
            record, body = _corrupt_copy(lab, cache, victim, index)
            env = lab.env_for(target, cache)
            log = lab.log(f"recovery-{name}")
            pip = [lab.python(target), "-m", "pip"]
            settle(lab)
            if who == "by hand":
                start = time.perf_counter()
                _, failed = timed([*pip, *args], env, log)
                # A person reads the error and removes exactly that entry: both files of http-v2.
                record.unlink()
                body.unlink()
                _, code = timed([*pip, *args], env, log)
                seconds = time.perf_counter() - start
                assert failed != 0 and HEAD in log.read_text(errors="replace"), f"pip did not fail; see {log}"
            elif who == "safepip":
                seconds, code = timed([*lab.safepip, *args], env, log)
                assert "Fixed by evict-and-retry (2 pip runs" in log.read_text(errors="replace"), log
            else:
                seconds, code = timed([*pip, args[0], "--no-cache-dir", *args[1:]], env, log)
            assert code == 0, f"{who} did not install; see {log}"
            times[who].append(seconds)
            shutil.rmtree(cache)
    hand, ours, no_cache = (median(times[k]) for k in ("by hand", "safepip", "--no-cache-dir"))
    report.add(
        f"recovery{label}: safepip / the ideal by hand",
        f"{ours / hand:.3f}x ({ours:.2f} s vs {hand:.2f} s)",
        "<= 1.15x",
        ours / hand <= 1.15,
        ours / hand,
    )
    report.add(
        f"recovery{label}: safepip / `pip install --no-cache-dir`",
        f"{ours / no_cache:.3f}x ({ours:.2f} s vs {no_cache:.2f} s)",
        "<= 0.35x",
        ours / no_cache <= 0.35,
        ours / no_cache,
    )


def _recovery_trace(lab: Lab, report: Report, victim: str) -> None:
    """One more recovery per index, traced: pip runs and helpers, and safepip's own time."""
    for index, label in ((lab.index, ""), (lab.json_index, ", JSON index")):
        target = lab.fresh_target()
        cache = lab.work / "recovery-caches" / "traced"
        _corrupt_copy(lab, cache, victim, index)
        trace, run_report = lab.work / "trace.jsonl", lab.work / "run-report.json"
        trace.unlink(missing_ok=True)
        env = dict(lab.env_for(target, cache), SAFEPIP_TRACE=str(trace))
        argv = [*lab.safepip, *lab.install_args(index), "--safepip-report", run_report]
        seconds, code = timed(argv, env, lab.log("traced"))
        assert code == 0, f"safepip did not recover; see {lab.log('traced')}"
        records = [
            json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        pip_runs = sum(1 for r in records if r["kind"] == "pip")
        helpers = [_helper_name(r["argv"]) for r in records if r["kind"] == "helper"]
        attempts = json.loads(run_report.read_text(encoding="utf-8"))["attempts"]
        own = seconds - sum(a["duration"] for a in attempts)
        report.add(
            f"recovery{label}: pip runs for a cache-caused mismatch",
            str(pip_runs),
            "exactly 2",
            pip_runs == 2,
        )
        report.add(
            f"recovery{label}: helper processes besides pip, run side by side",
            f"{len(helpers)}" + (f" ({', '.join(helpers)})" if helpers else ""),
            "-",
            None,
            len(helpers),
        )
        report.add(
            f"recovery{label}: safepip's own time (start-up, probes, eviction)",
            f"{own * 1000:.0f} ms",
            "-",
            None,
            own,
        )
        shutil.rmtree(cache)


def _helper_name(argv: list[str]) -> str:
    if argv[1:3] == ["-m", "pip"]:
        return "pip " + " ".join(a for a in argv[3:] if not a.startswith("-"))[:20]
    if "safepip-published" in " ".join(argv):
        return "the index's hashes"
    return "the target's pip version"


# -- finding an entry by content ---------------------------------------------------------------------

_SCAN_PROBE = r"""
import json, sys, time, hashlib
from pathlib import Path
mode, cache, digest, url = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
files = [Path(p) for p in sys.argv[5:]]
from safepip import eviction
from safepip.detector import Mismatch

def rchar():
    try:
        with open("/proc/self/io") as f:
            return int(next(l for l in f if l.startswith("rchar:")).split()[1])
    except OSError:
        return None

record = Mismatch(name=None, version=None, url=url if mode == "url" else None, expected=("0" * 64,),
                  got=digest, algorithm="sha256")
before, start = rchar(), time.perf_counter()
if mode in ("scan", "url"):
    bad, kept = eviction._bad_entries(cache, record)
    found = [str(p) for entry in bad for p in entry.files]
elif mode == "cat":
    found = []
    for path in files:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass
else:  # hash: read and hash each candidate once, one after another (what sha256sum does)
    found = []
    for path in files:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() == digest:
            found.append(str(path))
seconds = time.perf_counter() - start
after = rchar()
print(json.dumps({"seconds": seconds, "read": None if before is None else after - before, "found": found}))
"""


def _v1_record(body: bytes) -> bytes:
    """A response in pip's old ``http/`` layout: cachecontrol's ``cc=4,`` and a msgpack map."""
    return (
        b"cc=4,\x82\xa8response\x84\xa4body\xc6" + struct.pack(">I", len(body)) + body
        + b"\xa7headers\x80\xa6status\xcc\xc8\xa7version\x0b\xa4vary\x80"
    )  # fmt: skip


def build_cache(root: Path, entries: int, total: int, seed: int = 7) -> dict[str, object]:
    """A synthetic pip cache: mostly http-v2 entries, some of the old layout, some debris."""
    from safepip.pipcache import cache_key

    rng = random.Random(seed)
    block = rng.randbytes(2 * MB) if hasattr(rng, "randbytes") else os.urandom(2 * MB)
    # Body sizes spread like a real cache (many small files, some big), scaled to `total`.
    weights = [rng.lognormvariate(0, 1.2) for _ in range(entries)]
    scale = total / sum(w for n, w in enumerate(weights) if n % 20 not in (1, 2))  # those have no body
    sizes = [max(1, int(w * scale)) for w in weights]
    candidates: list[Path] = []
    candidate_bytes = 0
    target = None
    for n, body_size in enumerate(sizes):
        url = f"https://files.example.org/packages/{n:05d}/bench_{n:05d}-1.0-py3-none-any.whl"
        key = cache_key(url)
        # Unique bytes per entry: a counter, then a slice of the block repeated.
        head = n.to_bytes(8, "big")
        body = head + (block * (body_size // len(block) + 1))[n % 997 : n % 997 + body_size - len(head)]
        kind = n % 20
        if kind == 0:  # the old layout (pip <= 23.2): the body inside the record
            path = root.joinpath("http", *key[:5], key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_v1_record(body))
            candidates.append(path)
            candidate_bytes += path.stat().st_size
            continue
        record = root.joinpath("http-v2", *key[:5], key)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_bytes(b"cc=4," + rng.randbytes(600) if hasattr(rng, "randbytes") else os.urandom(600))
        if kind == 1:
            continue  # a record whose response had no body (a redirect)
        body_path = record.with_name(key + ".body")
        if kind == 2:
            body_path.write_bytes(b"")  # an empty body, left by an interrupted download
            continue
        body_path.write_bytes(body)
        candidates.append(body_path)
        candidate_bytes += len(body)
        if target is None and n >= entries // 2:
            import hashlib

            target = (url, hashlib.sha256(body).hexdigest(), len(body))
    # Debris that is no cache entry: a temporary file of pip's, a stray note.
    (root / "http-v2" / "tmpabc123.tmp").write_bytes(b"x" * 4096)
    (root / "http-v2" / "README").write_text("not a cache entry\n")
    assert target is not None
    on_disk = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return {
        "candidates": candidates,
        "candidate_bytes": candidate_bytes,
        "on_disk": on_disk,
        "files": sum(1 for p in root.rglob("*") if p.is_file()),
        "url": target[0],
        "digest": target[1],
        "target_size": target[2],
    }


def _drop_page_cache(files: Sequence[Path]) -> bool:
    """Ask the kernel to forget these files' pages (a cold read); False where it cannot be asked."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def scan(lab: Lab, report: Report) -> None:
    entries, total = lab.args.scan_entries, lab.args.scan_size
    print(f"finding an entry by content: {entries} entries, {human(total)}", flush=True)
    free = shutil.disk_usage(lab.work).free
    if free < total * 1.5:
        report.add("scan by content", f"skipped: {human(free)} free, {human(total)} needed", "-", None)
        return
    root = lab.work / "scan-cache"
    built = build_cache(root, entries, total)
    candidates: list[Path] = built["candidates"]  # type: ignore[assignment]
    candidate_bytes: int = built["candidate_bytes"]  # type: ignore[assignment]
    all_files = [p for p in root.rglob("*") if p.is_file()]

    def probe(mode: str, cold: bool) -> dict:
        if cold and not _drop_page_cache(all_files):
            return {}
        argv = [sys.executable, "-c", _SCAN_PROBE, mode, str(root), str(built["digest"]), str(built["url"])]
        proc = subprocess.run(
            argv + [str(p) for p in candidates], capture_output=True, text=True, env=lab.probe_env
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    results: dict[tuple[str, bool], list[dict]] = {}
    for cold in (False, True):
        for order in rotations(["scan", "cat", "hash"], max(3, lab.args.runs)):
            for mode in order:
                result = probe(mode, cold)
                if result:
                    results.setdefault((mode, cold), []).append(result)
    url_result = probe("url", False)
    scanned = results[("scan", False)][0]
    assert len(scanned["found"]) == 2, scanned  # the record and its body
    report.add(
        "scan by content: the synthetic cache",
        f"{built['files']} files, {human(built['on_disk'])}; {len(candidates)} candidates, "
        f"{human(candidate_bytes)}",
    )
    read = scanned["read"]
    if read is not None:
        ratio = read / candidate_bytes
        report.add(
            "scan by content: bytes read / candidates' bytes",
            f"{ratio:.3f}x ({human(read)} of {human(candidate_bytes)})",
            "<= 1.00x",
            ratio <= 1.0 + 1e-3,
            ratio,
        )
    # From disk, reading is the cost, and the scan must cost no more than reading each candidate
    # once; from memory, reading costs next to nothing and hashing is the cost, which must be no
    # more than hashing each candidate once, one after another.
    for cold in (True, False):
        if ("scan", cold) not in results:
            continue
        label = "cold page cache" if cold else "warm page cache"
        ours = median([r["seconds"] for r in results[("scan", cold)]])
        cat = median([r["seconds"] for r in results[("cat", cold)]])
        hashed = median([r["seconds"] for r in results[("hash", cold)]])
        report.add(
            f"scan by content, {label}: time / reading each candidate once (cat)",
            f"{ours / cat:.2f}x ({ours:.2f} s vs {cat:.2f} s)",
            "<= 1.10x" if cold else "-",
            ours / cat <= 1.10 if cold else None,
            ours / cat,
        )
        report.add(
            f"scan by content, {label}: time / reading and hashing each once (sha256sum)",
            f"{ours / hashed:.2f}x ({ours:.2f} s vs {hashed:.2f} s)",
            "-" if cold else "<= 1.00x",
            None if cold else ours / hashed <= 1.0,
            ours / hashed,
        )
    if url_result.get("read") is not None:
        report.add(
            "URL known: bytes read to evict (no scan)",
            f"{human(url_result['read'])} in {url_result['seconds'] * 1000:.1f} ms "
            f"(the entry: {human(built['target_size'])})",
            "<= the entry's size",
            url_result["read"] <= int(built["target_size"]) + 64 * KB,
            url_result["read"],
        )
    shutil.rmtree(root)


# -- the fresh virtualenv rung -----------------------------------------------------------------------


_CREATE = (
    "import sys; from pathlib import Path; from safepip import freshvenv; "
    "freshvenv.create(Path(sys.argv[1]), Path(sys.argv[2]))"
)


def newest_pip_wheel() -> Path | None:
    from packaging.version import Version

    wheelhouse = Path(os.environ.get("SAFEPIP_TEST_PIP_WHEELHOUSE") or ROOT / ".ci-cache" / "pip-wheels")
    wheels = list(wheelhouse.glob("pip-*.whl"))
    return max(wheels, key=lambda p: Version(p.name.split("-")[1])) if wheels else None


def fresh_venv(lab: Lab, report: Report) -> None:
    print("fresh virtualenv rung", flush=True)
    python = lab.python(lab.template)
    pip_wheel = newest_pip_wheel()
    if pip_wheel is not None:
        lab.index.add(pip_wheel)
    folder = lab.work / "fresh"
    folder.mkdir()
    # Any download virtualenv attempted would go to the local index, and be counted there.
    env = dict(lab.probe_env, PIP_INDEX_URL=lab.index.url, PIP_TRUSTED_HOST=lab.index.host)
    env.pop("VIRTUALENV_NO_DOWNLOAD", None)  # safepip itself must keep virtualenv offline
    before = len(lab.index.requests)
    cold, code = timed([sys.executable, "-c", _CREATE, python, folder / "cold"], env, lab.log("fresh"))
    requests = len(lab.index.requests) - before
    assert code == 0, f"freshvenv.create failed; see {lab.log('fresh')}"
    times: dict[str, list[float]] = {"safepip": [], "venv + pip upgrade": []}
    for n, order in enumerate(rotations(list(times), lab.args.runs)):
        for who in order:
            dest = folder / f"{n}-{who.split()[0]}"
            settle(lab)
            if who == "safepip":
                before = len(lab.index.requests)
                seconds, code = timed([sys.executable, "-c", _CREATE, python, dest], env, lab.log("fresh"))
                requests += len(lab.index.requests) - before
            elif pip_wheel is None:
                continue
            else:
                start = time.perf_counter()
                _, code = timed([python, "-m", "venv", dest], lab.env, lab.log("fresh"))
                if code == 0:
                    _, code = timed(
                        [lab.python(dest), "-m", "pip", "install", "--upgrade", "pip", *lab.index.pip_args()],
                        lab.env,
                        lab.log("fresh"),
                    )
                seconds = time.perf_counter() - start
            assert code == 0, f"{who} failed; see {lab.log('fresh')}"
            times[who].append(seconds)
            shutil.rmtree(dest)
    ours = median(times["safepip"])
    seeded = subprocess.run(
        [lab.python(folder / "cold"), "-m", "pip", "--version"], capture_output=True, text=True, env=lab.env
    ).stdout.split()[1:2]
    if times["venv + pip upgrade"]:
        theirs = median(times["venv + pip upgrade"])
        report.add(
            "fresh virtualenv: safepip's / `python -m venv` + pip upgrade",
            f"{ours / theirs:.2f}x ({ours:.2f} s vs {theirs:.2f} s; first ever: {cold:.2f} s)",
            "<= 0.50x",
            ours / theirs <= 0.5,
            ours / theirs,
        )
    else:
        report.add("fresh virtualenv: safepip's", f"{ours:.2f} s (no pip wheel to compare with)", "<= 0.50x")
    report.add(
        "fresh virtualenv: downloads while creating it",
        f"{requests} (pip {seeded[0] if seeded else '?'} seeded from virtualenv's app-data)",
        "0",
        requests == 0,
        requests,
    )


# -- memory -------------------------------------------------------------------------------------------

_MEMORY_PROBE = r"""
import json, sys, time
from pathlib import Path
from safepip import incomplete
from safepip.recovery import Recovery

def high_water():
    # This process's own peak resident memory. Not getrusage: on Linux its ru_maxrss also counts
    # the parent's memory, inherited at fork, before this process was exec'd.
    try:
        with open("/proc/self/status") as status:
            return 1024 * int(next(l for l in status if l.startswith("VmHWM:")).split()[1])
    except (OSError, StopIteration):
        return None

path = Path(sys.argv[1])
if high_water() is None:
    import tracemalloc
    tracemalloc.start()
start = time.perf_counter()
found = Recovery._read_mismatches(path, 0)
incomplete.find_in_log(path)
seconds = time.perf_counter() - start
if high_water() is not None:
    peak, how = high_water(), "peak RSS"
else:
    peak, how = tracemalloc.get_traced_memory()[1], "peak Python allocations"
print(json.dumps({"peak": peak, "how": how, "found": len(found), "seconds": seconds}))
"""


def write_hostile_log(path: Path, total: int) -> None:
    """About `total` bytes of reports that never end: a head cut short, then endless wrapped
    pieces and indented lines (what a garbled or hostile log could hold)."""
    piece = "x" * 99 + "\n"
    with open(path, "w", encoding="utf-8") as out:
        while out.tell() < total:
            out.write(f"ERROR: {HEAD}. If you have updated the package versions, please\n")
            out.write(piece * 2000)
            out.write(("        Expected sha256 " + "a" * 60 + "\n") * 2000)


def write_pip_log(path: Path, total: int) -> None:
    """A pip ``--log`` file of about `total` bytes, ending with a hash-mismatch report."""
    stamp = "2026-11-24T10:16:04,123"
    lines = [
        f'{stamp} Looking up "https://files.example.org/packages/{{n}}/pkg_{{n}}-1.0.tar.gz" in the cache',
        f"{stamp} Current age based on date: {{n}}",
        f"{stamp} Freshness lifetime from max-age: 3600",
        f"{stamp} The response is \"fresh\", returning cached response",
        f"{stamp}   Using cached pkg_{{n}}-1.0-py3-none-any.whl (1.0 MB)",
        f"{stamp} Created temporary directory: /tmp/pip-unpack-{{n}}",
        f"{stamp} Skipping link: none of the wheel's tags (cp{{n}}) are compatible: https://files.example.org/x-{{n}}.whl",
    ]  # fmt: skip
    with open(path, "w", encoding="utf-8") as out:
        n = 0
        while out.tell() < total:
            out.write("\n".join(line.format(n=n) for line in lines) + "\n")
            n += 1
        digest = "0" * 64
        out.write(
            f"{stamp} ERROR: {HEAD}. If you have updated the package versions, please update the hashes. "
            "Otherwise, examine the package contents carefully; someone may have tampered with them.\n"
            f"{stamp}     pkg==1.0 from https://files.example.org/pkg-1.0-py3-none-any.whl#sha256={digest} "
            "(from -r requirements.txt (line 1)):\n"
            f"{stamp}         Expected sha256 {digest}\n"
            f"{stamp}              Got        {'1' * 64}\n\n"
        )


def memory(lab: Lab, report: Report) -> None:
    small, big = lab.args.small_log, lab.args.log_size
    print(f"memory: reading a {human(small)} and a {human(big)} pip log", flush=True)
    peaks = {}
    logs = (
        ("small", small, write_pip_log, 1),
        ("big", big, write_pip_log, 1),
        ("hostile", big, write_hostile_log, 0),
    )
    for label, total, write, mismatches in logs:
        path = lab.work / f"pip-{label}.log"
        write(path, total)
        proc = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, str(path)],
            capture_output=True,
            text=True,
            env=lab.probe_env,
        )
        assert proc.returncode == 0, proc.stderr
        peaks[label] = json.loads(proc.stdout)
        assert peaks[label]["found"] == mismatches, peaks[label]
        path.unlink()
    for label, what in (("big", "log"), ("hostile", "log of endless reports")):
        ratio = peaks[label]["peak"] / peaks["small"]["peak"]
        report.add(
            f"memory: {peaks[label]['how']}, {human(big)} {what} / {human(small)} log",
            f"{ratio:.2f}x ({human(peaks[label]['peak'])} vs {human(peaks['small']['peak'])}; "
            f"read in {peaks[label]['seconds']:.1f} s)",
            "<= 1.10x (flat)",
            ratio <= 1.10,
            ratio,
        )


# -- main ---------------------------------------------------------------------------------------------

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
        "--throttle", type=size, default=2 * MB, help="index speed per response, per second (default 2MB)"
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
        args.log_size, args.small_log = 2 * MB, 256 * KB
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if not args.inside and Path(sys.prefix).resolve() != devenv.VENV.resolve():
        python = devenv.ensure("test")
        forwarded = [a for a in (sys.argv[1:] if argv is None else argv) if a != INSIDE]
        return subprocess.run([str(python), str(Path(__file__).resolve()), INSIDE, *forwarded]).returncode
    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix="safepip-bench-"))
    report = Report()
    started = time.perf_counter()
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
    elapsed = time.perf_counter() - started
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
    if args.json:
        args.json.write_text(
            json.dumps([f.__dict__ for f in report.figures], indent=2, default=str) + "\n", encoding="utf-8"
        )
    missed = [f for f in report.figures if f.ok is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
