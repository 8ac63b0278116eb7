"""The fresh-virtualenv rung: safepip's virtualenv (app-data seeding) against ``python -m venv``
followed by ``pip install --upgrade pip`` (from the local index, so it is offline and fair), and the
downloads creating it took.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.figures import Report, median
from benchmarks.lab import Lab, rotations, settle, timed

_CREATE = (
    "import sys; from pathlib import Path; from safepip.recovery import freshvenv; "
    "freshvenv.create(Path(sys.argv[1]), Path(sys.argv[2]))"
)


def newest_pip_wheel() -> Path | None:
    from packaging.version import Version
    from tests.support.pipwheels import wheelhouse

    wheels = list(wheelhouse().glob("pip-*.whl"))
    return max(wheels, key=lambda p: Version(p.name.split("-")[1])) if wheels else None


def fresh_venv(lab: Lab, report: Report) -> None:
    print("fresh virtualenv rung", flush=True)
    python = lab.python(lab.template)
    pip_wheel = newest_pip_wheel()
    if pip_wheel is not None:
        lab.index.add(pip_wheel)
    folder = lab.work / "fresh"
    folder.mkdir()
    # Any download virtualenv attempted would go to the local index, and be counted there.
    env = dict(lab.probe_env, PIP_INDEX_URL=lab.index.url, PIP_TRUSTED_HOST=lab.index.host)
    env.pop("VIRTUALENV_NO_DOWNLOAD", None)  # safepip itself must keep virtualenv offline
    before = len(lab.index.requests)
    cold, code = timed([sys.executable, "-c", _CREATE, python, folder / "cold"], env, lab.log("fresh"))
    requests = len(lab.index.requests) - before
    assert code == 0, f"freshvenv.create failed; see {lab.log('fresh')}"
    times: dict[str, list[float]] = {"safepip": [], "venv + pip upgrade": []}
    for n, order in enumerate(rotations(list(times), lab.args.runs)):
        for who in order:
            dest = folder / f"{n}-{who.split()[0]}"
            settle(lab)
            if who == "safepip":
                before = len(lab.index.requests)
                seconds, code = timed([sys.executable, "-c", _CREATE, python, dest], env, lab.log("fresh"))
                requests += len(lab.index.requests) - before
            elif pip_wheel is None:
                continue
            else:
                start = time.perf_counter()
                _, code = timed([python, "-m", "venv", dest], lab.env, lab.log("fresh"))
                if code == 0:
                    _, code = timed(
                        [lab.python(dest), "-m", "pip", "install", "--upgrade", "pip", *lab.index.pip_args()],
                        lab.env,
                        lab.log("fresh"),
                    )
                seconds = time.perf_counter() - start
            assert code == 0, f"{who} failed; see {lab.log('fresh')}"
            times[who].append(seconds)
            shutil.rmtree(dest)
    ours = median(times["safepip"])
    seeded = subprocess.run(
        [lab.python(folder / "cold"), "-m", "pip", "--version"], capture_output=True, text=True, env=lab.env
    ).stdout.split()[1:2]
    if times["venv + pip upgrade"]:
        theirs = median(times["venv + pip upgrade"])
        report.add(
            "fresh virtualenv: safepip's / `python -m venv` + pip upgrade",
            f"{ours / theirs:.2f}x ({ours:.2f} s vs {theirs:.2f} s; first ever: {cold:.2f} s)",
            "<= 0.50x",
            ours / theirs <= 0.5,
            ours / theirs,
        )
    else:
        report.add("fresh virtualenv: safepip's", f"{ours:.2f} s (no pip wheel to compare with)", "<= 0.50x")
    report.add(
        "fresh virtualenv: downloads while creating it",
        f"{requests} (pip {seeded[0] if seeded else '?'} seeded from virtualenv's app-data)",
        "0",
        requests == 0,
        requests,
    )
