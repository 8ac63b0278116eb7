"""``safepip quarantine [list|restore|purge]``: what safepip moved out of pip's cache, put back or gone.

- ``list [--json]`` (the default): each quarantine folder, oldest first: its name, when, how many
  files and bytes, the files it was about, the cache they came from.
- ``restore NAME ...``: put a folder's files back where they were in pip's cache. An entry pip's
  cache holds again (pip fetched it since) is never overwritten: it is left in the quarantine, and
  said so. A folder with nothing left is removed.
- ``purge NAME ... | --all``: delete folders (safepip's own files; only folders that carry its
  manifest). safepip also prunes the quarantine itself after each eviction: folders older than two
  weeks, then the oldest beyond 512 MB, never one the current run made.

A NAME is a folder's name, or a start of it that only one folder has. Exit 0; 2 for a NAME that
matches no folder; 1 when ``restore`` cannot change pip's cache (read-only, locked).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from safepip.config.settings import Settings
from safepip.errors import ExitCode, SafepipError, UsageError
from safepip.output.console import printable
from safepip.recovery import eviction, quarantine


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip quarantine",
        description="List, restore or purge the cache entries safepip moved out of pip's cache.",
    )
    sub = parser.add_subparsers(dest="action")
    listing = sub.add_parser("list", help="each quarantine folder (the default)")
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    restore = sub.add_parser("restore", help="put a folder's files back into pip's cache")
    restore.add_argument("names", nargs="+", metavar="NAME")
    purge = sub.add_parser("purge", help="delete quarantine folders")
    purge.add_argument("names", nargs="*", metavar="NAME")
    purge.add_argument("--all", action="store_true", help="every folder")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    return parser


def _when(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment)) if moment else "?"


def _as_json(folder: quarantine.Folder) -> dict[str, Any]:
    return {
        "name": folder.name,
        "path": str(folder.path),
        "created": folder.created,
        "cache_dir": str(folder.cache_dir) if folder.cache_dir else None,
        "files": [str(p) for p in folder.moved],
        "bytes": folder.size,
        "about": folder.what,
    }


def main(argv: Sequence[str], settings: Settings, stdout: TextIO | None = None) -> int:
    args = _parser().parse_args(list(argv))
    out = stdout or sys.stdout
    root = settings.quarantine_dir
    action = args.action or "list"
    if action == "list":
        every = quarantine.folders(root)
        if args.json:
            json.dump({"quarantine": str(root), "folders": [_as_json(f) for f in every]}, out, indent=2)
            out.write("\n")
            return ExitCode.OK
        lines = [f"safepip's quarantine: {root}"]
        if not every:
            lines.append("empty.")
        for folder in every:
            about = "; ".join(folder.what) or "-"
            lines.append(
                f"{folder.name}  {_when(folder.created)}  {len(folder.moved)} file(s), {folder.size} bytes"
                f"  {about}  (from {folder.cache_dir})"
            )
        out.write(printable("\n".join(lines) + "\n", keep_newlines=True))
        return ExitCode.OK
    names = list(args.names)
    if action == "purge" and args.all:
        chosen = quarantine.folders(root)
    else:
        if not names:
            raise UsageError("quarantine purge: name the folders to delete, or give --all")
        chosen, unknown = quarantine.find(root, names)
        if unknown:
            raise UsageError(f"quarantine {action}: no quarantine folder (or more than one) matches "
                             f"{', '.join(unknown)}; see safepip quarantine list")  # fmt: skip
    lines = []
    if action == "purge":
        for folder in quarantine.purge(chosen):
            lines.append(f"deleted {folder.name} ({len(folder.moved)} file(s), {folder.size} bytes)")
    else:
        for folder in chosen:
            try:
                done = eviction.restore(folder)
            except eviction.EvictionError as exc:
                raise SafepipError(f"quarantine restore: {exc}", ExitCode.RESTORE_FAILED) from exc
            lines.append(f"{folder.name}: restored {len(done.restored)} file(s) into {folder.cache_dir}")
            if done.exist_again:
                lines.append(
                    f"  kept in the quarantine, because pip's cache holds them again (never overwritten): "
                    f"{', '.join(str(p) for p in done.exist_again)}"
                )
            if done.missing:
                lines.append(f"  no longer in the quarantine: {', '.join(str(p) for p in done.missing)}")
            if done.emptied:
                lines.append("  the folder is empty now, and removed")
    out.write(printable("\n".join(lines) + "\n", keep_newlines=True))
    return ExitCode.OK
