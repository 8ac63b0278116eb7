"""`safepip --safepip-shell-init SHELL`, evaluated the way README says, in the real shell.

After it, `pip` and `pip3` are shell functions that run safepip (proved by `pip --safepip-version`,
which plain pip rejects), pip's own output and exit codes come through, and the documented bypass
`command pip` runs plain pip. bash always runs; zsh and fish only where they are installed.
"""

from __future__ import annotations

import shlex
import shutil
import sys

import pytest
from tests.support.envs import installed, run

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX shells"),
]

# Per shell: how to run a script without the user's rc files, how README loads the integration,
# how to ask what `pip` is, and how to read the last exit status.
SHELLS = {
    "bash": (
        ["bash", "--norc", "--noprofile", "-c"],
        'eval "$({safepip} --safepip-shell-init bash)"',
        "type -t",
        "$?",
    ),
    "zsh": (["zsh", "-f", "-c"], 'eval "$({safepip} --safepip-shell-init zsh)"', "whence -w", "$?"),
    "fish": (
        ["fish", "--no-config", "-c"],
        "{safepip} --safepip-shell-init fish | source",
        "type -t",
        "$status",
    ),
}


def shell_or_skip(name: str) -> list[str]:
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed")
    return SHELLS[name][0]


def script(name: str, safepip_argv: list[str], *lines: str) -> str:
    _, load, _, _ = SHELLS[name]
    return "\n".join([load.format(safepip=shlex.join(safepip_argv)), *lines]) + "\n"


@pytest.mark.parametrize("name", sorted(SHELLS))
def test_pip_goes_through_safepip_and_command_pip_does_not(
    name, target_venv, safepip_env, safepip_argv, tmp_path
):
    shell = shell_or_skip(name)
    _, _, kind, status = SHELLS[name]
    body = script(
        name,
        safepip_argv,
        f"{kind} pip",
        f"{kind} pip3",
        "pip --safepip-version",
        "pip3 --safepip-version",
        "pip --version",
        "pip install -r missing.txt",
        f"echo through-safepip-exit={status}",
        "command pip --safepip-version",
        f"echo bypass-exit={status}",
    )
    result = run([*shell, body], env=safepip_env, cwd=tmp_path)
    plain_version = run([target_venv, "-m", "pip", "--version"], env=safepip_env).stdout
    out = result.stdout.splitlines()
    assert [line.split()[-1] for line in out[:2]] == ["function", "function"], result.stdout + result.stderr
    assert out[2:4] == ["safepip 0.1.0", "safepip 0.1.0"]
    assert out[4] == plain_version.strip()
    # pip's own failure and exit code come through the function unchanged...
    assert "through-safepip-exit=1" in out
    assert "missing.txt" in result.stderr
    # ...and `command pip` is plain pip, which has no --safepip-version.
    assert "no such option: --safepip-version" in result.stderr
    assert out[-1] == "bypass-exit=2"


def test_an_install_through_the_bash_function_goes_into_the_active_environment(
    target_venv, safepip_env, safepip_argv, index, tmp_path
):
    shell = shell_or_skip("bash")
    body = script("bash", safepip_argv, "set -e", f"pip install {shlex.join(index.pip_args())} alpha==1.0")
    result = run([*shell, body], env=safepip_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Successfully installed alpha-1.0" in result.stdout
    assert installed(target_venv, safepip_env).get("alpha") == "1.0"


def test_the_snippet_is_safe_under_set_e_and_replaces_an_alias(safepip_env, safepip_argv, tmp_path):
    shell = shell_or_skip("bash")
    body = "\n".join(
        [
            "set -e",
            "shopt -s expand_aliases",
            "alias pip='echo plain-alias'",
            script("bash", safepip_argv, "type -t pip", "echo survived"),
        ]
    )
    result = run([*shell, body], env=safepip_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["function", "survived"]
