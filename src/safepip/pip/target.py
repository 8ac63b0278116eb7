"""Choose the Python environment whose pip safepip runs: the one a plain `pip` would have used.

In order:
1. ``SAFEPIP_PYTHON``: an interpreter path, or an environment directory.
2. An active virtual environment (``VIRTUAL_ENV``), then an active conda environment
   (``CONDA_PREFIX``): that is what `pip` on PATH points to once one is activated.
3. The first ``python3`` (``python`` on Windows) on PATH, whose pip `pip` on PATH usually is.
4. The interpreter safepip itself runs in.

safepip is often installed with pipx, in an environment of its own; step 4 comes last so an alias
never installs into that environment by accident.

pip's own ``--python X`` (pip 22.3+) changes none of this, as it changes nothing for plain pip:
the pip chosen here runs, with the option left on its command line, and that pip runs its own code
under X (``__pip-runner__.py``), so X needs no pip of its own. pip reads it before the command name
only, and from ``PIP_PYTHON`` too; `Target.install_python` is X, the environment pip installs into.

On the normal path: ``os.path`` only (see docs/design.md, "The normal path").
"""

from __future__ import annotations

import os
import sys

from safepip.errors import TargetUnusable
from safepip.pip.args import pip_variables

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.pip.args import PipCommandLine

_IN_ENVIRONMENT = (("bin", "python"), ("Scripts", "python.exe"), ("python.exe",))
#: pip sets it for the pip it re-runs under ``--python``, which then ignores the option.
REEXECUTED = "_PIP_RUNNING_IN_SUBPROCESS"


class Target:
    """The interpreter whose pip runs, why it was chosen, and the one pip installs into."""

    __slots__ = ("_install_python", "python", "reason")

    def __init__(self, python: str, reason: str, install_python: str | None = None) -> None:
        self.python = python
        self.reason = reason
        self._install_python = install_python

    @property
    def install_python(self) -> str:
        """The interpreter whose environment pip installs into (where a fresh pip must install):
        pip's ``--python X`` when it is in effect, else the interpreter whose pip runs."""
        return self._install_python or self.python

    def __repr__(self) -> str:
        return f"Target({self.python!r}, {self.reason!r}, install_python={self._install_python!r})"


def _interpreter_in(location: str) -> str:
    """An interpreter path as given, or the one inside an environment directory."""
    if os.path.isdir(location):
        for parts in _IN_ENVIRONMENT:
            candidate = os.path.join(location, *parts)
            if os.path.exists(candidate):
                return candidate
        raise TargetUnusable(f"{location} is a directory but holds no Python environment (no bin/python)")
    return location


def pip_python_option(given: str) -> str | None:
    """The interpreter pip's ``--python`` names, found as pip finds it (``identify_python_interpreter``):
    a file as it is, a directory's ``bin/python`` or ``Scripts/python.exe``; no PATH lookup."""
    if not os.path.exists(given):
        return None
    if not os.path.isdir(given):
        return os.path.abspath(given)
    for parts in (("bin", "python"), ("Scripts", "python.exe")):
        candidate = os.path.join(given, *parts)
        if os.path.exists(candidate):
            return os.path.abspath(candidate)
    return None


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


def runs(env: Mapping[str, str]) -> Target:
    """The interpreter whose pip a plain `pip` would run (steps 1 to 4 above)."""
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


def choose(line: PipCommandLine, env: Mapping[str, str]) -> Target:
    """The pip that runs, and where it installs: pip's ``--python`` before the command, else
    ``PIP_PYTHON`` (pip's main parser always reads variables, ``--isolated`` or not)."""
    chosen = runs(env)
    given = line.python_option
    if given is None:
        given = pip_variables(env).get("python")
    if given and REEXECUTED not in env:
        chosen._install_python = pip_python_option(given)
    return chosen


def cannot_run(python: str, exc: OSError) -> TargetUnusable:
    return TargetUnusable(f"cannot run {python}: {exc.strerror or exc}")
