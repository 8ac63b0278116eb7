"""Memory and speed of reading pip's output: safepip's peak memory reading a 1 MB and a 100 MB pip log,
and a log as big of reports that never end (it must stay flat, whatever the size of the log); the
time per MB of reading the 100 MB log (the live path: pip's own --log file) and of the report reader
on every captured pip output of tests/data/pip-outputs (reports, one after another).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.figures import Report
from benchmarks.lab import HEAD, Lab
from benchmarks.sizes import MB, human

CAPTURED = Path(__file__).resolve().parents[2] / "tests" / "data" / "pip-outputs"

_MEMORY_PROBE = r"""
import json, sys, time
from pathlib import Path
from safepip.logscan.scan import scan_log

def high_water():
    # This process's own peak resident memory. Not getrusage: on Linux its ru_maxrss also counts
    # the parent's memory, inherited at fork, before this process was exec'd.
    try:
        with open("/proc/self/status") as status:
            return 1024 * int(next(l for l in status if l.startswith("VmHWM:")).split()[1])
    except (OSError, StopIteration):
        return None

path = Path(sys.argv[1])
if high_water() is None:
    import tracemalloc
    tracemalloc.start()
start, cpu = time.perf_counter(), time.process_time()
found = scan_log(path).mismatches
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
if high_water() is not None:
    peak, how = high_water(), "peak RSS"
else:
    peak, how = tracemalloc.get_traced_memory()[1], "peak Python allocations"
print(json.dumps({"peak": peak, "how": how, "found": len(found), "seconds": seconds, "cpu": cpu}))
"""

# The reader on real pip output dense with reports: each captured file's text (after its `# `
# header), read whole; the best of a few rounds of processor time (other processes on the machine
# do not count).
_DETECTOR_PROBE = r"""
import json, sys, time
from pathlib import Path
from safepip.logscan.mismatches import detect

bodies = []
for path in sorted(Path(sys.argv[1]).glob("*.txt")):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = 0
    while header < len(lines) and lines[header].startswith("# "):
        header += 1
    bodies.append(lines[header:])
size = sum(len(line.encode("utf-8")) for body in bodies for line in body)
best = None
for _ in range(int(sys.argv[2])):
    start = time.process_time()
    records = sum(len(detect(body)) for body in bodies)
    seconds = time.process_time() - start
    best = seconds if best is None else min(best, seconds)
print(json.dumps({"files": len(bodies), "bytes": size, "cpu": best, "records": records}))
"""


def write_hostile_log(path: Path, total: int) -> None:
    """About `total` bytes of reports that never end: a head cut short, then endless wrapped
    pieces and indented lines (what a garbled or hostile log could hold)."""
    piece = "x" * 99 + "\n"
    with open(path, "w", encoding="utf-8") as out:
        while out.tell() < total:
            out.write(f"ERROR: {HEAD}. If you have updated the package versions, please\n")
            out.write(piece * 2000)
            out.write(("        Expected sha256 " + "a" * 60 + "\n") * 2000)


def write_pip_log(path: Path, total: int) -> None:
    """A pip ``--log`` file of about `total` bytes, ending with a hash-mismatch report."""
    stamp = "2026-11-24T10:16:04,123"
    lines = [
        f'{stamp} Looking up "https://files.example.org/packages/{{n}}/pkg_{{n}}-1.0.tar.gz" in the cache',
        f"{stamp} Current age based on date: {{n}}",
        f"{stamp} Freshness lifetime from max-age: 3600",
        f"{stamp} The response is \"fresh\", returning cached response",
        f"{stamp}   Using cached pkg_{{n}}-1.0-py3-none-any.whl (1.0 MB)",
        f"{stamp} Created temporary directory: /tmp/pip-unpack-{{n}}",
        f"{stamp} Skipping link: none of the wheel's tags (cp{{n}}) are compatible: https://files.example.org/x-{{n}}.whl",
    ]  # fmt: skip
    with open(path, "w", encoding="utf-8") as out:
        n = 0
        while out.tell() < total:
            out.write("\n".join(line.format(n=n) for line in lines) + "\n")
            n += 1
        digest = "0" * 64
        out.write(
            f"{stamp} ERROR: {HEAD}. If you have updated the package versions, please update the hashes. "
            "Otherwise, examine the package contents carefully; someone may have tampered with them.\n"
            f"{stamp}     pkg==1.0 from https://files.example.org/pkg-1.0-py3-none-any.whl#sha256={digest} "
            "(from -r requirements.txt (line 1)):\n"
            f"{stamp}         Expected sha256 {digest}\n"
            f"{stamp}              Got        {'1' * 64}\n\n"
        )


def memory(lab: Lab, report: Report) -> None:
    small, big = lab.args.small_log, lab.args.log_size
    print(f"memory: reading a {human(small)} and a {human(big)} pip log", flush=True)
    peaks: dict[str, dict[str, Any]] = {}
    logs = (
        ("small", small, write_pip_log, 1),
        ("big", big, write_pip_log, 1),
        ("hostile", big, write_hostile_log, 0),
    )
    for label, total, write, mismatches in logs:
        path = lab.work / f"pip-{label}.log"
        write(path, total)
        proc = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, str(path)],
            capture_output=True,
            text=True,
            env=lab.probe_env,
        )
        assert proc.returncode == 0, proc.stderr
        peaks[label] = json.loads(proc.stdout)
        assert peaks[label]["found"] == mismatches, peaks[label]
        path.unlink()
    big_log = peaks["big"]
    report.add(
        f"reading pip's log ({human(big)} --log file): processor time per MB",
        f"{big_log['cpu'] * 1000 / (big / MB):.1f} ms ({big_log['cpu']:.2f} s)",
    )
    proc = subprocess.run(
        [sys.executable, "-c", _DETECTOR_PROBE, str(CAPTURED), "3" if lab.args.smoke else "15"],
        capture_output=True,
        text=True,
        env=lab.probe_env,
    )
    assert proc.returncode == 0, proc.stderr
    corpus = json.loads(proc.stdout)
    report.add(
        "reading pip's report (every captured pip output): processor time per MB",
        f"{corpus['cpu'] * 1000 / (corpus['bytes'] / MB):.1f} ms ({corpus['files']} files, "
        f"{human(corpus['bytes'])}, {corpus['records']} records)",
    )
    for label, what in (("big", "log"), ("hostile", "log of endless reports")):
        ratio = peaks[label]["peak"] / peaks["small"]["peak"]
        report.add(
            f"memory: {peaks[label]['how']}, {human(big)} {what} / {human(small)} log",
            f"{ratio:.2f}x ({human(peaks[label]['peak'])} vs {human(peaks['small']['peak'])}; "
            f"read in {peaks[label]['seconds']:.1f} s)",
            "<= 1.10x (flat)",
            ratio <= 1.10,
            ratio,
        )
