"""The lab every section measures in, set up once a run in a temporary folder.

The test suite's own parts: a PEP 503 index on 127.0.0.1 (tests/support/index.py) throttled to a
realistic transfer speed, real wheels (tests/support/wheels.py), throwaway virtualenvs copied from a
template, and an environment isolated from this machine's pip configuration (tests/support/envs.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.index import PackageIndex

#: The line pip stops with on a hash mismatch.
HEAD = "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE"


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
        from tests.support.envs import safepip_from

        return safepip_from(self.args.src, *flags)

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
