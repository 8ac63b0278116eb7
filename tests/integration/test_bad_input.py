"""Bad input through safepip is pip's business: pip's own error and exit code, one pip run, no retries.

Every case runs the plain pip and then safepip on the same command line, and compares: the same
exit code, pip's error lines in safepip's output, no ``safepip:`` line, one pip run (from the trace).
The last two cases are input pip accepts (markers, extras, constraints with hashes): both succeed,
once; and a constraint pinning the wrong hash is a stale pin that safepip refuses after one run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.envs import installed, run
from tests.support.invariants import pip_runs_of_one_safepip
from tests.support.output import safepip_lines
from tests.support.wheels import sha256_file

from safepip.errors import ExitCode

pytestmark = pytest.mark.integration

ALPHA = "alpha-1.0-py3-none-any.whl"
BETA = "beta-2.0-py3-none-any.whl"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def project(folder: Path) -> Path:
    write(folder / "pyproject.toml", '[project]\nname = "local"\nversion = "1.0"\n')
    return folder


def case_args(name: str, tmp_path: Path, index, wheels: Path) -> list[str]:
    """The pip command line of each case (files it needs are written under tmp_path)."""
    alpha = sha256_file(wheels / ALPHA)
    beta = sha256_file(wheels / BETA)
    idx = index.pip_args()
    req = tmp_path / "requirements.txt"
    return {
        "missing requirements file": lambda: ["install", *idx, "-r", tmp_path / "missing.txt"],
        "requirements file is a folder": lambda: ["install", *idx, "-r", tmp_path],
        "requirements file not UTF-8": lambda: [
            "install", *idx, "-r", (req.write_bytes(b"alpha==1.0 \xff\xfe\xfa --hash=sha256:\x00"), req)[1]
        ],
        "--hash without a value": lambda: ["install", *idx, "-r", write(req, "alpha==1.0 --hash=sha256\n")],
        "--hash of the wrong length": lambda: [
            "install", *idx, "-r", write(req, f"alpha==1.0 --hash=sha256:{alpha[:20]}\n")
        ],
        "--hash with an unknown algorithm": lambda: [
            "install", *idx, "-r", write(req, f"alpha==1.0 --hash=sha3:{alpha}\n")
        ],
        "--hash on the command line": lambda: ["install", *idx, "alpha==1.0", f"--hash=sha256:{alpha}"],
        "unknown option": lambda: ["install", "--frobnicate", *idx, "alpha==1.0"],
        "unknown general option": lambda: ["--frobnicate", "install", *idx, "alpha==1.0"],
        "-r names a URL that is not there": lambda: ["install", *idx, "-r", index.base_url + "/req.txt"],
        "unpinned, with a hash": lambda: ["install", *idx, "-r", write(req, f"alpha --hash=sha256:{alpha}\n")],  # noqa: E501
        "a missing hash in hash mode": lambda: [
            "install", *idx, "-r", write(req, f"alpha==1.0 --hash=sha256:{alpha}\nbeta==2.0\n")
        ],
        "editable in hash mode": lambda: [
            "install", "--require-hashes", *idx, "-e", project(tmp_path / "local")
        ],
        "VCS in hash mode": lambda: [
            "install", "--require-hashes", *idx, "git+http://127.0.0.1:9/nothing.git#egg=nothing"
        ],
        "a local folder in hash mode": lambda: [
            "install", "--require-hashes", *idx, project(tmp_path / "local")
        ],
        "markers and extras": lambda: [
            "install", *idx, "-r", write(req, (
                f'alpha[fast]==1.0 ; python_version >= "3" --hash=sha256:{alpha}\n'
                f'beta==2.0 ; python_version < "3" --hash=sha256:{beta}\n'
            ))
        ],
        "a constraint file with hashes": lambda: [
            "install", *idx, "-c", write(tmp_path / "constraints.txt", f"alpha==1.0 --hash=sha256:{alpha}\n"),
            "-r", write(req, f"alpha==1.0 --hash=sha256:{alpha}\n"),
        ],
    }[name]()  # fmt: skip


FAILING = [
    "missing requirements file",
    "requirements file is a folder",
    "requirements file not UTF-8",
    "--hash without a value",
    "--hash of the wrong length",
    "--hash with an unknown algorithm",
    "--hash on the command line",
    "unknown option",
    "unknown general option",
    "-r names a URL that is not there",
    "a missing hash in hash mode",
    "editable in hash mode",
    "VCS in hash mode",
    "a local folder in hash mode",
]
#: pip 26 accepts an unpinned requirement with a hash (it pins what the hash names); older pips refuse.
ACCEPTED = ["markers and extras", "a constraint file with hashes", "unpinned, with a hash"]


@pytest.mark.parametrize("name", FAILING + ACCEPTED)
def test_bad_input_is_pips_business(name, tmp_path, target_venv, safepip_env, safepip, index, wheels):
    args = case_args(name, tmp_path, index, wheels)
    plain = run([target_venv, "-m", "pip", *args], env=safepip_env, cwd=tmp_path)
    if name in ACCEPTED:
        # The plain run installs; undo it so safepip's run does the same work again.
        run([target_venv, "-m", "pip", "uninstall", "-y", "alpha"], env=safepip_env)
    wrapped = safepip(*args, env=safepip_env, cwd=tmp_path)

    assert wrapped.returncode == plain.returncode, wrapped.stderr
    assert (wrapped.returncode == 0) == (name in ACCEPTED), plain.stderr
    assert not safepip_lines(wrapped.stderr)
    # pip itself prints a traceback for some input (a requirements file it cannot decode); safepip
    # never adds one.
    assert wrapped.stderr.count("Traceback") == plain.stderr.count("Traceback")
    errors = [line for line in plain.stderr.splitlines() if line.startswith("ERROR:") and "pip-" not in line]
    for line in errors:
        assert line in wrapped.stderr
    assert len(pip_runs_of_one_safepip(safepip_env)) == 1
    if name in ACCEPTED:
        assert installed(target_venv, safepip_env).get("alpha") == "1.0"
        assert "beta" not in installed(target_venv, safepip_env)


def test_a_constraint_pinning_the_wrong_hash_is_refused_after_one_run(
    tmp_path, target_venv, safepip_env, safepip, index, wheels
):
    wrong = "0" * 64
    constraints = write(tmp_path / "constraints.txt", f"alpha==1.0 --hash=sha256:{wrong}\n")
    args = ["install", *index.pip_args(), "-c", constraints, "alpha==1.0"]
    plain = run([target_venv, "-m", "pip", *args], env=safepip_env)
    wrapped = safepip(*args, env=safepip_env)
    if "THESE PACKAGES DO NOT MATCH" not in plain.stderr:
        # This pip does not check hashes from a constraint file: then neither does safepip act.
        assert wrapped.returncode == plain.returncode
        assert len(pip_runs_of_one_safepip(safepip_env)) == 1
        return
    assert wrapped.returncode == ExitCode.STALE_PIN, wrapped.stderr
    assert len(pip_runs_of_one_safepip(safepip_env)) == 1
    assert "requirement:     alpha==1.0" in wrapped.stderr
    assert "alpha" not in installed(target_venv, safepip_env)
