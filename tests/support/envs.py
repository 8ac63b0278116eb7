"""Isolated process environments, throwaway virtualenvs, and running commands in them.

Three things make a pip run in a test reproducible, and each has a helper here:

* The environment variables. The machine running the tests has its own pip configuration
  (``PIP_*`` variables, ``/etc/pip.conf``, ``/etc/xdg/pip/pip.conf`` with constraints and extra
  indexes, CA bundles, proxies, CI variables); any of it would change what pip prints or where it
  downloads from. ``isolated_env`` removes all of it, points every per-user directory at a fresh
  folder, and sets ``PIP_CONFIG_FILE`` to ``os.devnull``, which makes pip skip every config file.
* The target environment. Creating a virtualenv per test costs about a second; copying one does
  not. ``create_venv`` makes a template once per session with virtualenv's Python API (offline:
  the pip wheel virtualenv bundles, or one from a local wheelhouse for other pip versions), and
  ``clone_venv`` copies it per test. A copy works because a virtualenv refers to its base
  interpreter by absolute path (``pyvenv.cfg`` ``home``, the ``bin/python`` symlink) and to
  itself only in script shebangs and activation scripts, which the clone rewrites.
* The subprocess. ``run`` never uses a shell, never inherits the terminal's stdin, and kills the
  whole process group on a timeout so a stuck pip (or a grandchild safepip started) cannot hang the
  suite. ``run_in_pty`` gives the command a real pseudo-terminal, for what pip does only on one.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Union

from packaging.utils import canonicalize_name

__all__ = [
    "Installed",
    "MissingPipWheel",
    "clone_venv",
    "create_venv",
    "installed",
    "isolated_env",
    "pip_script",
    "run",
    "run_in_pty",
    "site_packages",
    "venv_python",
]

Arg = Union[str, "os.PathLike[str]"]

# Removed by exact name (compared upper-case: Windows environment names are case-insensitive).
_DROPPED_NAMES = frozenset(
    {
        "VIRTUAL_ENV",
        "VIRTUAL_ENV_PROMPT",
        "CONDA_PREFIX",
        "CONDA_DEFAULT_ENV",
        "CONDA_SHLVL",
        "PYTHONHOME",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONUSERBASE",
        "PYTHONNOUSERSITE",
        "PYTHONSAFEPATH",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "FORCE_COLOR",
        "NO_COLOR",
        "PY_COLORS",
        "CLICOLOR_FORCE",
        "CI",
        "BUILD_NUMBER",
        "RUN_ID",
        # Proxies would route 127.0.0.1 elsewhere, or send the tests' traffic off the machine.
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "FTP_PROXY",
    }
)
# Removed by prefix: every setting of pip, of safepip, of virtualenv, and CI runners' variables
# (GITHUB_STEP_SUMMARY would make a tool write a summary into the real CI job).
_DROPPED_PREFIXES = ("PIP_", "SAFEPIP_", "VIRTUALENV_", "GITHUB_", "RUNNER_")

IS_WINDOWS = os.name == "nt"


class MissingPipWheel(FileNotFoundError):
    """The wheelhouse has no wheel of the pip version a virtualenv was asked for."""


def isolated_env(base: Path) -> dict[str, str]:
    """A copy of ``os.environ`` cleaned of outside configuration, with per-user folders under `base`.

    Folders made under `base`: ``home``, ``xdg-config``, ``xdg-cache``, ``xdg-data``,
    ``xdg-state``, ``xdg-config-dirs`` (empty: hides ``/etc/xdg`` from a test that re-enables
    config files) and ``pip-cache``.
    """
    base = Path(base)
    env = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in _DROPPED_NAMES and not key.upper().startswith(_DROPPED_PREFIXES)
    }
    folders = {
        "HOME": "home",
        "USERPROFILE": "home",
        "XDG_CONFIG_HOME": "xdg-config",
        "XDG_CACHE_HOME": "xdg-cache",
        "XDG_DATA_HOME": "xdg-data",
        "XDG_STATE_HOME": "xdg-state",
        "XDG_CONFIG_DIRS": "xdg-config-dirs",
        "PIP_CACHE_DIR": "pip-cache",
    }
    for variable, name in folders.items():
        folder = base / name
        folder.mkdir(parents=True, exist_ok=True)
        env[variable] = str(folder)
    if IS_WINDOWS:
        # platformdirs reads these on Windows, not the XDG variables.
        env["APPDATA"] = str(base / "xdg-config")
        env["LOCALAPPDATA"] = str(base / "xdg-cache")
    env.update(
        {
            # pip's documented switch: with os.devnull no config file at all is read (not even /etc/pip.conf).
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PIP_NO_PYTHON_VERSION_WARNING": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            # safepip's retry waits, zero so tests do not sleep.
            "SAFEPIP_BACKOFF": "0",
            # virtualenv (the fresh-venv rung, create_venv) must neither read a user's config file
            # nor start its background download of newer seed wheels from PyPI.
            "VIRTUALENV_CONFIG_FILE": os.devnull,
            "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
            "VIRTUALENV_NO_DOWNLOAD": "1",
        }
    )
    return env


# -- virtual environments ---------------------------------------------------------------------


# Runs `python -m safepip` with a given src/ first on sys.path. Not through PYTHONPATH: safepip hands
# its environment to the target pip, which would then see safepip (and src/safepip.egg-info) as
# installed and print it in `pip list`.
_SAFEPIP_FROM_SRC = (
    "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
    "runpy.run_module('safepip', run_name='__main__', alter_sys=True)"
)


def safepip_from(src: Path, *python_flags: str) -> list[str]:
    """The command line that runs the safepip of a checkout's `src` with this interpreter."""
    return [sys.executable, *python_flags, "-c", _SAFEPIP_FROM_SRC, str(src)]


def venv_python(venv_dir: Path) -> Path:
    """The interpreter inside a virtual environment directory."""
    venv_dir = Path(venv_dir)
    return venv_dir / "Scripts" / "python.exe" if IS_WINDOWS else venv_dir / "bin" / "python"


def venv_bin(venv_dir: Path) -> Path:
    """The folder of a virtual environment's scripts (``bin``, or ``Scripts`` on Windows)."""
    return Path(venv_dir) / ("Scripts" if IS_WINDOWS else "bin")


def pip_script(python: Path) -> Path:
    """The ``pip`` console script beside an environment's interpreter: what `pip` runs in a shell."""
    return Path(python).with_name("pip.exe" if IS_WINDOWS else "pip")


def site_packages(venv_dir: Path) -> Path:
    """The purelib folder of a virtual environment (whatever its Python version)."""
    venv_dir = Path(venv_dir)
    if IS_WINDOWS:
        return venv_dir / "Lib" / "site-packages"
    found = sorted(venv_dir.glob("lib/python*/site-packages"))
    if len(found) != 1:
        raise FileNotFoundError(f"{venv_dir}: expected one lib/python*/site-packages, found {found}")
    return found[0]


def _virtualenv_env() -> dict[str, str]:
    """``os.environ`` without pip and virtualenv settings, for virtualenv itself."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("PIP_", "VIRTUALENV_"))}
    env["VIRTUALENV_CONFIG_FILE"] = os.devnull
    return env


@functools.lru_cache(maxsize=1)
def _virtualenv_options() -> frozenset[str]:
    """The long options the installed virtualenv's CLI shows (hidden, deprecated ones excluded)."""
    proc = subprocess.run(
        [sys.executable, "-m", "virtualenv", "--help"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**_virtualenv_env(), "COLUMNS": "200"},
        timeout=120,
        check=False,
    )
    return frozenset(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", proc.stdout))


def create_venv(
    dest: Path,
    *,
    pip_version: str | None = None,
    wheelhouse: Path | None = None,
    app_data: Path | None = None,
) -> Path:
    """Create a virtualenv at `dest` with pip only (no setuptools, no wheel); return its python.

    pip is the wheel virtualenv bundles, or `pip_version` from `wheelhouse` (a folder of pip
    wheels fetched beforehand: nothing is downloaded here). `app_data` is virtualenv's cache
    folder; it defaults to a sibling of `dest`, so nothing is written under the real home.
    """
    from virtualenv import cli_run

    dest = Path(dest)
    if app_data is None:
        app_data = dest.with_name(dest.name + ".virtualenv-app-data")
    supported = _virtualenv_options()
    args = [
        str(dest),
        "--no-periodic-update",
        "--no-download",
        "--seeder",
        "app-data",
        "--app-data",
        str(app_data),
        "--quiet",
    ]
    # Options that come and go between virtualenv releases are passed only when offered:
    # --no-wheel is hidden once wheel is no longer seeded, --no-venv-redirect is recent.
    args += [flag for flag in ("--no-setuptools", "--no-wheel", "--no-venv-redirect") if flag in supported]
    if pip_version is None:
        args += ["--pip", "bundle"]
    else:
        if wheelhouse is None or not any(Path(wheelhouse).glob(f"pip-{pip_version}-*.whl")):
            raise MissingPipWheel(
                f"no pip-{pip_version}-*.whl in wheelhouse {wheelhouse}: fetch it beforehand, e.g. "
                f"`pip download --no-deps --dest <wheelhouse> pip=={pip_version}`"
            )
        args += ["--pip", pip_version, "--extra-search-dir", str(wheelhouse)]
    if "env" in inspect.signature(cli_run).parameters:
        cli_run(args, setup_logging=False, env=_virtualenv_env())
    else:
        # Older virtualenv releases read os.environ only.
        cli_run(args, setup_logging=False)
    python = venv_python(dest)
    if not python.exists():
        raise RuntimeError(f"virtualenv reported success but {python} does not exist")
    return python


def clone_venv(template: Path, dest: Path) -> Path:
    """Copy the virtualenv at `template` to `dest` (symlinks kept as symlinks); return its python.

    Scripts (``bin/pip``'s shebang, ``activate*``) and ``pyvenv.cfg`` name the template; they are
    rewritten to name the clone, so ``pip`` on PATH installs into the clone and ``activate``
    activates it. Windows launchers (``Scripts/*.exe``) embed the path in binary form and are left
    alone: use ``python -m pip`` there.
    """
    template, dest = Path(template), Path(dest)
    shutil.copytree(template, dest, symlinks=True)
    old, new = str(template).encode(), str(dest).encode()
    candidates = [dest / "pyvenv.cfg", *venv_bin(dest).iterdir()]
    for path in candidates:
        if path.is_symlink() or not path.is_file() or path.suffix == ".exe":
            continue
        data = path.read_bytes()
        if old in data and b"\0" not in data[:1024]:
            path.write_bytes(data.replace(old, new))
    return venv_python(dest)


class Installed(dict[str, str]):
    """Canonical name -> version, comparable as sets of (name, version) pairs.

    ``installed(py, env) >= {"alpha": "1.0"}`` reads as "alpha 1.0 is installed, among others".
    """

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return all(name in self and self[name] == version for name, version in other.items())

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return all(name in other and other[name] == version for name, version in self.items())


_INSTALLED_SCRIPT = """
import json, sys
try:
    from importlib.metadata import distributions
except ImportError:
    sys.exit(3)
out = []
for dist in distributions():
    name = dist.metadata["Name"]
    if name:
        out.append([name, dist.version])
print(json.dumps(out))
"""


def installed(venv_python: Arg, env: Mapping[str, str]) -> Installed:
    """Distributions importable by `venv_python`: canonical name -> version.

    Asked of importlib.metadata in isolated mode (-I: no PYTHONPATH, no user site, no cwd), so
    only what the environment itself holds counts; pip list is the fallback for Pythons < 3.8.
    """
    proc = run([venv_python, "-I", "-c", _INSTALLED_SCRIPT], env=env, timeout=120)
    if proc.returncode == 0:
        pairs = json.loads(proc.stdout)
    else:
        listed = run([venv_python, "-m", "pip", "list", "--format=json"], env=env, timeout=120)
        if listed.returncode != 0:
            detail = f"{proc.stderr}\n{listed.stderr}"
            raise RuntimeError(f"cannot list what {venv_python} has installed:\n{detail}")
        pairs = [[item["name"], item["version"]] for item in json.loads(listed.stdout)]
    result = Installed()
    for name, version in pairs:
        # The first on sys.path wins, as it does for imports.
        result.setdefault(str(canonicalize_name(name)), version)
    return result


# -- running commands -------------------------------------------------------------------------


def _argv(cmd: Sequence[Arg]) -> list[str]:
    if isinstance(cmd, (str, bytes, os.PathLike)):
        raise TypeError("pass the command as a sequence of arguments, never as one string")
    return [os.fspath(arg) for arg in cmd]


def kill_tree(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Kill the process and everything it started (its own session on POSIX)."""
    if IS_WINDOWS:
        proc.kill()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run(
    cmd: Sequence[Arg],
    *,
    env: Mapping[str, str],
    cwd: Arg | None = None,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd` (no shell), capture stdout and stderr as text, and never raise on a failure exit.

    Without `input`, stdin is empty (a prompt gets EOF instead of waiting for the tester).
    On a timeout, the command and its children are killed and ``subprocess.TimeoutExpired`` is
    raised with what they printed so far.
    """
    argv = _argv(cmd)
    with subprocess.Popen(
        argv,
        env=dict(env),
        cwd=None if cwd is None else os.fspath(cwd),
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        # Its own session, so a timeout can kill safepip's pip child as well as safepip.
        start_new_session=not IS_WINDOWS,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc)
            stdout, stderr = proc.communicate()
            raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr) from None
        except BaseException:
            kill_tree(proc)
            raise
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


# Makes the pty the controlling terminal of the command, then becomes the command. Done in a
# trampoline process rather than in a preexec_fn, which is unsafe in a process with threads (the
# index server runs in one).
PTY_TRAMPOLINE = (
    "import fcntl, os, sys, termios\n"
    "try:\n"
    "    fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "except OSError:\n"
    "    pass\n"
    "os.execvp(sys.argv[1], sys.argv[1:])\n"
)
_PTY_COLUMNS, _PTY_ROWS = 120, 40


def run_in_pty(
    cmd: Sequence[Arg],
    *,
    env: Mapping[str, str],
    cwd: Arg | None = None,
    timeout: float = 120,
    input: str | None = None,
) -> tuple[int, str]:
    """Run `cmd` with a pseudo-terminal as stdin, stdout and stderr; return (exit code, output).

    The output is everything the command wrote to the terminal, decoded as UTF-8, with the
    terminal's ``\\r\\n`` line endings kept. `input` is typed into the terminal at the start (and so
    is echoed in the output). POSIX only: elsewhere the calling test is skipped. Past `timeout`
    seconds the command and its children are killed and ``subprocess.TimeoutExpired`` is raised.
    """
    if IS_WINDOWS:
        import pytest  # here, not above: scripts/demo uses this module without pytest installed

        pytest.skip("pseudo-terminals are POSIX only")
    import fcntl
    import pty
    import struct
    import termios

    argv = _argv(cmd)
    master, slave = pty.openpty()
    try:
        # Without a size a terminal reports 0 columns and progress bars pick odd widths; set here
        # rather than through COLUMNS, which a real terminal session does not usually export.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", _PTY_ROWS, _PTY_COLUMNS, 0, 0))
        proc = subprocess.Popen(
            [sys.executable, "-c", PTY_TRAMPOLINE, *argv],
            env=dict(env),
            cwd=None if cwd is None else os.fspath(cwd),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            close_fds=True,
        )
    except BaseException:
        os.close(master)
        os.close(slave)
        raise
    # Only the child may hold the slave end: EOF on the master then means the child is done.
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        if input is not None:
            os.write(master, input.encode("utf-8"))
        exited_at: float | None = None
        while True:
            now = time.monotonic()
            if now >= deadline:
                kill_tree(proc)
                proc.wait()
                output = b"".join(chunks).decode("utf-8", "replace")
                raise subprocess.TimeoutExpired(argv, timeout, output)
            ready, _, _ = select.select([master], [], [], min(0.1, deadline - now))
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError as exc:
                    # Linux reports the last slave being closed as EIO rather than EOF.
                    if exc.errno != errno.EIO:
                        raise
                    data = b""
                if not data:
                    break
                chunks.append(data)
                continue
            if proc.poll() is not None:
                # A grandchild may keep the terminal open after the command exits; give it a
                # moment to flush, then stop rather than wait for the deadline.
                exited_at = exited_at or now
                if now - exited_at > 0.5:
                    break
        code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except BaseException:
        kill_tree(proc)
        proc.wait()
        raise
    finally:
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")
