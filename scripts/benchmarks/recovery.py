"""Recovery from corrupted cache entries among the cached packages (one, and several), from an
index of HTML pages and from a PEP 691 JSON index.

safepip's whole run against the ideal by hand (the failing pip run, deleting exactly the bad entries,
one more pip run) and against ``pip install --no-cache-dir`` alone, the usual remedy; and, from a
traced run, how many pip runs, downloads and helper processes it took and safepip's own time.

pip reports one mismatch per run, so with several bad entries the ideal by hand needs to know them
all (a person would find them one failing run at a time): safepip's own check of the cache, at the
first mismatch, is what lets it do the same in two runs.
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


def _corrupt_copy(lab: Lab, dest: Path, victims: list[str], index: PackageIndex) -> list[Path]:
    """A copy of the warm cache with each victim's cached body damaged (flipped bytes, then cut
    short, then empty, in turn); every file of those entries (record and body)."""
    from tests.support.index import corrupted

    from safepip.recovery.cache import cache_key

    shutil.copytree(lab.json_warm_cache if index is lab.json_index else lab.warm_cache, dest)
    files = []
    for n, victim in enumerate(victims):
        key = cache_key(index.file_url(victim))
        record = dest.joinpath("http-v2", *key[:5], key)
        body = record.with_name(key + ".body")
        good = body.read_bytes()
        body.write_bytes([corrupted(good), good[: len(good) // 2], b""][n % 3])
        files += [record, body]
    return files


def _victims(lab: Lab, count: int) -> list[str]:
    """`count` of the packages, spread over the requirements (the first one pip meets is in the middle
    when there is one)."""
    wheels = lab.wheels
    if count == 1:
        return [wheels[len(wheels) // 2].name]
    return list(dict.fromkeys(wheels[(i + 1) * len(wheels) // (count + 1)].name for i in range(count)))


def recovery(lab: Lab, report: Report) -> None:
    for count in (1, lab.args.bad_entries):
        victims = _victims(lab, count)
        for index, label in ((lab.index, ""), (lab.json_index, ", JSON index")):
            label += "" if count == 1 else f", {count} bad entries"
            print(
                f"recovery{label}: {count} corrupted entr{'y' if count == 1 else 'ies'} among "
                f"{lab.args.packages} cached packages of {human(lab.args.package_size)}, index at "
                f"{human(lab.args.throttle)}/s",
                flush=True,
            )
            _recovery(lab, report, victims, index, label)
            _recovery_trace(lab, report, victims, index, label)


def _recovery(lab: Lab, report: Report, victims: list[str], index: PackageIndex, label: str) -> None:
    times: dict[str, list[float]] = {"by hand": [], "safepip": [], "--no-cache-dir": []}
    args = lab.install_args(index)
    for n, order in enumerate(rotations(list(times), lab.args.runs)):
        for who in order:
            name = f"{who.strip('-').replace(' ', '-')}-{n}{label.replace(' ', '').replace(',', '-')}"
            target = lab.fresh_target()
            cache = lab.work / "recovery-caches" / name
            bad = _corrupt_copy(lab, cache, victims, index)
            env = lab.env_for(target, cache)
            log = lab.log(f"recovery-{name}")
            pip = [lab.python(target), "-m", "pip"]
            settle(lab)
            if who == "by hand":
                start = time.perf_counter()
                _, failed = timed([*pip, *args], env, log)
                # A person who knew every bad entry removes exactly those: both files of http-v2.
                for path in bad:
                    path.unlink()
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
        "<= 1.10x",
        ours / hand <= 1.10,
        ours / hand,
    )
    report.add(
        f"recovery{label}: safepip / `pip install --no-cache-dir`",
        f"{ours / no_cache:.3f}x ({ours:.2f} s vs {no_cache:.2f} s)",
        "<= 0.50x",
        ours / no_cache <= 0.50,
        ours / no_cache,
    )


def _recovery_trace(lab: Lab, report: Report, victims: list[str], index: PackageIndex, label: str) -> None:
    """One more recovery, traced: pip runs, downloads and helpers, and safepip's own time."""
    target = lab.fresh_target()
    cache = lab.work / "recovery-caches" / "traced"
    _corrupt_copy(lab, cache, victims, index)
    trace, run_report = lab.work / "trace.jsonl", lab.work / "run-report.json"
    trace.unlink(missing_ok=True)
    env = dict(lab.env_for(target, cache), SAFEPIP_TRACE=str(trace))
    argv = [*lab.safepip, *lab.install_args(index), "--safepip-report", run_report]
    before = {wheel.name: index.downloads(wheel.name) for wheel in lab.wheels}
    seconds, code = timed(argv, env, lab.log("traced"))
    assert code == 0, f"safepip did not recover; see {lab.log('traced')}"
    fetched = {name: index.downloads(name) - count for name, count in before.items()}
    records = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines() if line.strip()]
    pip_runs = sum(1 for r in records if r["kind"] == "pip")
    helpers = [_helper_name(r["argv"]) for r in records if r["kind"] == "helper"]
    data = json.loads(run_report.read_text(encoding="utf-8"))
    own = seconds - sum(a["duration"] for a in data["attempts"])
    report.add(
        f"recovery{label}: pip runs for a cache-caused mismatch", str(pip_runs), "exactly 2", pip_runs == 2
    )
    exact = all(fetched[name] == (1 if name in victims else 0) for name in fetched)
    report.add(
        f"recovery{label}: downloads (bad entries once, good ones never)",
        f"{sum(fetched.values())} for {len(victims)} bad entr{'y' if len(victims) == 1 else 'ies'}",
        "exactly the bad ones, once",
        exact,
    )
    named = {item["filename"] for item in data["files"]}
    report.add(
        f"recovery{label}: bad files the run report names",
        f"{len(named & set(victims))} of {len(victims)}",
        "all",
        named >= set(victims),
    )
    report.add(
        f"recovery{label}: helper processes besides pip, run side by side",
        f"{len(helpers)}" + (f" ({', '.join(helpers)})" if helpers else ""),
        "-",
        None,
        len(helpers),
    )
    report.add(
        f"recovery{label}: safepip's own time (start-up, probes, check, eviction)",
        f"{own * 1000:.0f} ms",
        "-",
        None,
        own,
    )
    shutil.rmtree(cache)


def _helper_name(argv: list[str]) -> str:
    from safepip.pip import launch

    shown = launch.shown(argv)
    if shown[1:3] == ["-m", "pip"]:
        return "pip " + " ".join(a for a in shown[3:] if not a.startswith("-"))[:20]
    if "find_all_candidates" in " ".join(argv):
        return "the index's files and the pins"
    return "the target and pip's options"
