"""The shell code safepip prints: quoting, and the functions each shell gets (bash runs it for real in
tests/integration/test_shell_init.py; PowerShell is only checked here)."""

from __future__ import annotations

import pytest

from safepip.commands.shellinit import SHELLS, safepip_command, snippet
from safepip.pip import launch

COMMAND = ["/opt/my tools/bin/python", "-m", "safepip"]


def test_bash_and_zsh_define_functions_with_quoted_paths():
    for shell in ("bash", "zsh"):
        text = snippet(shell, COMMAND)
        assert "pip() { '/opt/my tools/bin/python' -m safepip \"$@\"; }" in text
        assert "pip3() { '/opt/my tools/bin/python' -m safepip \"$@\"; }" in text
        assert "unalias pip 2>/dev/null || true" in text
        assert "command pip" in text


def test_fish():
    text = snippet("fish", ["/o'dd\\path/safepip"])
    assert (
        "function pip --description 'pip, through safepip'\n    '/o\\'dd\\\\path/safepip' $argv\nend" in text
    )
    assert "safepip --safepip-shell-init fish | source" in text


def test_powershell():
    text = snippet("powershell", ["C:\\Users\\O'Neil\\safepip.exe"])
    assert "function global:pip { & 'C:\\Users\\O''Neil\\safepip.exe' @args }" in text
    assert "function global:pip3 { & 'C:\\Users\\O''Neil\\safepip.exe' @args }" in text
    assert "Remove-Item -ErrorAction SilentlyContinue Alias:pip" in text
    assert "Invoke-Expression" in text and "pip.exe" in text


def test_every_shell_says_how_to_bypass():
    for shell in SHELLS:
        assert "bypass once with" in snippet(shell, COMMAND)
    with pytest.raises(ValueError):
        snippet("tcsh", COMMAND)


def test_without_a_script_the_functions_start_safepip_as_its_script_would(monkeypatch):
    # Not `python -m safepip`: that reads the current folder, where `pip` is typed (a clone).
    monkeypatch.setattr("sys.argv", ["-c"])
    command = safepip_command()
    assert command[1] == "-c" and "-m" not in command
    assert command[2].startswith(launch.NO_CURRENT_FOLDER)
    text = snippet("bash", command)
    assert "-m safepip" not in text and "from safepip.cli import main" in text
