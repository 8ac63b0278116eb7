"""The last rung: a brand-new virtualenv with an up-to-date pip, made with virtualenv's Python API.

A fresh environment gets past what the target environment carries with it: an old pip with a hash
bug (case-sensitive comparison before 24.2, the 22.3 candidate filtering), or a ``pip.conf`` inside
the environment that sends pip to a bad mirror. It uses the same interpreter as the target.

virtualenv seeds pip from the wheel it embeds (app-data seeding: a copy, no download), so creating
it is fast and offline: both are asked for explicitly, so a virtualenv configuration of the user's
cannot turn them off. The app-data folder is virtualenv's default one (platformdirs), shared with
every virtualenv made on the machine, so after the first time seeding is a copy of files already
unpacked. It is never created over an existing path, and it is removed again unless the install in
it succeeded.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path

from safepip import trace


class FreshVenvError(Exception):
    pass


def choose_location(explicit: Path | None, parent: Path, label: str) -> Path:
    """Where the new environment goes: the exact path asked for, or a new folder under `parent`."""
    if explicit is not None:
        if explicit.exists():
            raise FreshVenvError(f"{explicit} already exists; safepip never creates an environment over it")
        return explicit
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "env"
    return parent / f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def create(python: Path, location: Path) -> Path:
    """Create the environment and return its interpreter."""
    if location.exists():
        raise FreshVenvError(f"{location} already exists; safepip never creates an environment over it")
    # virtualenv is heavy (a tenth of a second to import) and only this rung, of the whole recovery,
    # needs it: the one import inside a function in recovery/.
    from virtualenv import cli_run

    location.parent.mkdir(parents=True, exist_ok=True)
    trace.event("fresh-venv", location=str(location))
    try:
        cli_run(
            [
                str(location),
                "--python",
                str(python),
                "--seeder",
                "app-data",
                "--no-download",
                "--no-periodic-update",
                "--quiet",
            ],
            setup_logging=False,
        )
    except BaseException as exc:
        remove(location)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise FreshVenvError(f"virtualenv could not create {location}: {exc}") from exc
    return interpreter(location)


def interpreter(location: Path) -> Path:
    if os.name == "nt":
        return location / "Scripts" / "python.exe"
    return location / "bin" / "python"


def activate_hint(location: Path) -> str:
    if os.name == "nt":
        return str(location / "Scripts" / "activate")
    return f"source {location / 'bin' / 'activate'}"


def remove(location: Path) -> None:
    """Remove an environment this run created (callers never pass anything else)."""
    shutil.rmtree(location, ignore_errors=True)
