"""safepip's promises, checked after every scenario of the suite from what safepip itself recorded.

The test environments set ``SAFEPIP_TRACE`` (see ``safepip/trace.py``): every safepip process
appends the command line it was given and every pip command line it ran. `check_trace` reads
that file and returns a problem for each broken promise:

* each pip run is the user's command line, unchanged, plus at most ``--no-cache-dir``,
  ``--log <safepip's scratch file>``, ``--no-binary <project>``, on the runs after the first
  ``--disable-pip-version-check`` (pip's "new release" notice once per command), and for the pip
  of a fresh virtualenv only pip's own ``--python <the target's interpreter>``: no ``--hash``,
  ``--require-hashes``, ``-r``/``-c`` or any other argument dropped, no ``--trusted-host``,
  ``--no-require-hashes``, index, find-links, certificate or proxy option added; commands safepip
  does not watch run exactly as given;
* pip runs with the environment safepip was given: no ``PIP_*`` variable added, changed or removed;
* it runs the target's pip, or the pip of a fresh virtualenv this same run created;
* helper commands (``pip cache dir``, probes) never install, download, build or uninstall;
* nothing runs after pip was interrupted, and the number of pip runs is bounded;
* exit 0 means done where plain pip would have done it: the last pip run succeeded, and it
  installed for the target's interpreter (the target's own pip, or a fresh pip given ``--python``
  with it); packages that went into a fresh virtualenv instead make the exit code 25 (unless the
  user opted into 0), and a fresh virtualenv that served only as a pip is gone afterwards.

`snapshot` and `check_deletions` add the promise about files: between the two snapshots of a
safepip run, no file disappeared except pip cache entries named in a quarantine manifest and files
in safepip's own folders (and what pip itself manages: installed packages, ``--target``).
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from safepip.pip import launch

TRACE_NAME = "safepip-trace.jsonl"
MANIFEST = "safepip-quarantine.json"
#: Options safepip must never add to a pip command line (each weakens it or changes where it fetches).
NEVER_ADDED = frozenset(
    {
        "--trusted-host",
        "--no-require-hashes",
        "--index-url",
        "-i",
        "--extra-index-url",
        "--find-links",
        "-f",
        "--no-index",
        "--cert",
        "--client-cert",
        "--proxy",
        "--isolated",
        "--no-deps",
        "--pre",
        "--force-reinstall",
        "--ignore-installed",
        "--only-binary",
    }
)
#: The only options safepip may add: ``--no-cache-dir``; ``--log <file in safepip's scratch folder>``;
#: ``--no-binary <project>``, which only narrows pip's choice to the sdist a lock names (the
#: steer-to-locked-file rung), with hash checking on.
ALLOWED_ADDED = ("--no-cache-dir", "--log", "--no-binary")
#: Allowed on the runs after the first only: it changes nothing but pip's "new release" notice (and
#: its question to the index about pip itself), which the first run shows as plain pip would.
AFTER_THE_FIRST_RUN = "--disable-pip-version-check"
#: Options the user gives that must reach pip in every run.
KEPT = ("--hash", "--require-hashes", "-r", "--requirement", "-c", "--constraint")
HELPER_NEVER = frozenset({"install", "download", "wheel", "uninstall"})
#: The first run, evict-and-retry, --no-cache-dir, fresh virtualenv, and one spare.
MAX_PIP_RUNS = 5
#: safepip's exit code for "installed, but into a fresh virtualenv" (README, exit codes).
INSTALLED_IN_FRESH_VENV = 25


def read_trace(path: Path, offset: int = 0) -> list[dict]:
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def trace_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def by_invocation(records: Iterable[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for record in records:
        out.setdefault(record["invocation"], []).append(record)
    return out


def is_pip(argv: list[str]) -> bool:
    """Whether `argv` runs a pip the way safepip must: the console script's entry point, by
    ``python -c`` with the current folder off sys.path (safepip/pip/launch.py)."""
    return argv[1:3] == launch.pip_argv(argv[0])[1:3]


def pip_runs(records: Iterable[dict]) -> list[list[str]]:
    """The argument lists (after ``python -c <pip>``) of every pip run in `records`."""
    return [r["argv"][3:] for r in records if r["kind"] == "pip"]


def pip_runs_of_one_safepip(env: Mapping[str, str]) -> list[list[str]]:
    """The pip runs of the one safepip process `env`'s trace holds; fails if it holds more or none."""
    (records,) = by_invocation(read_trace(Path(env["SAFEPIP_TRACE"]))).values()
    return pip_runs(records)


def _count(args: list[str], option: str) -> int:
    """How often `option` appears: alone, as ``--opt=value``, or as a short option with its value joined."""
    short = len(option) == 2
    return sum(
        1
        for arg in args
        if arg == option or arg.startswith(option + "=") or (short and arg[:2] == option and arg[1] != "-")
    )


def _is_python_option(removed: list[str]) -> bool:
    """Whether `removed` is exactly pip's ``--python X`` (or ``--python=X``, or an abbreviation)."""
    if not removed or not "--python".startswith(removed[0].split("=", 1)[0]) or len(removed[0]) < 4:
        return False
    return len(removed) == (1 if "=" in removed[0] else 2)


def _pip_command(argv: list[str]) -> str | None:
    """The pip command of ``python -c <pip> [general options] COMMAND ...`` (None for other helpers)."""
    if not is_pip(argv):
        return None
    return next((a for a in argv[3:] if not a.startswith("-")), None)


def _leftovers(expected: list[str], actual: list[str]) -> tuple[list[str], list[str]]:
    """What `actual` adds to `expected` (in order), and what of `expected` it lacks."""
    extra: list[str] = []
    missing: list[str] = []
    matcher = difflib.SequenceMatcher(a=expected, b=actual, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            missing += expected[a1:a2]
        if tag in ("replace", "insert"):
            extra += actual[b1:b2]
    return extra, missing


def _check_additions(extra: list[str], python: str | None = None, *, first_run: bool = True) -> list[str]:
    """What was added to a pip command line that must not be. `python`: on a fresh virtualenv's
    pip, the one ``--python`` it may be given, the target's interpreter; `first_run`: the notice
    flag may be added only after it."""
    problems = []
    i = 0
    while i < len(extra):
        token = extra[i]
        name = token.split("=", 1)[0]
        if name in NEVER_ADDED:
            problems.append(f"added {token}")
        elif token == "--no-cache-dir" or (token == AFTER_THE_FIRST_RUN and not first_run):
            pass
        elif token == "--python" and python is not None and extra[i + 1 : i + 2] == [python]:
            python = None  # once
            i += 1
        elif token == "--log" and i + 1 < len(extra):
            log = Path(extra[i + 1])
            if not log.parent.name.startswith("safepip-"):
                problems.append(f"added --log {log} outside safepip's scratch folder")
            i += 1
        elif token == "--no-binary" and i + 1 < len(extra):
            if extra[i + 1].startswith(":"):
                problems.append(f"added --no-binary {extra[i + 1]} (only project names may be given)")
            i += 1
        else:
            problems.append(f"added {token!r} (only {', '.join(ALLOWED_ADDED)} may be added)")
        i += 1
    return problems


def check_invocation(records: list[dict]) -> list[str]:
    """Every broken promise in the records of one safepip process."""
    start = next((r for r in records if r["kind"] == "start"), None)
    if start is None:
        return []  # safepip's own commands, usage errors: no pip command line of the user's ran
    given: list[str] = start["given"]
    expected: list[str] = start["args"]
    label = " ".join(given)
    problems: list[str] = []
    if expected != given:
        problems.append(f"the command line was changed before pip saw it: {given} -> {expected}")
    fresh = [Path(r["location"]) for r in records if r["kind"] == "fresh-venv"]
    install_python = start.get("install_python", start["python"])
    runs = 0
    interrupted = False
    for record in records:
        kind = record["kind"]
        if kind == "pip-exit" and record.get("interrupted_by") is not None:
            interrupted = True
        if kind == "helper":
            command = _pip_command(record["argv"])
            if command in HELPER_NEVER:
                problems.append(f"a helper command ran pip {command}: {record['argv']}")
            continue
        if kind != "pip":
            continue
        runs += 1
        if interrupted:
            problems.append(f"pip ran again after an interrupt: {record['argv']}")
        argv: list[str] = record["argv"]
        python = Path(argv[0])
        if not is_pip(argv):
            problems.append(f"not a pip command line: {argv}")
            continue
        in_fresh = any(v in python.parents for v in fresh)
        if str(python) != start["python"] and not in_fresh:
            problems.append(f"ran {python}, neither the target {start['python']} nor a fresh virtualenv")
        changed = [k for k in record.get("env", {}).get("changed", []) if k.upper().startswith("PIP_")]
        removed = [k for k in record.get("env", {}).get("removed", []) if k.upper().startswith("PIP_")]
        if changed or removed:
            problems.append(f"changed pip's environment: set {changed}, removed {removed}")
        actual = argv[3:]
        if not start["recoverable"]:
            if actual != expected:
                problems.append(f"a command safepip does not watch was changed: {expected} -> {actual}")
            continue
        extra, missing = _leftovers(expected, actual)
        if missing and not (in_fresh and _is_python_option(missing) and "--python" not in extra):
            # (A fresh pip too old for --python installs into its own environment: the user's own
            # --python would only make it fail.)
            problems.append(f"dropped {missing} from the user's command line")
        problems.extend(_check_additions(extra, install_python if in_fresh else None, first_run=runs == 1))
        for option in KEPT:
            if _count(actual, option) < _count(expected, option):
                problems.append(f"fewer {option} options than the user gave")
    if runs > MAX_PIP_RUNS:
        problems.append(f"{runs} pip runs: more than {MAX_PIP_RUNS}")
    if start["recoverable"]:
        problems.extend(_check_outcome(start, records, fresh))
    return [f"safepip {label}: {p}" for p in problems]


def targets_the_install_python(argv: list[str], start: dict) -> bool:
    """Whether a pip run installs for the target's interpreter: it is the target's own pip, or it
    was told that interpreter with pip's ``--python``, before the command name (where pip acts on it;
    after it, pip ignores the option and installs into its own environment)."""
    if argv[0] == start["python"]:
        return True
    args = argv[3:]
    command = next((i for i, a in enumerate(args) if a in ("install", "download", "wheel")), len(args))
    install_python = start.get("install_python", start["python"])
    for i, arg in enumerate(args[:command]):
        if arg == "--python" and args[i + 1 : i + 2] == [install_python]:
            return True
        if arg == f"--python={install_python}":
            return True
    return False


def _check_outcome(start: dict, records: list[dict], fresh: list[Path]) -> list[str]:
    """Exit 0 means done where plain pip would have done it (issue 13's promise)."""
    exits = [r for r in records if r["kind"] == "exit"]
    if not exits:
        return []  # safepip did not finish (killed): it gave no word
    code = exits[-1]["code"]
    kept = [Path(r["location"]) for r in records if r["kind"] == "fresh-venv-kept"]
    problems = []
    for record in records:
        if record["kind"] == "fresh-venv-kept":
            wanted = 0 if record.get("venv_ok") else INSTALLED_IN_FRESH_VENV
            if code != wanted:
                problems.append(f"installed into the fresh virtualenv {record['location']}, exited {code}")
    for location in fresh:
        if location in kept and not location.is_dir():
            problems.append(f"said it kept the fresh virtualenv {location}, which is gone")
        if location not in kept and location.is_dir():
            problems.append(f"left the fresh virtualenv {location}, though nothing was installed into it")
    if code != 0:
        return problems
    runs = [r for r in records if r["kind"] in ("pip", "pip-exit")]
    pairs = [(a, b) for a, b in zip(runs, runs[1:]) if a["kind"] == "pip" and b["kind"] == "pip-exit"]
    if not pairs:
        return [*problems, "exited 0 without a pip run"]
    last, ended = pairs[-1]
    if ended["code"] != 0:
        problems.append(f"exited 0 although its last pip run exited {ended['code']}")
    python = Path(last["argv"][0])
    # A fresh pip too old for --python (safepip says so in the trace) that kept nothing installed
    # nothing in its own environment: it only wrote where the command said (download -d, wheel -w,
    # --target, ...). One that kept its environment exits 0 only when the user opted in (above).
    fallback = any(r["kind"] == "fresh-venv-into-itself" for r in records)
    own_venv = fallback and any(location in python.parents for location in fresh)
    if not (own_venv or targets_the_install_python(last["argv"], start)):
        where = start.get("install_python", start["python"])
        problems.append(f"exited 0 after a pip run that did not install for {where}: {last['argv'][3:]}")
    return problems


def check_trace(path: Path, offset: int = 0) -> list[str]:
    problems = []
    for records in by_invocation(read_trace(path, offset)).values():
        problems.extend(check_invocation(records))
    return problems


# -- files ----------------------------------------------------------------------------------------


def _is_venv_managed(folder: Path, name: str) -> bool:
    """What pip installs or removes inside an environment: site-packages, and the scripts folder."""
    if name == "site-packages":
        return True
    return name in ("bin", "Scripts") and (folder / "pyvenv.cfg").is_file()


def snapshot(root: Path, skip: Iterable[Path] = ()) -> set[Path]:
    """Every file and symlink under `root`, minus folders pip manages itself and `skip`."""
    skipped = {Path(p) for p in skip}
    found: set[Path] = set()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not _is_venv_managed(here, d) and here / d not in skipped]
        found.update(here / name for name in files)
        found.update(here / d for d in dirs if (here / d).is_symlink())
    return found


def safepip_folders(env: Mapping[str, str]) -> list[Path]:
    """Every folder whose files are safepip's own, for `env`."""
    folders = []
    for variable in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        if env.get(variable):
            folders.append(Path(env[variable]) / "safepip")
    for variable in ("SAFEPIP_VENV_DIR", "SAFEPIP_QUARANTINE_DIR", "SAFEPIP_VENV"):
        if env.get(variable):
            folders.append(Path(env[variable]))
    return folders


def manifests_moved(roots: Iterable[Path]) -> set[Path]:
    moved: set[Path] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for manifest in root.rglob(MANIFEST):
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            # "planned" names the files of an eviction still under way (or cut short).
            moved.update(Path(p) for p in [*data.get("moved", []), *data.get("planned", [])])
    return moved


def check_deletions(
    before: set[Path], after: set[Path], env: Mapping[str, str], roots: Iterable[Path], records: list[dict]
) -> list[str]:
    """Files gone between two snapshots that neither pip's own work nor a manifest accounts for."""
    gone = before - after
    if not gone:
        return []
    if not any(r["kind"] == "start" and r["recoverable"] for r in records):
        return []  # pip's own commands (uninstall, cache purge) remove what they were asked to
    own = safepip_folders(env)
    targets = []
    for record in records:
        if record["kind"] == "start":
            args = record["args"]
            targets += [Path(args[i + 1]) for i, a in enumerate(args[:-1]) if a in ("--target", "-t")]
            targets += [Path(a.split("=", 1)[1]) for a in args if a.startswith("--target=")]
    moved = manifests_moved([*roots, *own])
    problems = []
    for path in sorted(gone):
        if path in moved or any(folder == path or folder in path.parents for folder in [*own, *targets]):
            continue
        problems.append(f"{path} disappeared, and no quarantine manifest names it")
    return problems
