"""What safepip asks of the target environment once pip has failed: one probe, and helper commands.

Every question runs as a child process of the target's own interpreter, started as pip/launch.py
says (never importing from the current folder), quietly, with its output read afterwards. They are
started with `Helper` and read later, so that several run side by side, or one runs while safepip
does something else.

The probe is one script for every caller: whether pip is there at all (after a failed run), the
facts recovery needs (the environment's prefix, for its own pip configuration, and its pip
version), and what ``safepip doctor`` shows.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from safepip import trace
from safepip.errors import TargetUnusable
from safepip.pip import launch
from safepip.pip.args import PipCommandLine
from safepip.pip.target import cannot_run

#: pip releases whose fixes change what safepip can conclude (docs/design.md).
#: Hashes compared without regard to letter case (before: an upper-case pin never matches).
CASE_INSENSITIVE_HASHES = Version("24.2")
#: A download cut short is reported as incomplete-download (before: as a hash mismatch).
REPORTS_INCOMPLETE_DOWNLOADS = Version("25.1")
#: pip's own ``--python`` option.
HAS_PYTHON_OPTION = Version("22.3")

# Runs in the target interpreter, which may be old: nothing beyond the standard library.
_FACTS = """
import json, os, sys
info = {
    "version": sys.version.split()[0],
    "executable": sys.executable,
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "real_prefix", getattr(sys, "base_prefix", sys.prefix)),
    "euid": os.geteuid() if hasattr(os, "geteuid") else None,
    "pip": None,
}
try:
    import pip
    info["pip"] = pip.__version__
except Exception:
    pass
print(json.dumps(info))
"""
PROBE_TIMEOUT = 60.0
#: The file names of pip's configuration inside an environment (its "site" configuration).
SITE_CONFIG_NAMES = ("pip.conf", "pip.ini")


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for helper commands: the user's, with their output in a stable encoding."""
    out = dict(env)
    out.setdefault("PYTHONIOENCODING", "utf-8")
    return out


class Helper:
    """A helper command started now and read later; `capture` is start-and-read."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 120) -> None:
        trace.event("helper", argv=list(argv))
        self.argv = list(argv)
        self._deadline = time.monotonic() + timeout
        self._done: subprocess.CompletedProcess[str] | None = None
        self._process = subprocess.Popen(
            self.argv,
            env=child_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )

    def result(self) -> subprocess.CompletedProcess[str]:
        """Its output, once it exited; past the timeout it is killed and TimeoutExpired raised."""
        if self._done is None:
            try:
                out, err = self._process.communicate(timeout=max(0.0, self._deadline - time.monotonic()))
            except BaseException:  # the timeout, or an interrupt while waiting: never leave it running
                self.cancel()
                raise
            self._done = subprocess.CompletedProcess(self.argv, self._process.returncode, out, err)
        return self._done

    def cancel(self) -> None:
        """Stop it if it still runs (its answer is no longer wanted); nothing once it was read."""
        if self._done is not None:
            return
        if self._process.poll() is None:
            self._process.kill()
        out, err = self._process.communicate()
        self._done = subprocess.CompletedProcess(self.argv, self._process.returncode, out, err)


def capture(
    argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a helper command quietly and read its output."""
    return Helper(argv, env, timeout=timeout).result()


@dataclass(frozen=True)
class Facts:
    """What the probe learnt of an interpreter."""

    python: str
    version: str | None = None
    prefix: str | None = None
    base_prefix: str | None = None
    euid: int | None = None
    #: pip's version as the target reports it; None when pip cannot be imported there.
    pip: str | None = None

    @property
    def pip_version(self) -> Version | None:
        try:
            return Version(self.pip) if self.pip else None
        except InvalidVersion:
            return None

    @property
    def in_virtualenv(self) -> bool:
        return self.prefix is not None and self.prefix != self.base_prefix

    @property
    def site_configs(self) -> list[Path]:
        """pip configuration files inside the environment itself, which apply to every pip run there."""
        if not self.prefix:
            return []
        return [
            Path(self.prefix) / name for name in SITE_CONFIG_NAMES if (Path(self.prefix) / name).is_file()
        ]


def start_facts(python: str, env: Mapping[str, str]) -> Helper:
    """Start the probe of `python`; `read_facts` reads its answer."""
    return Helper(launch.python_argv(python, _FACTS), env, timeout=PROBE_TIMEOUT)


def read_facts(python: str, helper: Helper) -> Facts:
    """The probe's answer; TargetUnusable when `python` is not a Python that runs it."""
    try:
        proc = helper.result()
    except OSError as exc:
        raise cannot_run(python, exc) from exc
    except subprocess.TimeoutExpired:
        raise TargetUnusable(f"{python} did not answer within a minute when asked for its pip") from None
    lines = proc.stdout.strip().splitlines()
    try:
        info = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise TargetUnusable(f"{python} is not a Python interpreter with pip")
    return facts_from(python, info)


def facts_from(python: str, info: Mapping[str, Any]) -> Facts:
    """The facts in a probe's answer (this one's, or pip/index.py's, which asks them too)."""
    fields = ("version", "prefix", "base_prefix", "euid", "pip")
    return Facts(python, **{key: info.get(key) for key in fields})


def facts(python: str, env: Mapping[str, str]) -> Facts:
    """The probe's answer, asked now; TargetUnusable when `python` is not a Python that runs it."""
    try:
        helper = start_facts(python, env)
    except OSError as exc:
        raise cannot_run(python, exc) from exc
    return read_facts(python, helper)


def pip_problem(python: str, env: Mapping[str, str]) -> TargetUnusable | None:
    """Why pip cannot run with `python`, or None when it can.

    Asked only after a pip run failed, or left no log behind, so a run that went well pays nothing.
    """
    try:
        found = facts(python, env)
    except TargetUnusable as exc:
        return exc
    if found.pip is None:
        return TargetUnusable(f"{python} has no pip (add it with: {python} -m ensurepip)")
    return None


def cache_dir_command(python: str, line: PipCommandLine) -> list[str] | None:
    """``pip cache dir`` with the user's ``--cache-dir``/``--isolated``; None with --no-cache-dir.

    pip's cache directory is asked of the target pip itself, so config files and variables count.
    """
    if line.no_cache_dir:
        return None
    general: list[str] = []
    if line.value("--cache-dir"):
        general += ["--cache-dir", line.value("--cache-dir") or ""]
    if "--isolated" in line.flags:
        general.append("--isolated")
    return launch.pip_argv(python, [*general, "cache", "dir"])


def read_cache_dir(proc: subprocess.CompletedProcess[str]) -> Path | None:
    """The cache directory in what ``pip cache dir`` printed, or None when it found none."""
    lines = [s for s in proc.stdout.splitlines() if s.strip()]
    if proc.returncode != 0 or not lines:
        # pip < 20.1 has no `cache` command; the cache is then disabled or unknowable.
        return None
    return Path(lines[-1].strip())
