"""The project's development environment, shared by scripts/demo and scripts/test.

One virtualenv in ``.venv`` at the project root, made with the standard library's venv (nothing else
is installed yet on a fresh machine), holding safepip in editable mode and the extras asked for.
Only this step reaches the package registry.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def venv_script(name: str) -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin") / (name + (".exe" if os.name == "nt" else ""))


def step(*argv: str | Path) -> None:
    """Run one set-up command, showing it first; stop everything if it fails."""
    print("+", " ".join(str(a) for a in argv), flush=True)
    subprocess.run([str(a) for a in argv], check=True, cwd=ROOT)


def ensure(extras: str = "") -> Path:
    """Make .venv if needed, install safepip (with `extras`) into it; return its python."""
    if not venv_python().exists():
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    python = venv_python()
    step(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    step(python, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extras}]" if extras else str(ROOT))
    return python
