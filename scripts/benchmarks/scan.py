"""Reading a whole pip cache, in a synthetic cache of 2,000 entries and 1 GB: finding a corrupted
entry by content (pip printed no URL), and ``safepip verify-cache`` checking every entry.

The bytes read against the bytes of the candidates; the time against reading each candidate once
(``cat``) and reading and hashing each once (``sha256sum``), from a cold and a warm page cache; the
same eviction when the URL is known (no scan at all); and verify-cache, whose reading of the cache
(every body hashed, every record's headers read, the project each body names) must go at disk
speed too, and the whole command on that cache (its index questions left out with ``--no-index``:
they are one page per project, as pip's own).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.figures import Report, median
from benchmarks.lab import Lab, rotations, timed
from benchmarks.sizes import KB, MB, human

_SCAN_PROBE = r"""
import json, sys, time, hashlib
from pathlib import Path
mode, cache, digest, url = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
files = [Path(p) for p in sys.argv[5:]]
from safepip.recovery import cachecheck, eviction
from safepip.records import Mismatch

def rchar():
    try:
        with open("/proc/self/io") as f:
            return int(next(l for l in f if l.startswith("rchar:")).split()[1])
    except OSError:
        return None

record = Mismatch(name=None, version=None, url=url if mode == "url" else None, expected=("0" * 64,),
                  got=digest, algorithm="sha256")
before, start = rchar(), time.perf_counter()
if mode in ("scan", "url"):
    bad, kept = eviction._bad_entries(cache, record)
    found = [str(p) for entry in bad for p in entry.files]
elif mode == "survey":
    surveyed = cachecheck.survey(cache)
    found = [p for p in surveyed.projects[:3]] + [str(len(surveyed.entries))]
elif mode == "cat":
    found = []
    for path in files:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass
else:  # hash: read and hash each candidate once, one after another (what sha256sum does)
    found = []
    for path in files:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() == digest:
            found.append(str(path))
seconds = time.perf_counter() - start
after = rchar()
print(json.dumps({"seconds": seconds, "read": None if before is None else after - before, "found": found}))
"""


def _headers(length: int) -> bytes:
    """A msgpack map of one header, ``Content-Length``, as cachecontrol keeps it."""
    value = str(length).encode()
    return b"\x81\xaeContent-Length" + bytes([0xA0 | len(value)]) + value


def _v1_record(body: bytes) -> bytes:
    """A response in pip's old ``http/`` layout: cachecontrol's ``cc=4,`` and a msgpack map."""
    return (
        b"cc=4,\x82\xa8response\x84\xa4body\xc6" + struct.pack(">I", len(body)) + body
        + b"\xa7headers" + _headers(len(body)) + b"\xa6status\xcc\xc8\xa7version\x0b\xa4vary\x80"
    )  # fmt: skip


def _v2_record(length: int) -> bytes:
    """The record of an ``http-v2`` response: the same map with an empty body (it has a file of its own)."""
    return (
        b"cc=4,\x82\xa8response\x84\xa4body\xc4\x00\xa7headers" + _headers(length)
        + b"\xa6status\xcc\xc8\xa7version\x0b\xa4vary\x80"
    )  # fmt: skip


def build_cache(root: Path, entries: int, total: int, seed: int = 7) -> dict[str, object]:
    """A synthetic pip cache: mostly http-v2 entries, some of the old layout, some debris."""
    from safepip.recovery.cache import cache_key

    rng = random.Random(seed)
    block = rng.randbytes(2 * MB)
    # Body sizes spread like a real cache (many small files, some big), scaled to `total`.
    weights = [rng.lognormvariate(0, 1.2) for _ in range(entries)]
    scale = total / sum(w for n, w in enumerate(weights) if n % 20 not in (1, 2))  # those have no body
    sizes = [max(1, int(w * scale)) for w in weights]
    candidates: list[Path] = []
    candidate_bytes = 0
    target: tuple[str, str, int] | None = None
    for n, body_size in enumerate(sizes):
        url = f"https://files.example.org/packages/{n:05d}/bench_{n:05d}-1.0-py3-none-any.whl"
        key = cache_key(url)
        # Unique bytes per entry, shaped like a wheel at both ends (a zip's signature, then a counter;
        # the name of its .dist-info folder at the end), so verify-cache can tell its project.
        head = b"PK\x03\x04" + n.to_bytes(8, "big")
        name = f"bench_{n:05d}-1.0.dist-info/RECORD".encode()
        tail = b"PK\x01\x02" + bytes(24) + struct.pack("<HHH", len(name), 0, 0) + bytes(12) + name
        fill = max(0, body_size - len(head) - len(tail))
        body = (head + (block * (fill // len(block) + 1))[n % 997 : n % 997 + fill] + tail)[:body_size]
        kind = n % 20
        if kind == 0:  # the old layout (pip <= 23.2): the body inside the record
            path = root.joinpath("http", *key[:5], key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_v1_record(body))
            candidates.append(path)
            candidate_bytes += path.stat().st_size
            continue
        record = root.joinpath("http-v2", *key[:5], key)
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_bytes(_v2_record(0 if kind in (1, 2) else len(body)))
        if kind == 1:
            continue  # a record whose response had no body (a redirect)
        body_path = record.with_name(key + ".body")
        if kind == 2:
            body_path.write_bytes(b"")  # an empty body, left by an interrupted download
            continue
        body_path.write_bytes(body)
        candidates.append(body_path)
        candidate_bytes += len(body)
        if target is None and n >= entries // 2:
            target = (url, hashlib.sha256(body).hexdigest(), len(body))
    # Debris that is no cache entry: a temporary file of pip's, a stray note.
    (root / "http-v2" / "tmpabc123.tmp").write_bytes(b"x" * 4096)
    (root / "http-v2" / "README").write_text("not a cache entry\n")
    assert target is not None
    on_disk = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return {
        "candidates": candidates,
        "candidate_bytes": candidate_bytes,
        "on_disk": on_disk,
        "files": sum(1 for p in root.rglob("*") if p.is_file()),
        "entries": sum(1 for n in range(entries) if n % 20 != 0)
        + sum(1 for n in range(entries) if n % 20 == 0),
        "url": target[0],
        "digest": target[1],
        "target_size": target[2],
    }


def _drop_page_cache(files: Sequence[Path]) -> bool:
    """Ask the kernel to forget these files' pages (a cold read); False where it cannot be asked."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def scan(lab: Lab, report: Report) -> None:
    entries, total = lab.args.scan_entries, lab.args.scan_size
    print(f"finding an entry by content: {entries} entries, {human(total)}", flush=True)
    free = shutil.disk_usage(lab.work).free
    if free < total * 1.5:
        report.add("scan by content", f"skipped: {human(free)} free, {human(total)} needed", "-", None)
        return
    root = lab.work / "scan-cache"
    built = build_cache(root, entries, total)
    candidates: list[Path] = built["candidates"]  # type: ignore[assignment]
    candidate_bytes: int = built["candidate_bytes"]  # type: ignore[assignment]
    all_files = [p for p in root.rglob("*") if p.is_file()]

    def probe(mode: str, cold: bool) -> dict[str, Any]:
        if cold and not _drop_page_cache(all_files):
            return {}
        argv = [sys.executable, "-c", _SCAN_PROBE, mode, str(root), str(built["digest"]), str(built["url"])]
        proc = subprocess.run(
            argv + [str(p) for p in candidates], capture_output=True, text=True, env=lab.probe_env
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    results: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    for cold in (False, True):
        for order in rotations(["scan", "survey", "cat", "hash"], max(3, lab.args.runs)):
            for mode in order:
                result = probe(mode, cold)
                if result:
                    results.setdefault((mode, cold), []).append(result)
    url_result = probe("url", False)
    scanned = results[("scan", False)][0]
    assert len(scanned["found"]) == 2, scanned  # the record and its body
    report.add(
        "scan by content: the synthetic cache",
        f"{built['files']} files, {human(built['on_disk'])}; {len(candidates)} candidates, "
        f"{human(candidate_bytes)}",
    )
    read = scanned["read"]
    if read is not None:
        ratio = read / candidate_bytes
        report.add(
            "scan by content: bytes read / candidates' bytes",
            f"{ratio:.3f}x ({human(read)} of {human(candidate_bytes)})",
            "<= 1.00x",
            ratio <= 1.0 + 1e-3,
            ratio,
        )
    # From disk, reading is the cost, and the scan must cost no more than reading each candidate
    # once; from memory, reading costs next to nothing and hashing is the cost, which must be no
    # more than hashing each candidate once, one after another.
    for cold in (True, False):
        if ("scan", cold) not in results:
            continue
        label = "cold page cache" if cold else "warm page cache"
        ours = median([r["seconds"] for r in results[("scan", cold)]])
        cat = median([r["seconds"] for r in results[("cat", cold)]])
        hashed = median([r["seconds"] for r in results[("hash", cold)]])
        report.add(
            f"scan by content, {label}: time / reading each candidate once (cat)",
            f"{ours / cat:.2f}x ({ours:.2f} s vs {cat:.2f} s)",
            "<= 1.10x" if cold else "-",
            ours / cat <= 1.10 if cold else None,
            ours / cat,
        )
        report.add(
            f"scan by content, {label}: time / reading and hashing each once (sha256sum)",
            f"{ours / hashed:.2f}x ({ours:.2f} s vs {hashed:.2f} s)",
            "-" if cold else "<= 1.00x",
            None if cold else ours / hashed <= 1.0,
            ours / hashed,
        )
    if url_result.get("read") is not None:
        report.add(
            "URL known: bytes read to evict (no scan)",
            f"{human(url_result['read'])} in {url_result['seconds'] * 1000:.1f} ms "
            f"(the entry: {human(built['target_size'])})",
            "<= the entry's size",
            url_result["read"] <= int(built["target_size"]) + 64 * KB,
            url_result["read"],
        )
    _verify_cache(lab, report, root, built, results, all_files)
    shutil.rmtree(root)


def _verify_cache(
    lab: Lab,
    report: Report,
    root: Path,
    built: dict[str, object],
    results: dict[tuple[str, bool], list[dict[str, Any]]],
    all_files: list[Path],
) -> None:
    """verify-cache on the same cache: its reading against cat and sha256sum, and the whole command."""
    surveyed = results[("survey", False)][0]
    entries = int(surveyed["found"][-1])
    assert entries == int(built["entries"]), surveyed  # every entry, records without a body included
    on_disk = int(built["on_disk"])  # type: ignore[call-overload]
    if surveyed["read"] is not None:
        ratio = surveyed["read"] / on_disk
        report.add(
            "verify-cache's reading: bytes read / the cache's bytes",
            f"{ratio:.3f}x ({human(surveyed['read'])} of {human(on_disk)})",
            "<= 1.00x",
            ratio <= 1.0 + 1e-3,
            ratio,
        )
    for cold in (True, False):
        if ("survey", cold) not in results:
            continue
        label = "cold page cache" if cold else "warm page cache"
        ours = median([r["seconds"] for r in results[("survey", cold)]])
        cat = median([r["seconds"] for r in results[("cat", cold)]])
        hashed = median([r["seconds"] for r in results[("hash", cold)]])
        report.add(
            f"verify-cache's reading, {label}: time / reading each body once (cat)",
            f"{ours / cat:.2f}x ({ours:.2f} s vs {cat:.2f} s)",
            "<= 1.10x" if cold else "-",
            ours / cat <= 1.10 if cold else None,
            ours / cat,
        )
        if not cold:
            report.add(
                f"verify-cache's reading, {label}: time / reading and hashing each once (sha256sum)",
                f"{ours / hashed:.2f}x ({ours:.2f} s vs {hashed:.2f} s)",
                "<= 1.00x",
                ours / hashed <= 1.0,
                ours / hashed,
            )
    # The whole command, as CI runs it: start-up, pip's cache directory, reading every entry, one
    # question to pip (here with no index, so that it is the disk that is measured).
    env = lab.env_for(lab.fresh_target())
    argv = [*lab.safepip, "verify-cache", "--json", "--no-index", "--cache-dir", str(root)]
    times: dict[bool, list[float]] = {}
    for cold in (True, False):
        for _ in range(max(3, lab.args.runs)):
            if cold and not _drop_page_cache(all_files):
                break
            seconds, code = timed(argv, env, lab.log("verify-cache"))
            assert code == 0, f"verify-cache failed on the synthetic cache; see {lab.log('verify-cache')}"
            times.setdefault(cold, []).append(seconds)
    for cold, label in ((True, "cold page cache"), (False, "warm page cache")):
        if cold not in times:
            continue
        ours = median(times[cold])
        cat = median([r["seconds"] for r in results[("cat", cold)]])
        report.add(
            f"verify-cache, the whole command, {label}: time / reading each body once (cat)",
            f"{ours / cat:.2f}x ({ours:.2f} s vs {cat:.2f} s)",
            "-",
            None,
            ours / cat,
        )
