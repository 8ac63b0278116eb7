"""``safepip --safepip-doctor``: what in the target environment could cause or worsen hash mismatches.

It looks at the environment a plain ``pip`` would use (the same choice as every safepip run, so
``--python X`` and ``SAFEPIP_PYTHON`` work here too) and asks that interpreter and its pip, in
subprocesses: the pip version, root or not, virtual environment or system Python, pip's cache
(where, how big, whose files), the configuration in effect (``pip config debug``: indexes,
mirrors, ``no-cache-dir``, a ``pip.conf`` inside the environment), and the variables that override
pip's own certificate settings. Each finding says what it can do and how to fix it.

Exit code: 0 when nothing was found that could cause or worsen a mismatch (notes are facts, not
findings), 1 when there are warnings, 24 when the environment cannot be used at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from packaging.version import InvalidVersion, Version

from safepip import redact
from safepip.config.settings import Settings
from safepip.errors import ExitCode, TargetUnusable
from safepip.output.console import paint, wants_color
from safepip.pip import args as pipargs
from safepip.pip import caching, probes, target
from safepip.pip import options as pipoptions

WIDTH = 100
_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@dataclass
class Finding:
    #: "warning": could cause or worsen hash mismatches; "note": a fact worth knowing.
    severity: str
    code: str
    message: str
    fix: str = ""


@dataclass
class PipSetting:
    key: str
    value: str
    #: A config file's path, or "environment PIP_X".
    origin: str
    section: str = "global"


@dataclass
class Probe:
    python: str
    reason: str
    version: str | None = None
    prefix: str | None = None
    base_prefix: str | None = None
    euid: int | None = None
    pip: str | None = None
    #: pip's ``--python X``: the interpreter pip runs its code under, whose environment this is.
    install_python: str | None = None
    cache_dir: str | None = None
    cache_disabled: bool = False
    cache_size: int = 0
    cache_files: int = 0
    cache_foreign_files: int = 0
    settings: list[PipSetting] = field(default_factory=list)
    site_configs: list[str] = field(default_factory=list)
    #: pip's own --cert in effect (a path), and whether pip lets requests read the CA-bundle
    #: variables (not with a proxy of pip's own, nor with --no-proxy-env).
    cert: str | None = None
    reads_ca_variables: bool = True

    @property
    def in_virtualenv(self) -> bool:
        return self.prefix is not None and self.prefix != self.base_prefix


# -- probing (subprocesses) -----------------------------------------------------------------------


def _option_key(key: str) -> str:
    """A config key or variable name as the option it sets: pip's normalisation (lower case, ``_`` as
    ``-``), then the option's first spelling, so ``pypi-url`` is ``index-url``."""
    key = key.lower().replace("_", "-")
    return pipoptions.OPTION_OF.get("--" + key, "--" + key)[2:]


def effective_settings(config: Mapping[str, Any], command: str = "install") -> list[PipSetting]:
    """The setting pip uses for each key, and where it comes from, from what the probe read.

    pip reads ``[global]`` in every file, then ``[<command>]`` in every file, then its variables; a
    later one wins, and among files a later file (global, user, site, PIP_CONFIG_FILE). Each file
    was read by pip's own parser, on its own: ``pip config debug`` before pip 25.3 shows every key
    of a kind under each file of that kind, whichever file holds it.
    """
    chosen: dict[str, PipSetting] = {}
    for section in ("global", command):
        for found in config.get("files") or []:
            for key, value in ((found.get("sections") or {}).get(section) or {}).items():
                name = _option_key(key)
                if value == "":
                    chosen.pop(name, None)  # an empty value takes the key back to pip's default
                else:
                    chosen[name] = PipSetting(name, str(value), str(found["path"]), section)
    for variable, value in config.get("environment") or []:
        name = _option_key(str(variable)[4:])
        if value:
            chosen[name] = PipSetting(name, str(value), f"environment {variable}")
    return [
        replace(s, value=redact.proxy(s.value) if s.key == "proxy" else redact.text(s.value))
        for s in chosen.values()
    ]


def _measure(cache: Path, probe: Probe) -> None:
    me = os.geteuid() if hasattr(os, "geteuid") else None
    for folder, _dirs, files in os.walk(cache):
        for name in files:
            try:
                info = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            probe.cache_files += 1
            probe.cache_size += info.st_size
            if me is not None and info.st_uid != me:
                probe.cache_foreign_files += 1


def probe(chosen: target.Target, env: Mapping[str, str], python_option: str | None = None) -> Probe:
    """Ask the target's pip, in one probe, about its environment and the configuration in effect
    for ``pip install`` (with ``--python X`` when it is given, as pip itself would run there)."""
    line = pipargs.parse(["--python", python_option, "install"] if python_option else ["install"])
    found = probes.facts(chosen.python, env, probes.request(line, full=True, config_files=True))
    result = Probe(chosen.python, chosen.reason, found.version, found.prefix, found.base_prefix, found.euid)
    result.pip = found.pip
    if python_option:
        result.install_python = found.python
    result.site_configs = [str(path) for path in found.site_configs]
    if found.pip is None:
        return result
    if found.options is None:
        # A pip whose parser cannot be asked; with --python, one too old to have that option.
        if python_option:
            raise TargetUnusable(f"the pip of {chosen.python} ({found.pip}) has no --python (pip 22.3+)")
        return result
    options = found.options
    result.settings = effective_settings(found.config or {})
    result.cert = options.more.get("cert") or None
    result.reads_ca_variables = not options.more.get("proxy") and not options.more.get("no_proxy_env")
    result.cache_disabled = options.cache_disabled
    if options.cache_dir is not None:
        result.cache_dir = str(options.cache_dir)
        if options.cache_dir.is_dir():
            _measure(options.cache_dir, result)
    return result


# -- judging (plain functions over plain data) ----------------------------------------------------


def pip_version_findings(version: str, python: str = "python") -> list[Finding]:
    """Known pip bugs that make hash checking fail for files that are fine."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return []
    upgrade = f'{python} -m pip install --upgrade "pip>=24.2"'
    found = []
    if parsed < probes.CASE_INSENSITIVE_HASHES:
        found.append(
            Finding(
                "warning",
                "pip-case-sensitive-hashes",
                f"pip {version} compares hashes case-sensitively (fixed in pip 24.2): a hash pinned in "
                "upper case never matches, and the install fails with a hash mismatch.",
                upgrade,
            )
        )
    if Version("22.3") <= parsed < Version("22.4"):
        found.append(
            Finding(
                "warning",
                "pip-22.3-hash-regression",
                f"pip {version} has a hash-checking regression in how it filters candidates by "
                "hash (pip issue 11557): requirements that install with pip 22.2 can fail with a "
                "mismatch.",
                upgrade,
            )
        )
    return found


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def judge(found: Probe, env: Mapping[str, str]) -> list[Finding]:
    out: list[Finding] = []
    python = found.python
    if found.pip is None:
        return [
            Finding(
                "warning",
                "no-pip",
                f"{python} has no pip: safepip (and pip) cannot run there.",
                f"{python} -m ensurepip --upgrade",
            )
        ]
    out += pip_version_findings(found.pip, python)
    if found.euid == 0 and not found.in_virtualenv:
        out.append(
            Finding(
                "warning",
                "root-system-python",
                f"installing as root into the system Python ({found.prefix}), as `sudo pip` does: files "
                "written to pip's cache as root cannot be replaced or evicted by your own pip later, "
                "and installs can clash with the system's package manager.",
                "use a virtualenv (python3 -m venv .venv) or pipx; in a container image, a virtualenv "
                "or `pip install --user` as a normal user.",
            )
        )
    for path in found.site_configs:
        out.append(
            Finding(
                "warning",
                "site-config",
                f"the environment carries its own pip configuration, {path}: it applies to every pip "
                "run in this environment, over your own pip.conf, and can point pip at another index "
                "or mirror.",
                f"review it ({python} -m pip config --site list) and remove it if you did not mean it; "
                "safepip's fresh pip runs with it too, as every pip there does.",
            )
        )
    disabled_by = [s for s in found.settings if s.key == "no-cache-dir"]
    if found.cache_disabled or disabled_by:
        where = ", ".join(sorted({s.origin for s in disabled_by})) or "pip's configuration"
        falsy = [s for s in disabled_by if not pipargs.truth(s.value)]
        message = (
            f"pip's cache is switched off ({where}): every run downloads every file again, which "
            "means more exposure to damaged downloads and flaky mirrors, and safepip's eviction "
            "rung is skipped."
        )
        if falsy:
            message += (
                f" Note {falsy[0].key} = {falsy[0].value!r} also switches it off: pip treats any value "
                "of no-cache-dir as on."
            )
        out.append(
            Finding(
                "warning" if falsy else "note",
                "cache-disabled",
                message,
                f"remove no-cache-dir from {where} if you want the cache; keep it if this is a "
                "throwaway CI image.",
            )
        )
    if found.cache_dir:
        cache = Path(found.cache_dir)
        if not cache.exists():
            out.append(Finding("note", "cache", f"pip's cache: {cache} (not created yet)."))
        else:
            out.append(
                Finding(
                    "note",
                    "cache",
                    f"pip's cache: {cache}, {_megabytes(found.cache_size)} in {found.cache_files} files.",
                    f"{python} -m pip cache purge empties it (safepip evicts single entries itself).",
                )
            )
            if found.cache_foreign_files or not os.access(cache, os.W_OK):
                count = found.cache_foreign_files
                owner = f"{count} of its files belong to another user" if count else "it is not writable"
                out.append(
                    Finding(
                        "warning",
                        "cache-not-yours",
                        f"pip's cache {cache}: {owner} (typically left by `sudo pip`): pip cannot replace "
                        "a corrupted entry there and safepip cannot evict it.",
                        f'sudo chown -R "$(id -u):$(id -g)" {cache}'
                        if os.name != "nt"
                        else f"give your user ownership of {cache}",
                    )
                )
    indexes = [s for s in found.settings if s.key in ("index-url", "extra-index-url", "find-links")]
    for setting in indexes:
        out.append(
            Finding(
                "note",
                "index",
                f"{setting.key} = {setting.value} (from {setting.origin}"
                + ("" if setting.origin.startswith("environment") else f", [{setting.section}]")
                + ")",
            )
        )
    extra = [s for s in found.settings if s.key == "extra-index-url"]
    if extra:
        out.append(
            Finding(
                "warning",
                "several-indexes",
                "pip looks in more than one index (extra-index-url from "
                f"{', '.join(sorted({s.origin for s in extra}))}): when two indexes serve different "
                "files for the same name and version, the hash pinned for one fails for the other.",
                "use a single index (one mirror or proxy that serves both), or lock hashes for every "
                "file each index serves.",
            )
        )
    plain = [s for s in indexes if any(part.lower().startswith("http://") for part in s.value.split())] + [
        s for s in found.settings if s.key == "trusted-host"
    ]
    if plain:
        what = "; ".join(f"{s.key} {s.value} ({s.origin})" for s in plain)
        out.append(
            Finding(
                "warning",
                "plain-http",
                f"files can reach pip over plain HTTP or unverified TLS ({what}): anything in between can "
                "alter them, and they then fail their hash check.",
                "use https:// index URLs with a verified certificate (pip's --cert), and drop trusted-host.",
            )
        )
    out += _ca_bundle_findings(found, env)
    proxies = sorted({f"{v}={redact.proxy(env[v])}" for v in _PROXY_VARIABLES if env.get(v)})
    proxies += [f"proxy = {s.value} ({s.origin})" for s in found.settings if s.key == "proxy"]
    if proxies:
        out.append(Finding("note", "proxy", f"downloads go through a proxy: {'; '.join(proxies)}."))
    if env.get("PIP_CONFIG_FILE") == os.devnull:
        out.append(
            Finding("note", "no-config-files", f"PIP_CONFIG_FILE={os.devnull}: pip reads no config file.")
        )
    return out


def index_findings(answer: caching.Answer) -> list[Finding]:
    """Whether pip's HTTP cache keeps what the index serves (``--check-index``)."""
    if answer.problem or answer.status is None:
        return [
            Finding(
                "note",
                "index-not-checked",
                f"could not tell whether pip's cache keeps the index's files ({answer.project}): "
                f"{answer.problem or 'no answer'}.",
            )
        ]
    kept, why = caching.kept_by_pip(answer.status, answer.headers)
    if kept:
        return [
            Finding(
                "note",
                "index-cached",
                f"pip's cache keeps the index's files ({why}; asked for {answer.url}).",
            )
        ]
    return [
        Finding(
            "warning",
            "index-not-cached",
            f"the index sends {why} with its files ({answer.url}): pip's HTTP cache never keeps them, "
            "so every run downloads every file again: slower, and each download one more chance for "
            "damaged bytes.",
            "have the index or mirror send an ETag or Cache-Control: max-age with its files, as PyPI "
            "does (web servers and repository managers can be set to).",
        )
    ]


def _same_file(one: str, other: str | None) -> bool:
    try:
        return other is not None and os.path.samefile(one, other)
    except OSError:
        return False


def _ca_bundle_findings(found: Probe, env: Mapping[str, str]) -> list[Finding]:
    """REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE, replaces pip's own certificate setting.

    requests reads the first one set, and only when pip lets it read the environment: not with a
    proxy of pip's own or ``--no-proxy-env``. A variable naming the very file pip's ``cert`` names
    changes nothing, and is no finding.
    """
    given = [(v, env[v]) for v in _CA_VARIABLES if env.get(v)]
    if not given:
        return []
    variable, value = given[0]
    shadowed = f" ({given[1][0]} is not read: {variable} comes first)" if len(given) > 1 else ""
    if not found.reads_ca_variables:
        return [
            Finding(
                "note",
                "ca-bundle-ignored",
                f"{variable}={value} is set, but pip does not read it: pip's own proxy setting (or "
                "--no-proxy-env) makes its connections ignore such variables.",
            )
        ]
    if _same_file(value, found.cert):
        return [
            Finding(
                "note",
                "ca-bundle-same-as-cert",
                f"{variable}={value} names the file pip's own cert names: it changes nothing.{shadowed}",
            )
        ]
    missing = "" if Path(value).exists() else " (that file does not exist)"
    return [
        Finding(
            "warning",
            "ca-bundle-override",
            f"{variable}={value}{missing} is set: pip's HTTPS connections use it instead of pip's "
            f"own --cert, PIP_CERT or cert = in pip.conf{f' ({found.cert})' if found.cert else ''}. "
            "It is common on corporate laptops with a TLS-inspecting proxy, which can also hand pip "
            f"altered or cut-off files.{shadowed}",
            f"if pip should use its own certificate setting, run it without {variable} "
            f"(env -u {variable} pip ...); make sure the proxy passes package files unchanged.",
        )
    ]


# -- showing --------------------------------------------------------------------------------------


def _wrap(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)


def render(found: Probe, findings: list[Finding], *, color: bool = False) -> str:
    where = f"virtual environment {found.prefix}" if found.in_virtualenv else f"system Python {found.prefix}"
    lines = [
        f"safepip doctor: the pip of {found.python} (chosen by {found.reason})",
        f"  python  {found.version}, {where}" + (", running as root" if found.euid == 0 else ""),
        f"  pip     {found.pip or 'not installed'}",
    ]
    if found.install_python:
        lines.insert(1, f"  runs its code under {found.install_python} (pip's --python)")
    notes = [f for f in findings if f.severity == "note"]
    warnings = [f for f in findings if f.severity == "warning"]
    for note in notes:
        lines += _wrap(note.message, "  note    ", " " * 10)
    for warning in warnings:
        lines.append("")
        lines += _wrap(warning.message, "warning: ", "  ")
        if warning.fix:
            lines += _wrap(warning.fix, "  fix: ", "       ")
    lines.append("")
    if warnings:
        lines.append(f"{len(warnings)} warning(s): each could cause or worsen hash mismatches.")
    else:
        lines.append("Nothing found that could cause or worsen hash mismatches.")
    if color:
        lines = [_paint_line(line) for line in lines]
    return "\n".join(lines) + "\n"


def _paint_line(line: str) -> str:
    for word, style in (("warning:", "33;1"), ("  note", "2"), ("Nothing found", "32")):
        if line.startswith(word):
            return paint(word, style, color=True) + line[len(word) :]
    return line


def main(argv: Sequence[str], settings: Settings, stdout: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="safepip --safepip-doctor",
        description="Say what in the target environment could cause or worsen hash mismatches.",
    )
    parser.add_argument("--python", help="the interpreter or environment to inspect (as pip's --python)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--check-index",
        nargs="?",
        const="pip",
        metavar="PROJECT",
        help="also ask the index for one file of PROJECT (default: pip) and say whether pip's cache keeps it",
    )
    args = parser.parse_args(list(argv))
    out = stdout or sys.stdout
    chosen = target.runs(os.environ)
    if args.python and target.pip_python_option(args.python) is None:
        raise TargetUnusable(f"--python {args.python}: no such interpreter or environment")
    found = probe(chosen, os.environ, args.python)
    findings = judge(found, os.environ)
    if args.check_index and found.pip is not None:
        findings += index_findings(caching.ask(chosen.python, [], os.environ, args.check_index))
    if args.json:
        data = {"target": asdict(found), "findings": [asdict(f) for f in findings]}
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        out.write(render(found, findings, color=wants_color(out, os.environ)))
    if found.pip is None:
        return ExitCode.TARGET_UNUSABLE
    return ExitCode.DOCTOR_FINDINGS if any(f.severity == "warning" for f in findings) else ExitCode.OK
