"""A hostile working folder (a cloned repository) and the other Pythons a machine has, for the
security suite (tests/security)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["HOSTILE_MODULES", "OLDER_PYTHONS", "Hostile", "find_python", "make_hostile"]

#: Names a Python started in the current folder could import from it, or read there, before or
#: instead of pip: pip itself (as a module and as a package), modules pip, safepip's probes and
#: virtualenv import, what `site` imports at start-up, and a .pth file.
HOSTILE_MODULES = (
    "pip",
    "types",
    "json",
    "runpy",
    "subprocess",
    "typing",
    "platform",
    "sitecustomize",
    "usercustomize",
    "virtualenv",
    "_virtualenv",
    "packaging",
    "platformdirs",
    "tenacity",
    "filelock",
    "safepip",
)


class Hostile:
    """A working folder full of code that must never run; `ran()` lists what did."""

    def __init__(self, folder: Path, marks: Path) -> None:
        self.folder = folder
        self.marks = marks

    def ran(self) -> list[str]:
        return sorted(p.name for p in self.marks.iterdir())


def _marker_code(marks: Path, name: str) -> str:
    # Leaves a mark, then goes on as if nothing happened (for the ones whose absence would be loud).
    return f"open({str(marks / name)!r}, 'a').close()\n"


def make_hostile(folder: Path, marks: Path, *, pip_as_package: bool = False) -> Hostile:
    """`folder` with a module of each HOSTILE_MODULES name, pip as a module or as a package."""
    folder.mkdir(parents=True, exist_ok=True)
    marks.mkdir(parents=True, exist_ok=True)
    for name in HOSTILE_MODULES:
        if name == "pip" and pip_as_package:
            package = folder / "pip" / "_internal" / "cli"
            package.mkdir(parents=True)
            for level in (folder / "pip", folder / "pip" / "_internal", package):
                (level / "__init__.py").write_text(_marker_code(marks, f"{level.name}-package"))
            (package / "main.py").write_text(_marker_code(marks, "pip-main") + "def main():\n    return 0\n")
        else:
            (folder / f"{name}.py").write_text(_marker_code(marks, name))
    # .pth files are read only from site folders; one here must stay a text file.
    for name in ("pip.pth", "zzz-safepip.pth"):
        (folder / name).write_text(f"import os; {_marker_code(marks, name).strip()}\n")
    (folder / "requirements.txt").write_text("")  # a cloned repository usually has one
    return Hostile(folder, marks)


#: The Pythons safepip supports that lack ``-P`` (3.11 added it): the launcher must not need it.
OLDER_PYTHONS = ("3.9", "3.10")


def find_python(version: str) -> str | None:
    """The real interpreter of Python `version` on this machine (through a pyenv shim too), or None."""
    candidates = [shutil.which(f"python{version}")]
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += [str(p) for p in sorted(root.glob(f"versions/{version}.*/bin/python{version}"))]
    for candidate in filter(None, candidates):
        try:
            found = subprocess.run(
                [candidate, "-c", "import sys; print(sys.executable)"],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=os.path.dirname(candidate),
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if found.returncode == 0 and found.stdout.strip():
            return found.stdout.strip()
    return None
