"""``safepip verify-cache [-r FILE ...] [--json] [--dry-run] [pip options]``: find every corrupted
download in pip's cache, and move it into safepip's quarantine.

It checks the cache of the pip a plain ``pip`` would run (pip's own ``--python``, an active
virtualenv, ...), both layouts, and downloads no package file:

- with ``-r``: every cached file of every release the requirements pin (and its PEP 658 metadata
  file), against the lock's hashes and what the index publishes for that file;
- without: every entry of the cache, against what the index publishes for it, asked with the
  user's own pip configuration (and options given here, such as ``--index-url``). An entry is
  matched to a published file by its URL's key; one the index does not offer this interpreter is
  checked for its length only.

Bad entries (wrong bytes, cut short, empty) move into the quarantine under the same guarantees as a
recovery's (recovery/eviction.py); ``--dry-run`` only reports. The check itself is the one a
recovery runs at the first mismatch (recovery/cachecheck.py).

Exit codes: 0 clean; 26 corrupted entries found and all moved out; 27 corrupted entries found and
some still in pip's cache (``--dry-run``, or the cache cannot be changed); 28 not checked: pip could
not say what the index publishes (offline, an unreachable index); 24 no usable pip.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from safepip.config.invocation import Invocation
from safepip.config.settings import Settings
from safepip.errors import ExitCode
from safepip.output.console import printable
from safepip.pip import args as pipargs
from safepip.pip import index, target
from safepip.recovery import cachecheck, eviction
from safepip.recovery.job import Job
from safepip.recovery.surroundings import Surroundings

SCHEMA = "safepip-verify-cache/1"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip verify-cache",
        description=(
            "Find every corrupted download in pip's cache and move it into safepip's quarantine. "
            "Other options (--index-url, --cache-dir, ...) are pip's, read as pip reads them."
        ),
    )
    parser.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="check the files these requirements pin, against their hashes (else: the whole cache)",
    )
    parser.add_argument("--python", help="the interpreter or environment whose pip's cache to check")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--dry-run", action="store_true", help="report only; move nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every file checked")
    return parser


def _status(checked: cachecheck.Checked) -> str:
    if checked.bad:
        return "corrupted"
    if checked.stale_pin:
        return "stale-pin"
    return "good" if checked.verified else "length-only"


@dataclass(frozen=True)
class _Findings:
    """What the check found and did, for either way of telling it."""

    cache_dir: Path
    lock: bool
    checked: list[cachecheck.Checked]
    moved: eviction.Eviction | None
    still: list[cachecheck.Checked]
    failures: list[str]
    unchecked: str | None

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.checked:
            counts[_status(item)] = counts.get(_status(item), 0) + 1
        return counts


def main(argv: Sequence[str], settings: Settings, stdout: TextIO | None = None) -> int:
    args, pip_options = _parser().parse_known_args(list(argv))
    out = stdout or sys.stdout
    general = ["--python", args.python] if args.python else []
    requirements = [f"--requirement={path}" for path in args.requirement]
    line = pipargs.parse([*general, "install", *requirements, *pip_options])
    chosen = target.choose(line, os.environ)
    if chosen.reason == "--python":
        line = pipargs.parse(line.without_python_option())
    lock = bool(args.requirement)
    job = Job(chosen, line, os.environ, Invocation(), scratch="")
    surroundings = Surroundings(job, ask_pinned=lock)
    try:
        cache_dir = surroundings.cache_dir()
        if cache_dir is None or not cache_dir.is_dir():
            text = f"pip's cache: {cache_dir or 'switched off'}\nnothing to check: pip has no cache here.\n"
            out.write(
                json.dumps({"schema": SCHEMA, "cache_dir": None, "exit_code": 0}) + "\n"
                if args.json
                else text
            )
            return ExitCode.OK
        if lock:
            facts = surroundings.pinned_facts()
            checked = [] if facts is None else cachecheck.check(cache_dir, cachecheck.expectations(facts))
        else:
            # Every entry is read once (its length checked against the record's), then the index is
            # asked about the projects the bodies name; an index that cannot answer leaves the rest
            # checked for length only. pip is imported and its session built while the cache is read.
            asking = index.start(chosen.python, line, os.environ, index.LATER, read_requirements=False)
            surveyed = cachecheck.survey(cache_dir)
            releases = [(project, index.EVERY_VERSION) for project in surveyed.projects]
            facts = None
            if asking is not None:
                index.send(asking, releases)
                facts = index.answer(asking)
            published = [] if facts is None else cachecheck.expectations(facts, pinned_only=False)
            checked = cachecheck.match(surveyed, published)
        unchecked = None
        if facts is None:
            unchecked = (
                "pip could not say what the index publishes (offline, or the index cannot be reached), "
                "so nothing was checked against it"
            )
        elif facts.unreachable:
            pages = "; ".join(f"{url}: {reason}" for url, reason in facts.unreachable[:3])
            more = f" and {len(facts.unreachable) - 3} more" if len(facts.unreachable) > 3 else ""
            unchecked = (
                f"pip could not fetch {len(facts.unreachable)} index page(s) ({pages}{more}), so the "
                "cached files of those projects were checked for length only"
            )
        bad = [c for c in checked if c.bad]
        moved, failures = None, []
        if bad and not args.dry_run:
            try:
                moved = eviction.evict(cache_dir, [], settings.quarantine_dir, bad)
            except eviction.EvictionError as exc:
                failures.append(str(exc))
    finally:
        surroundings.stop()
    evicted = {c.entry.record for c in moved.found} if moved else set()
    still = [c for c in bad if c.entry.record not in evicted]
    if still:
        code = ExitCode.CACHE_STILL_CORRUPT
    elif unchecked:
        code = ExitCode.CACHE_UNCHECKED
    elif bad:
        code = ExitCode.CACHE_EVICTED
    else:
        code = ExitCode.OK
    findings = _Findings(cache_dir, lock, checked, moved, still, failures, unchecked)
    if args.json:
        data = _as_json(findings, int(code))
        json.dump(data, out, indent=2)
        out.write("\n")
    else:
        text = _as_text(args, findings)
        out.write(printable(text, keep_newlines=True))
    return int(code)


def _as_json(found: _Findings, code: int) -> dict[str, Any]:
    moved = found.moved
    return {
        "schema": SCHEMA,
        "cache_dir": str(found.cache_dir),
        "against": "lock" if found.lock else "index",
        "checked": len(found.checked),
        "counts": found.counts(),
        "files": [{**c.to_json(), "status": _status(c)} for c in found.checked],
        "quarantine": str(moved.quarantine) if moved and moved.quarantine else None,
        "moved": [str(p) for p in moved.moved] if moved else [],
        "still_in_cache": [c.to_json() for c in found.still],
        "errors": found.failures,
        "not_checked": found.unchecked,
        "exit_code": code,
    }


def _as_text(args: argparse.Namespace, found: _Findings) -> str:
    cache_dir, checked, moved, still, unchecked = (
        found.cache_dir,
        found.checked,
        found.moved,
        found.still,
        found.unchecked,
    )
    against = "the lock's hashes and the index's" if found.lock else "what the index publishes"
    lines = [f"pip's cache: {cache_dir}"]
    if unchecked:
        lines.append(f"not checked: {unchecked}.")
    if checked:
        summary = ", ".join(f"{n} {status}" for status, n in sorted(found.counts().items()))
        lines.append(f"checked {len(checked)} cached file(s) against {against}: {summary}")
    for item in checked:
        status = _status(item)
        if status in ("good", "length-only") and not args.verbose:
            continue
        detail = item.problem.sentence if item.problem else status
        if item.stale_pin:
            detail = "the index's own file, which the lock does not pin (a stale pin, not a corruption)"
        lines.append(f"  {status:<11} {item.label}: {detail}")
        if item.bad and item.digest:
            where = item.entry.record.relative_to(cache_dir)
            lines.append(f"              got {item.algorithm} {item.digest} (entry {where})")
    if moved and moved.quarantine:
        lines.append(
            f"moved {moved.count} file(s) out of pip's cache into {moved.quarantine} "
            f"(safepip quarantine restore {moved.quarantine.name} puts them back)"
        )
    if moved and moved.pruned:
        names = ", ".join(f.name for f in moved.pruned)
        lines.append(
            f"deleted {len(moved.pruned)} old quarantine folder(s) (two weeks, 512 MB at most): {names}"
        )
    lines += [f"could not move them: {text}" for text in found.failures]
    if still:
        lines.append(
            f"{len(still)} corrupted file(s) still in pip's cache" + (" (--dry-run)" if args.dry_run else "")
        )
    if checked and not [c for c in checked if c.bad] and not unchecked:
        lines.append("no corrupted download found.")
    return "\n".join(lines) + "\n"
