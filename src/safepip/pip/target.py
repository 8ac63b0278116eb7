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

On the normal path: ``os.path`` only (see docs/design.md, "The normal path").
"""

from __future__ import annotations

import os
import sys

from safepip.errors import TargetUnusable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.pip.args import PipCommandLine

_IN_ENVIRONMENT = (("bin", "python"), ("Scripts", "python.exe"), ("python.exe",))


class Target:
    """The interpreter whose pip runs, and why it was chosen (for messages and the docs' promise)."""

    __slots__ = ("python", "reason")

    def __init__(self, python: str, reason: str) -> None:
        self.python = python
        self.reason = reason

    @property
    def install_python(self) -> str:
        """The interpreter whose environment pip installs into (where a fresh pip must install)."""
        return self.python

    def __repr__(self) -> str:
        return f"Target({self.python!r}, {self.reason!r})"


def _interpreter_in(location: str) -> str:
    """An interpreter path as given, or the one inside an environment directory."""
    if os.path.isdir(location):
        for parts in _IN_ENVIRONMENT:
            candidate = os.path.join(location, *parts)
            if os.path.exists(candidate):
                return candidate
        raise TargetUnusable(f"{location} is a directory but holds no Python environment (no bin/python)")
    return location


def _which(name: str, env: Mapping[str, str]) -> str | None:
    """The first executable `name` on the environment's PATH."""
    if os.name == "nt":
        import shutil  # PATHEXT and the current folder: leave Windows' rules to the standard library

        return shutil.which(name, path=env.get("PATH"))
    for folder in env.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or os.curdir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def choose(line: PipCommandLine, env: Mapping[str, str]) -> Target:
    given = line.value("--python")
    if given:
        path = given
        if not os.path.exists(path):
            found = _which(given, env)
            if found is None:
                raise TargetUnusable(f"--python {given}: no such interpreter or environment")
            path = found
        return Target(_interpreter_in(path), "--python")
    if env.get("SAFEPIP_PYTHON"):
        path = env["SAFEPIP_PYTHON"]
        if not os.path.exists(path):
            raise TargetUnusable(f"SAFEPIP_PYTHON={path}: no such interpreter or environment")
        return Target(_interpreter_in(path), "SAFEPIP_PYTHON")
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        location = env.get(variable)
        if location and os.path.isdir(location):
            return Target(_interpreter_in(location), variable)
    found = _which("python" if os.name == "nt" else "python3", env)
    if found is not None:
        return Target(found, "PATH")
    return Target(sys.executable, "safepip's own interpreter")


def cannot_run(python: str, exc: OSError) -> TargetUnusable:
    return TargetUnusable(f"cannot run {python}: {exc.strerror or exc}")
