"""pip configuration files the tests write, each where pip reads it."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.index import PackageIndex


def with_pip_conf(tmp_path: Path, env: dict[str, str], text: str) -> dict[str, str]:
    """`env` with a pip configuration file (PIP_CONFIG_FILE) that holds `text`."""
    conf = tmp_path / "pip.conf"
    conf.write_text(text, encoding="utf-8")
    return {**env, "PIP_CONFIG_FILE": str(conf)}


def bad_mirror_inside(
    python: Path,
    env: dict[str, str],
    tmp_path: Path,
    index: PackageIndex,
    bad_mirror: PackageIndex,
    wheel: Path,
) -> tuple[dict[str, str], Path]:
    """The user's pip.conf names the good index; the target's own pip.conf a mirror serving wrong
    bytes of `wheel`, which plain pip in the target uses (site configuration wins over the user's).
    The environment to run with, and the target's configuration file."""
    env = dict(env)
    del env["PIP_CONFIG_FILE"]
    env["XDG_CONFIG_DIRS"] = str(tmp_path / "no-global-config")
    user_config = Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text(f"[global]\nindex-url = {index.url}\ntrusted-host = 127.0.0.1\n")
    bad_mirror.add(wheel)
    bad_mirror.set_fault(wheel.name, "corrupt_always")
    site_config = Path(python).parent.parent / ("pip.ini" if os.name == "nt" else "pip.conf")
    site_config.write_text(f"[global]\nindex-url = {bad_mirror.url}\n")
    return env, site_config
