"""The normal path: a warm-cache install through safepip against plain pip, in added milliseconds
and as a ratio, beside what pip's ``--log`` alone costs (safepip adds it) and what any Python
wrapper costs.

Two installs: the one issue 11 set its target on (6 small hash-pinned packages, about half a second
of pip, where safepip's own start-up weighs most: at most 25 ms added), and the lab's N packages of
the benchmark's size.
"""

from __future__ import annotations

import shutil
import statistics
import sys
from pathlib import Path

from benchmarks.figures import Report, median
from benchmarks.lab import Lab, rotations, settle, timed

SMALL_PACKAGES = 6
SMALL_SIZE = 8 * 1024
#: Issue 11's target for the small install, in milliseconds added to plain pip (median).
ADDED_MS_TARGET = 25.0


def _small_install(lab: Lab) -> tuple[list[str], Path]:
    """Install arguments for 6 small pinned packages on the lab's index, and a cache warm with them."""
    from tests.support.wheels import build_wheel, sha256_file

    wheels = [
        build_wheel(lab.work / "small-wheels", f"small-{i:02d}", "1.0", payload_size=SMALL_SIZE)
        for i in range(SMALL_PACKAGES)
    ]
    requirements = lab.work / "small-requirements.txt"
    requirements.write_text(
        "".join(f"small-{i:02d}==1.0 --hash=sha256:{sha256_file(w)}\n" for i, w in enumerate(wheels)),
        encoding="utf-8",
    )
    for wheel in wheels:
        lab.index.add(wheel)
    cache = lab.work / "small-cache"
    env = lab.env_for(lab.template, cache)
    _, code = timed(
        [lab.python(lab.template), "-m", "pip", "download", "-d", lab.work / "small-dl",
         *lab.index.pip_args(), "-r", requirements],
        env, lab.log("normal"),
    )  # fmt: skip
    assert code == 0, f"could not warm the cache; see {lab.log('normal')}"
    return ["install", *map(str, lab.index.pip_args()), "-r", str(requirements)], cache


def _compare(lab: Lab, args: list[str], cache: Path, rounds: int, who: list[str]) -> dict[str, list[float]]:
    # What any wrapper pays: a Python that starts pip and waits (safepip's interpreter, no imports).
    wrapper = [sys.executable, "-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"]
    times: dict[str, list[float]] = {name: [] for name in who}
    for n, order in enumerate(rotations(who, rounds + 1)):
        for name in order:
            target = lab.fresh_target()
            env = lab.env_for(target, cache)
            settle(lab)
            plain = [str(lab.python(target)), "-m", "pip", *args]
            if name == "safepip":
                argv = [*map(str, lab.safepip), *args]
            elif name == "python wrapper":
                argv = [*wrapper, *plain]
            elif name == "pip --log":
                argv = [*plain[:4], "--log", str(lab.work / f"pip-{n}.log"), *plain[4:]]
            else:
                argv = plain
            seconds, code = timed(argv, env, lab.log("normal"))
            assert code == 0, f"{name} install failed; see {lab.log('normal')}"
            if n > 0:  # the first round only warms the machine's caches
                times[name].append(seconds)
    return times


def _added(report: Report, label: str, ours: float, pip: float, target_ms: float | None = None) -> None:
    added = (ours - pip) * 1000
    report.add(
        label,
        f"{added:+.0f} ms, {ours / pip:.3f}x ({ours:.3f} s vs {pip:.3f} s)",
        "-" if target_ms is None else f"<= +{target_ms:.0f} ms",
        None if target_ms is None else added <= target_ms,
        added,
    )


def normal_path(lab: Lab, report: Report) -> None:
    # The tightest target, within the noise of single runs, and the cheapest runs: six times as many
    # rounds as the other figures (and one more first, to warm the machine's caches).
    rounds = 1 if lab.args.smoke else 6 * lab.args.runs
    print(f"normal path: warm-cache install of {SMALL_PACKAGES} small packages", flush=True)
    args, cache = _small_install(lab)
    times = _compare(lab, args, cache, rounds, ["pip", "pip --log", "python wrapper", "safepip"])
    pip = median(times["pip"])
    small = f"normal path: {SMALL_PACKAGES} small packages"
    _added(report, f"{small}, safepip on top of pip", median(times["safepip"]), pip, ADDED_MS_TARGET)
    _added(report, f"{small}, pip's --log alone (safepip adds it)", median(times["pip --log"]), pip)
    _added(report, f"{small}, a do-nothing Python wrapper", median(times["python wrapper"]), pip)
    if len(times["pip"]) >= 2:
        # How much single runs differ: what a median of this many runs can and cannot resolve.
        low, _, high = statistics.quantiles(times["pip"], n=4)
        report.add(
            "normal path: single pip runs of the small install, middle half",
            f"{low:.3f} s to {high:.3f} s (+-{(high - low) / 2 * 1000:.0f} ms), {len(times['pip'])} runs",
        )
    print(f"normal path: warm-cache install of {lab.args.packages} packages", flush=True)
    cache = lab.work / "normal-cache"
    shutil.copytree(lab.warm_cache, cache)
    big = _compare(lab, [str(a) for a in lab.install_args()], cache, max(1, rounds // 3), ["pip", "safepip"])
    _added(
        report,
        f"normal path: {lab.args.packages} packages, safepip on top of pip",
        median(big["safepip"]),
        median(big["pip"]),
    )
