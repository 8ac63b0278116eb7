"""The last rung's environment: a brand-new virtualenv with an up-to-date pip, made with virtualenv's
Python API.

It exists to give a fresh pip, nothing else: one past what the target environment's pip carries with
it (case-sensitive hash comparison before 24.2, the 22.3 candidate filtering). That pip then installs
where the user asked, run against the target's interpreter with pip's own ``--python`` (pip 22.3 and
newer: `FreshVenv.can_install_into_others`), so the target's configuration, its site ``pip.conf``
included, applies as it would to the target's own pip. Only where that pip is too old for
``--python`` does it install into this environment itself, with the target's site configuration
copied in (`adopt_site_config`).

It is made from the interpreter the packages are for, so virtualenv seeds the newest pip it bundles
for that Python (app-data seeding: a copy, no download). Both are asked for explicitly, so a
virtualenv configuration of the user's cannot turn them off. The app-data folder is virtualenv's
default one (platformdirs), shared with every virtualenv made on the machine, so after the first time
seeding is a copy of files already unpacked. It is never created over an existing path, and it is
removed again unless packages were installed into it.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from safepip import trace
from safepip.pip.probes import HAS_PYTHON_OPTION


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


@dataclass(frozen=True)
class FreshVenv:
    """A virtualenv this run created: where it is, its interpreter and its site-packages folders."""

    location: Path
    python: Path
    site_packages: tuple[Path, ...]

    def installed(self) -> frozenset[str]:
        """The (canonical) names of the distributions in it."""
        paths = [str(folder) for folder in self.site_packages]
        return frozenset(
            canonicalize_name(dist.metadata["Name"] or "") for dist in metadata.distributions(path=paths)
        )

    def pip_version(self) -> Version | None:
        """The version of the pip virtualenv put in it, or None if it cannot be told."""
        paths = [str(folder) for folder in self.site_packages]
        for dist in metadata.distributions(path=paths):
            if canonicalize_name(dist.metadata["Name"] or "") == "pip":
                try:
                    return Version(dist.version)
                except InvalidVersion:
                    return None
        return None

    @property
    def can_install_into_others(self) -> bool:
        """Whether its pip has ``--python``: runs under another interpreter, installs there."""
        version = self.pip_version()
        return version is not None and version >= HAS_PYTHON_OPTION

    def adopt_site_config(self, files: Iterable[Path]) -> list[Path]:
        """Copy the target's own pip configuration files (its "site" configuration) into this
        environment, where its pip reads them the same way: the copies made."""
        copied = []
        for source in files:
            destination = self.location / source.name
            shutil.copyfile(source, destination)
            copied.append(destination)
        return copied


def create(python: Path, location: Path) -> FreshVenv:
    """Create the environment for `python`'s version and return it."""
    if location.exists():
        raise FreshVenvError(f"{location} already exists; safepip never creates an environment over it")
    # virtualenv is heavy (a tenth of a second to import) and only this rung, of the whole recovery,
    # needs it: the one import inside a function in recovery/.
    from virtualenv import cli_run

    location.parent.mkdir(parents=True, exist_ok=True)
    trace.event("fresh-venv", location=str(location))
    try:
        session = cli_run(
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
    creator = session.creator
    folders = tuple(dict.fromkeys(Path(p) for p in (creator.purelib, creator.platlib)))
    return FreshVenv(location, Path(creator.exe), folders)


def activate_hint(location: Path) -> str:
    if os.name == "nt":
        return str(location / "Scripts" / "activate")
    return f"source {location / 'bin' / 'activate'}"


def remove(location: Path) -> None:
    """Remove an environment this run created (callers never pass anything else)."""
    shutil.rmtree(location, ignore_errors=True)
