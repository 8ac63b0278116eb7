"""Choose the Python environment whose pip safepip runs: the one a plain `pip` would have used.

In order:
1. pip's own ``--python X`` option (pip 22.3+): X's pip runs, with the option removed.
2. ``SAFEPIP_PYTHON``: an interpreter path, or an environment directory.
3. An active virtual environment (``VIRTUAL_ENV``), then an active conda environment
   (``CONDA_PREFIX``): that is what `pip` on PATH points to once one is activated.
4. The first ``python3`` (``python`` on Windows) on PATH, whose pip `pip` on PATH usually is.
5. The interpreter safepip itself runs in.

safepip is often installed with pipx, in an environment of its own; step 5 comes last so an alias
never installs into that environment by accident.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from safepip.pipargs import PipCommandLine


class TargetError(Exception):
    """The chosen interpreter cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Target:
    python: Path
    #: Where the choice came from, for `safepip: ...` messages and for the docs' promise.
    reason: str


def _interpreter_in(location: Path) -> Path:
    """An interpreter path as given, or the one inside an environment directory."""
    if location.is_dir():
        for candidate in (
            location / "bin" / "python",
            location / "Scripts" / "python.exe",
            location / "python.exe",
        ):
            if candidate.exists():
                return candidate
        raise TargetError(f"{location} is a directory but holds no Python environment (no bin/python)")
    return location


def _which(name: str, env: Mapping[str, str]) -> Path | None:
    found = shutil.which(name, path=env.get("PATH"))
    return Path(found) if found else None


def choose(line: PipCommandLine, env: Mapping[str, str]) -> Target:
    given = line.value("--python")
    if given:
        path = Path(given)
        if not path.exists():
            found = _which(given, env)
            if found is None:
                raise TargetError(f"--python {given}: no such interpreter or environment")
            path = found
        return Target(_interpreter_in(path), "--python")
    if env.get("SAFEPIP_PYTHON"):
        path = Path(env["SAFEPIP_PYTHON"])
        if not path.exists():
            raise TargetError(f"SAFEPIP_PYTHON={path}: no such interpreter or environment")
        return Target(_interpreter_in(path), "SAFEPIP_PYTHON")
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        if env.get(variable):
            location = Path(env[variable])
            if location.is_dir():
                return Target(_interpreter_in(location), variable)
    found = _which("python" if os.name == "nt" else "python3", env)
    if found is not None:
        return Target(found, "PATH")
    return Target(Path(sys.executable), "safepip's own interpreter")


# Prints a marker only a Python with an importable pip can print.
_PIP_PROBE = "import sys, pip; sys.stdout.write('pip ' + pip.__version__)"


def cannot_run(python: Path | str, exc: OSError) -> str:
    return f"cannot run {python}: {exc.strerror or exc}"


def pip_problem(python: Path | str, env: Mapping[str, str]) -> str | None:
    """Why ``python -m pip`` cannot work with `python`, or None when it can.

    Asked only after a pip run failed, or left no log behind, so a run that went well pays nothing.
    """
    from safepip.runner import capture, child_env

    try:
        probe = capture([str(python), "-c", _PIP_PROBE], child_env(env), timeout=60)
    except OSError as exc:
        return cannot_run(python, exc)
    except subprocess.TimeoutExpired:
        return f"{python} did not answer within a minute when asked for its pip"
    if probe.returncode == 0 and probe.stdout.startswith("pip "):
        return None
    if "No module named" in probe.stderr and "pip" in probe.stderr:
        return f"{python} has no pip (add it with: {python} -m ensurepip)"
    return f"{python} is not a Python interpreter with pip"


def environment_prefix(python: Path) -> Path | None:
    """The virtual environment a Python interpreter belongs to, read from disk without running it."""
    for parent in list(python.parents)[:2]:
        if (parent / "pyvenv.cfg").is_file():
            return parent
    return None
