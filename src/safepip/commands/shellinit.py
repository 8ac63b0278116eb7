"""``safepip --safepip-shell-init bash|zsh|fish|powershell``: shell code so pip goes through safepip.

    eval "$(safepip --safepip-shell-init bash)"       # in ~/.bashrc (zsh: ~/.zshrc)

It defines ``pip`` and ``pip3`` as shell functions that run safepip, rather than aliases, because
functions also work in scripts that source the file and pass "$@" through untouched. Bypass them
once with ``command pip ...`` (bash, zsh, fish) or ``pip.exe ...`` (PowerShell on Windows);
``python -m pip`` is never affected.

The functions call safepip by the absolute path of the program running now (the console script,
else this interpreter), as direnv does, so a virtualenv activated later, which may carry a safepip
of its own or none, does not change what ``pip`` means. Never as ``python -m safepip``: that puts
the current folder first on sys.path, so a ``types.py`` in a cloned repository would run on every
``pip`` typed there (pip/launch.py starts it as its script would).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from safepip.config.settings import Settings
from safepip.errors import ExitCode
from safepip.pip import launch

SHELLS = ("bash", "zsh", "fish", "powershell")
NAMES = ("pip", "pip3")


def safepip_command() -> list[str]:
    """How to start this safepip again: its console script, else this interpreter as the script would."""
    # Absolute, but symlinks kept: a virtualenv's python is a symlink whose target is another
    # environment, and pipx's ~/.local/bin/safepip is a link that survives upgrades.
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.stem.lower() == "safepip" and script.is_file():
        return [os.path.abspath(script)]
    return launch.safepip_argv(os.path.abspath(sys.executable))


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _powershell_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def snippet(shell: str, command: Sequence[str]) -> str:
    if shell in ("bash", "zsh"):
        call = " ".join(shlex.quote(part) for part in command)
        rc = "~/.bashrc" if shell == "bash" else "~/.zshrc"
        lines = [
            f"# safepip shell integration ({shell}): add to {rc}:",
            f'#   eval "$(safepip --safepip-shell-init {shell})"',
            "# pip and pip3 run through safepip; bypass once with: command pip ...",
        ]
        for name in NAMES:
            # An alias of the same name would be expanded inside the definition: drop it first.
            lines += [f"unalias {name} 2>/dev/null || true", f'{name}() {{ {call} "$@"; }}']
        return "\n".join(lines) + "\n"
    if shell == "fish":
        call = " ".join(_fish_quote(part) for part in command)
        lines = [
            "# safepip shell integration (fish): add to ~/.config/fish/config.fish:",
            "#   safepip --safepip-shell-init fish | source",
            "# pip and pip3 run through safepip; bypass once with: command pip ...",
        ]
        for name in NAMES:
            lines += [
                f"function {name} --description 'pip, through safepip'",
                f"    {call} $argv",
                "end",
            ]
        return "\n".join(lines) + "\n"
    if shell == "powershell":
        exe, *rest = command
        call = " ".join(["&", _powershell_quote(exe), *(_powershell_quote(p) for p in rest)])
        lines = [
            "# safepip shell integration (PowerShell): add to $PROFILE:",
            "#   safepip --safepip-shell-init powershell | Out-String | Invoke-Expression",
            "# pip and pip3 run through safepip; bypass once with: pip.exe ...",
            "# (elsewhere: & (Get-Command pip -CommandType Application)[0] ...)",
        ]
        for name in NAMES:
            lines += [
                f"Remove-Item -ErrorAction SilentlyContinue Alias:{name}",
                f"function global:{name} {{ {call} @args }}",
            ]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown shell {shell!r}")


def main(argv: Sequence[str], settings: Settings, stdout: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="safepip --safepip-shell-init",
        description="Print shell code that makes pip and pip3 run through safepip in this shell.",
        epilog='bash/zsh: eval "$(safepip --safepip-shell-init bash)"; '
        "fish: safepip --safepip-shell-init fish | source",
    )
    parser.add_argument("shell", choices=SHELLS)
    args = parser.parse_args(list(argv))
    (stdout or sys.stdout).write(snippet(args.shell, safepip_command()))
    return ExitCode.OK
