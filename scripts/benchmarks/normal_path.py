"""The normal path: a warm-cache install of N hash-pinned packages through safepip against plain
pip, beside what pip's ``--log`` alone costs (safepip adds it) and what any Python wrapper costs.
"""

from __future__ import annotations

import shutil
import statistics
import sys

from benchmarks.figures import Report, median
from benchmarks.lab import Lab, rotations, settle, timed


def normal_path(lab: Lab, report: Report) -> None:
    print(f"normal path: warm-cache install of {lab.args.packages} packages", flush=True)
    cache = lab.work / "normal-cache"
    shutil.copytree(lab.warm_cache, cache)
    # What any wrapper pays: a Python that starts pip and waits (safepip's interpreter, no imports).
    wrapper = [sys.executable, "-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"]
    times: dict[str, list[float]] = {"pip": [], "pip --log": [], "python wrapper": [], "safepip": []}
    # The tightest target, within the noise of single runs, and the cheapest runs: six times as many
    # rounds as the other figures (and one more first, to warm the machine's caches).
    rounds = 1 if lab.args.smoke else 6 * lab.args.runs
    for n, order in enumerate(rotations(list(times), rounds + 1)):
        for who in order:
            target = lab.fresh_target()
            env = lab.env_for(target, cache)
            settle(lab)
            args = lab.install_args()
            plain = [str(lab.python(target)), "-m", "pip", *map(str, args)]
            if who == "safepip":
                argv = [*map(str, lab.safepip), *map(str, args)]
            elif who == "python wrapper":
                argv = [*wrapper, *plain]
            elif who == "pip --log":
                argv = [*plain[:4], "--log", str(lab.work / f"pip-{n}.log"), *plain[4:]]
            else:
                argv = plain
            seconds, code = timed(argv, env, lab.log("normal"))
            assert code == 0, f"{who} install failed; see {lab.log('normal')}"
            if n > 0:  # the first round only warms the machine's caches
                times[who].append(seconds)
    pip, logged, wrapped, ours = (median(times[k]) for k in ("pip", "pip --log", "python wrapper", "safepip"))
    ratio = ours / pip
    report.add(
        f"normal path: warm-cache install of {lab.args.packages}, safepip / pip",
        f"{ratio:.3f}x ({ours:.2f} s vs {pip:.2f} s, {(ours - pip) * 1000:+.0f} ms)",
        "<= 1.03x",
        ratio <= 1.03,
        ratio,
    )
    for label, value in (
        ("pip's --log alone (which safepip adds)", logged),
        ("a do-nothing Python wrapper", wrapped),
    ):
        report.add(
            f"normal path: {label} / pip",
            f"{value / pip:.3f}x ({(value - pip) * 1000:+.0f} ms)",
            "-",
            None,
            value / pip,
        )
    if len(times["pip"]) >= 2:
        # How much single runs differ: what a median of this many runs can and cannot resolve.
        low, _, high = statistics.quantiles(times["pip"], n=4)
        report.add(
            "normal path: single pip runs, middle half",
            f"{low:.2f} s to {high:.2f} s (+-{(high - low) / 2 * 1000:.0f} ms), {len(times['pip'])} runs",
        )
