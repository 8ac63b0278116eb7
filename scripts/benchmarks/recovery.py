"""Recovery from one corrupted cache entry among N cached packages, from an index of HTML pages
and from a PEP 691 JSON index.

safepip's whole run against the ideal by hand (the failing pip run, deleting exactly that entry, one
more pip run) and against ``pip install --no-cache-dir`` alone, the usual remedy; and, from a traced
run, how many pip runs and helper processes it took and safepip's own time.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.figures import Report, median
from benchmarks.lab import HEAD, Lab, rotations, settle, timed
from benchmarks.sizes import human

if TYPE_CHECKING:
    from tests.support.index import PackageIndex


def _corrupt_copy(lab: Lab, dest: Path, victim: str, index: PackageIndex) -> tuple[Path, Path]:
    """A copy of the warm cache with `victim`'s cached body damaged; (record, body) of that entry."""
    from tests.support.index import corrupted

    from safepip.recovery.cache import cache_key

    shutil.copytree(lab.json_warm_cache if index is lab.json_index else lab.warm_cache, dest)
    key = cache_key(index.file_url(victim))
    record = dest.joinpath("http-v2", *key[:5], key)
    body = record.with_name(key + ".body")
    body.write_bytes(corrupted(body.read_bytes()))
    return record, body


def recovery(lab: Lab, report: Report) -> None:
    victim = lab.wheels[len(lab.wheels) // 2].name
    for index, label in ((lab.index, ""), (lab.json_index, ", JSON index")):
        print(
            f"recovery{label}: one corrupted entry among {lab.args.packages} cached packages of "
            f"{human(lab.args.package_size)}, index at {human(lab.args.throttle)}/s",
            flush=True,
        )
        _recovery(lab, report, victim, index, label)
    _recovery_trace(lab, report, victim)


def _recovery(lab: Lab, report: Report, victim: str, index: PackageIndex, label: str) -> None:
    times: dict[str, list[float]] = {"by hand": [], "safepip": [], "--no-cache-dir": []}
    args = lab.install_args(index)
    for n, order in enumerate(rotations(list(times), lab.args.runs)):
        for who in order:
            name = f"{who.strip('-').replace(' ', '-')}-{n}{label and '-json'}"
            target = lab.fresh_target()
            cache = lab.work / "recovery-caches" / name
            record, body = _corrupt_copy(lab, cache, victim, index)
            env = lab.env_for(target, cache)
            log = lab.log(f"recovery-{name}")
            pip = [lab.python(target), "-m", "pip"]
            settle(lab)
            if who == "by hand":
                start = time.perf_counter()
                _, failed = timed([*pip, *args], env, log)
                # A person reads the error and removes exactly that entry: both files of http-v2.
                record.unlink()
                body.unlink()
                _, code = timed([*pip, *args], env, log)
                seconds = time.perf_counter() - start
                assert failed != 0 and HEAD in log.read_text(errors="replace"), f"pip did not fail; see {log}"
            elif who == "safepip":
                seconds, code = timed([*lab.safepip, *args], env, log)
                assert "Fixed by evict-and-retry (2 pip runs" in log.read_text(errors="replace"), log
            else:
                seconds, code = timed([*pip, args[0], "--no-cache-dir", *args[1:]], env, log)
            assert code == 0, f"{who} did not install; see {log}"
            times[who].append(seconds)
            shutil.rmtree(cache)
    hand, ours, no_cache = (median(times[k]) for k in ("by hand", "safepip", "--no-cache-dir"))
    report.add(
        f"recovery{label}: safepip / the ideal by hand",
        f"{ours / hand:.3f}x ({ours:.2f} s vs {hand:.2f} s)",
        "<= 1.15x",
        ours / hand <= 1.15,
        ours / hand,
    )
    report.add(
        f"recovery{label}: safepip / `pip install --no-cache-dir`",
        f"{ours / no_cache:.3f}x ({ours:.2f} s vs {no_cache:.2f} s)",
        "<= 0.35x",
        ours / no_cache <= 0.35,
        ours / no_cache,
    )


def _recovery_trace(lab: Lab, report: Report, victim: str) -> None:
    """One more recovery per index, traced: pip runs and helpers, and safepip's own time."""
    for index, label in ((lab.index, ""), (lab.json_index, ", JSON index")):
        target = lab.fresh_target()
        cache = lab.work / "recovery-caches" / "traced"
        _corrupt_copy(lab, cache, victim, index)
        trace, run_report = lab.work / "trace.jsonl", lab.work / "run-report.json"
        trace.unlink(missing_ok=True)
        env = dict(lab.env_for(target, cache), SAFEPIP_TRACE=str(trace))
        argv = [*lab.safepip, *lab.install_args(index), "--safepip-report", run_report]
        seconds, code = timed(argv, env, lab.log("traced"))
        assert code == 0, f"safepip did not recover; see {lab.log('traced')}"
        records = [
            json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        pip_runs = sum(1 for r in records if r["kind"] == "pip")
        helpers = [_helper_name(r["argv"]) for r in records if r["kind"] == "helper"]
        attempts = json.loads(run_report.read_text(encoding="utf-8"))["attempts"]
        own = seconds - sum(a["duration"] for a in attempts)
        report.add(
            f"recovery{label}: pip runs for a cache-caused mismatch",
            str(pip_runs),
            "exactly 2",
            pip_runs == 2,
        )
        report.add(
            f"recovery{label}: helper processes besides pip, run side by side",
            f"{len(helpers)}" + (f" ({', '.join(helpers)})" if helpers else ""),
            "-",
            None,
            len(helpers),
        )
        report.add(
            f"recovery{label}: safepip's own time (start-up, probes, eviction)",
            f"{own * 1000:.0f} ms",
            "-",
            None,
            own,
        )
        shutil.rmtree(cache)


def _helper_name(argv: list[str]) -> str:
    if argv[1:3] == ["-m", "pip"]:
        return "pip " + " ".join(a for a in argv[3:] if not a.startswith("-"))[:20]
    if "safepip-published" in " ".join(argv):
        return "the index's hashes"
    return "the target and pip's options"
