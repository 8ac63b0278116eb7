"""Run an install/download/wheel command, and climb the recovery ladder if pip reports a mismatch.

The loop itself is tenacity's: each attempt runs one rung and returns what the planner decided;
tenacity retries while that is another rung, waits (backoff only before plain retries), calls the
per-rung hook that tells the user what happens next, and stops after a bounded number of pip runs.
The side effects live in the rung functions below; the decisions live in planner.py.

On the normal path (pip succeeds, or fails for another reason) safepip runs pip once, reads its log
and exits: what only a recovery needs (tenacity, the cache and eviction modules, virtualenv) is
imported once pip has reported a mismatch, so a command that goes well does not pay for it. At the
first mismatch the helpers that locate pip's cache and look at the target environment start at
once, side by side, and run while safepip asks the index for its hashes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from safepip.exit_codes import ExitCode
from safepip.messages import say
from safepip.pipargs import PipCommandLine
from safepip.planner import Attempt, Context, Outcome, Rung, Verdict, next_step, steerable
from safepip.runner import Helper, capture, child_env, run
from safepip.settings import Settings
from safepip.target import Target, cannot_run, pip_problem

if TYPE_CHECKING:
    from packaging.version import Version
    from tenacity import RetryCallState

    from safepip import published
    from safepip.detector import Mismatch

#: pip runs at most: the first, two in the target environment, one in a fresh virtualenv, and one
#: spare for a plain retry when the user passed --no-cache-dir already.
MAX_PIP_RUNS = 5
_LOG_VARIABLES = ("PIP_LOG", "PIP_LOG_FILE", "PIP_LOCAL_LOG")
_UNSET = object()
#: Run in the target interpreter: the facts `_venv_could_differ` needs.
_TARGET_PROBE = "import sys; print(sys.prefix); import pip; print(pip.__version__)"


@dataclass
class _State:
    pending: Rung = Rung.PIP
    cache_dir: object = _UNSET
    cache_usable: bool = True
    context: Context | None = None
    venv: Path | None = None
    venv_kept: bool = False
    notes: list[str] = field(default_factory=list)
    #: Projects steered to their locked sdist: ``--no-binary`` on every later run.
    no_binary: list[str] = field(default_factory=list)
    #: What the index publishes per release, asked once: {(name, version): files or None}.
    releases: dict[tuple[str, str], list[published.PublishedFile] | None] = field(default_factory=dict)
    #: Helpers started at the first mismatch and read when their answer is needed: "cache", "target".
    probes: dict[str, Helper | None] = field(default_factory=dict)
    #: The target environment's pip version (None until probed, or unknown).
    target_pip: Version | None = None


class Recovery:
    def __init__(
        self, target: Target, line: PipCommandLine, env: Mapping[str, str], settings: Settings
    ) -> None:
        self.target = target
        self.line = line
        self.env = dict(env)
        self.settings = settings
        self.pip = [str(target.python), "-m", "pip"]
        self.history: list[Attempt] = []
        self.state = _State()
        self.scratch = Path(tempfile.mkdtemp(prefix="safepip-"))

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> int:
        started = time.monotonic()
        try:
            result = self._climb()
        finally:
            for probe in self.state.probes.values():
                if probe is not None:
                    probe.cancel()
            shutil.rmtree(self.scratch, ignore_errors=True)
            if self.state.venv is not None and not self.state.venv_kept:
                from safepip import freshvenv

                # Interrupted after the fresh virtualenv was made and before its verdict: not kept.
                freshvenv.remove(self.state.venv)
        seconds = time.monotonic() - started
        if result.outcome is Outcome.TAMPERING:
            self._note_cut_short_downloads()
        from safepip import report

        report.verdict(result, self.history, seconds, self.state.notes)
        # The run as data, for the JSON report, the history log and GitHub Actions (runrecord.py),
        # which want it when a report was asked for or pip reported a mismatch, and only then.
        if self.settings.report is not None or any(a.mismatches for a in self.history):
            from safepip import runrecord

            runrecord.publish(runrecord.build(self, result, seconds), self.settings, self.env)
        return int(result.exit_code)

    def _climb(self) -> Verdict:
        first = self._attempt()
        if not isinstance(first, Rung):
            return first
        # A recovery: only now is the retry loop needed. tenacity runs it from the first attempt's
        # outcome on, so its waits, hooks and the bound on pip runs count that attempt too.
        from tenacity import Retrying, retry_if_result, stop_after_attempt

        made = [first]
        retrying = Retrying(
            stop=stop_after_attempt(MAX_PIP_RUNS),
            retry=retry_if_result(lambda step: isinstance(step, Rung)),
            wait=self._wait,
            before_sleep=self._announce,
            retry_error_callback=self._out_of_attempts,
        )
        result = retrying(lambda: made.pop() if made else self._attempt())
        assert isinstance(result, Verdict)
        return result

    def _attempt(self) -> Rung | Verdict:
        rung = self.state.pending
        attempt = {
            Rung.PIP: self._first,
            Rung.EVICT: self._evict_and_retry,
            Rung.STEER: self._steer,
            Rung.RETRY: self._evict_and_retry,
            Rung.NO_CACHE: self._no_cache,
            Rung.FRESH_VENV: self._fresh_venv,
        }[rung]()
        if attempt.exit_code != 0 and attempt.mismatches:
            self._start_probes()
            attempt.mismatches = [self._with_index_facts(r) for r in attempt.mismatches]
        self.history.append(attempt)
        step = next_step(self.history, self._context() if attempt.mismatches else Context())
        if isinstance(step, Rung):
            self.state.pending = step
        return step

    def _wait(self, state: RetryCallState) -> float:
        if self.state.pending is not Rung.RETRY:
            return 0.0
        retries = sum(1 for a in self.history if a.rung is Rung.RETRY)
        return float(self.settings.backoff * 2**retries)

    def _announce(self, state: RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        from safepip import report

        report.rung_line(self.history, self.state.pending, wait)

    def _out_of_attempts(self, state: RetryCallState) -> Verdict:
        last = self.history[-1]
        return Verdict(Outcome.NOT_RECOVERED, ExitCode.NOT_RECOVERED, tuple(last.mismatches))

    # -- the rungs --------------------------------------------------------------------------------

    def _first(self) -> Attempt:
        return self._run_pip(Rung.PIP, self.pip, self.line.args, cache_bypassed=self.line.no_cache_dir)

    def _steer(self) -> Attempt:
        """Send pip to the sdist the lock names, with ``--no-binary`` for just those projects."""
        for record in self.history[-1].mismatches:
            if steerable(record) and record.name not in self.state.no_binary:
                assert record.name is not None
                self.state.no_binary.append(record.name)
                say(
                    f"the lock pins {record.locked_file}, not the wheel pip chose; installing "
                    f"{record.name} from that sdist (--no-binary {record.name}, hash checking on)."
                )
        return self._run_pip(
            Rung.STEER, self.pip, self._command_line(no_cache=False), cache_bypassed=self.line.no_cache_dir
        )

    def _evict_and_retry(self) -> Attempt:
        from safepip import eviction

        previous = self.history[-1].mismatches
        rung = Rung.RETRY
        cache_dir = self._cache_dir()
        if cache_dir is not None and self.state.cache_usable:
            try:
                moved = eviction.evict(cache_dir, previous)
            except eviction.EvictionError as exc:
                # The cache cannot be changed: bypass it instead of retrying into the same bytes.
                self.state.cache_usable = False
                say(f"{exc}; retrying with --no-cache-dir instead.")
                return self._no_cache()
            if moved.count:
                rung = Rung.EVICT
                say(f"moved {moved.count} file(s) out of pip's cache into {moved.quarantine}")
        return self._run_pip(rung, self.pip, self._command_line(no_cache=False), cache_bypassed=True)

    def _no_cache(self) -> Attempt:
        return self._run_pip(Rung.NO_CACHE, self.pip, self._command_line(no_cache=True), cache_bypassed=True)

    def _fresh_venv(self) -> Attempt:
        from safepip import freshvenv

        label = Path(self.line.value("--requirement") or "requirements").stem
        try:
            location = freshvenv.choose_location(self.settings.venv_path, label)
            say(f"creating a fresh virtualenv at {location} (pip from virtualenv's bundle)")
            python = freshvenv.create(self.target.python, location)
        except freshvenv.FreshVenvError as exc:
            say(str(exc))
            return Attempt(
                Rung.FRESH_VENV,
                int(ExitCode.NOT_RECOVERED),
                0.0,
                list(self.history[-1].mismatches),
                cache_bypassed=True,
                in_fresh_venv=True,
            )
        self.state.venv = location
        args = self._command_line(no_cache=True)
        attempt = self._run_pip(Rung.FRESH_VENV, [str(python), "-m", "pip"], args, cache_bypassed=True)
        attempt.in_fresh_venv = True
        installs_into_venv = (
            self.line.command == "install"
            and not any(self.line.value(o) for o in ("--target", "--prefix", "--root"))
            and "--user" not in self.line.flags
        )
        if attempt.exit_code == 0 and installs_into_venv:
            self.state.venv_kept = True
            self.state.notes.append(
                f"installed into the fresh virtualenv {location}, not into {self.target.python}. "
                f"Activate it with: {freshvenv.activate_hint(location)}"
            )
        else:
            # Either it failed, or it only served as a clean pip (download/wheel/--target):
            # nothing in it is worth keeping.
            freshvenv.remove(location)
            self.state.venv = None
        return attempt

    # -- helpers ----------------------------------------------------------------------------------

    def _command_line(self, *, no_cache: bool) -> list[str]:
        """The user's command line plus what the ladder adds: ``--no-cache-dir``, ``--no-binary``.

        Nothing is ever removed; these are the only options safepip adds besides ``--log``.
        """
        extra: list[str] = []
        if no_cache and not self.line.no_cache_dir:
            extra.append("--no-cache-dir")
        if self.state.no_binary:
            extra += ["--no-binary", ",".join(self.state.no_binary)]
        return self.line.with_option(*extra) if extra else list(self.line.args)

    def _with_index_facts(self, record: Mismatch) -> Mismatch:
        """`record` with what the index publishes, when pip's report left that out or it matters.

        Asked only when it can change the decision: pip printed no comparable hash of the
        index's (a JSON index), or the bytes are exactly the published file (a stale pin, unless
        the lock names another file of the release).
        """
        if not record.name or not record.version:
            return record
        missing = not record.published_comparable
        stale_looking = (
            record.published_comparable and record.got.lower() == (record.published_hash or "").lower()
        )
        if not (missing or stale_looking) or record.locked_file:
            return record
        from safepip import published

        key = (record.name, record.version)
        if key not in self.state.releases:
            self.state.releases[key] = published.release_files(
                self.pip[0], self.line, self.env, record.name, record.version
            )
        files = self.state.releases[key]
        if not files:
            return record
        this = published.find(files, record.url, record.filename)
        changes: dict[str, object] = {}
        if missing and this is not None and record.algorithm in this.hashes:
            changes.update(
                published_hash=this.hashes[record.algorithm],
                published_algorithm=record.algorithm,
                published_asked=True,
            )
        pinned = {digest.lower() for digest in record.expected}
        for other in files:
            if other is not this and other.hashes.get(record.algorithm) in pinned:
                changes["locked_file"] = other.filename
                break
        return replace(record, **changes) if changes else record  # type: ignore[arg-type]

    def _run_pip(self, rung: Rung, pip: list[str], args: list[str], *, cache_bypassed: bool) -> Attempt:
        log_path, offset, extra = self._log_for(len(self.history))
        line_args = list(args)
        if extra:
            cut = self.line.command_index
            line_args = [*args[: cut + 1], *extra, *args[cut + 1 :]] if cut is not None else [*args, *extra]
        argv = [*pip, *line_args]
        try:
            result = run(argv, self.env, log_path=log_path, meanwhile=_prepare_for_the_log)
        except OSError as exc:
            raise TargetUnusable(cannot_run(pip[0], exc)) from exc
        mismatches = self._read_mismatches(log_path, offset)
        ran_quietly = result.exit_code != 0 or extra  # a real pip writes the log it is given
        if ran_quietly and not log_path.exists() and result.interrupted_by is None:
            self._check_pip_present(pip)
        if result.exit_code != 0 and not mismatches and result.interrupted_by is None:
            # pip 25.1+'s cut-short download: passed through, with one line on what it is.
            from safepip import incomplete

            incomplete.explain(log_path, offset)
        return Attempt(
            rung=rung,
            exit_code=result.exit_code,
            duration=result.duration,
            mismatches=mismatches,
            cache_bypassed=cache_bypassed,
            interrupted=result.interrupted_by is not None,
            argv=argv,
        )

    def _log_for(self, number: int) -> tuple[Path, int, list[str]]:
        """The log file pip writes this attempt to, where to start reading, and options to add."""
        given = self.line.log_file or next((self.env[v] for v in _LOG_VARIABLES if self.env.get(v)), None)
        if given:
            # The user keeps their own log: read what this run appends, add nothing.
            path = Path(given)
            try:
                offset = path.stat().st_size
            except OSError:
                offset = 0
            return path, offset, []
        path = self.scratch / f"pip-{number + 1}.log"
        return path, 0, ["--log", str(path)]

    @staticmethod
    def _read_mismatches(path: Path, offset: int) -> list[Mismatch]:
        from safepip.detector import detect
        from safepip.logtext import read_lines

        try:
            with open(path, encoding="utf-8", errors="replace", newline="") as handle:
                handle.seek(offset)
                return detect(read_lines(handle))
        except OSError:
            return []

    def _check_pip_present(self, pip: list[str]) -> None:
        problem = pip_problem(pip[0], self.env)
        if problem:
            raise TargetUnusable(problem)

    def _start_probes(self) -> None:
        """Start what the first mismatch needs to know (pip's cache, the target), side by side."""
        if self.state.probes:
            return
        from safepip import pipcache

        wanted = {
            "cache": pipcache.locate_command(self.pip, self.line),
            "target": [str(self.target.python), "-c", _TARGET_PROBE],
        }
        for name, argv in wanted.items():
            try:
                self.state.probes[name] = Helper(argv, child_env(self.env)) if argv else None
            except (OSError, ValueError):
                self.state.probes[name] = None  # asked again, plainly, when needed

    def _probe(self, name: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
        """The answer of a started probe, or of `argv` run now if none was started."""
        probe = self.state.probes.get(name)
        return probe.result() if probe is not None else capture(argv, child_env(self.env))

    def _cache_dir(self) -> Path | None:
        if self.state.cache_dir is _UNSET:
            from safepip import pipcache

            argv = pipcache.locate_command(self.pip, self.line)
            try:
                found = pipcache.location(self._probe("cache", argv)) if argv else None
            except (OSError, ValueError, subprocess.TimeoutExpired):
                found = None
            self.state.cache_dir = found
            if found is None or not found.is_dir() or not os.access(found, os.W_OK):
                self.state.cache_usable = False
        cache_dir = self.state.cache_dir
        return cache_dir if isinstance(cache_dir, Path) else None

    def _context(self) -> Context:
        if self.state.context is None:
            self._cache_dir()
            self.state.context = Context(
                venv_allowed=self.settings.venv_rung,
                user_no_cache=self.line.no_cache_dir,
                cache_usable=self.state.cache_usable,
                venv_could_differ=self._venv_could_differ(),
                can_steer=not self.line.values("--only-binary"),
            )
        elif self.state.context.cache_usable != self.state.cache_usable:
            self.state.context = replace(self.state.context, cache_usable=self.state.cache_usable)
        return self.state.context

    def _venv_could_differ(self) -> bool:
        """Whether a fresh environment would fetch differently from the target one.

        It does when the target carries its own pip configuration file (site config, which can
        point pip at another index) or a pip older than 24.2, whose hash comparison has bugs.
        """
        from packaging.version import InvalidVersion, Version

        probe = self._probe("target", [str(self.target.python), "-c", _TARGET_PROBE])
        lines = probe.stdout.splitlines()
        if probe.returncode != 0 or len(lines) < 2:
            return False
        prefix = Path(lines[0].strip())
        try:
            self.state.target_pip = Version(lines[1].strip())
        except InvalidVersion:
            self.state.target_pip = None
        if any((prefix / name).is_file() for name in ("pip.conf", "pip.ini")):
            self.state.notes.append(f"the target environment has its own pip configuration in {prefix}")
            return True
        return self.state.target_pip is not None and self.state.target_pip < Version("24.2")

    def _note_cut_short_downloads(self) -> None:
        """Say so when the repeated bytes came from a pip that cannot tell a short download.

        pip before 25.1 hashes whatever part of a file arrived: a server or proxy that cuts the file
        at the same byte every time then looks exactly like a mirror serving other bytes.
        """
        from packaging.version import Version

        pip = self.state.target_pip
        if not self.history or self.history[-1].in_fresh_venv or pip is None:
            return
        if pip < Version("25.1"):
            self.state.notes.append(
                f"pip {pip} (in the target environment) cannot tell a download cut "
                "short from wrong bytes: a server or proxy that cuts the file at the same point every "
                "time looks just like this. pip 25.1 and newer report that as incomplete-download."
            )


class TargetUnusable(Exception):
    pass


def _prepare_for_the_log() -> None:
    """Import what reading pip's log and deciding on it need, while pip runs.

    pip keeps one core busy for seconds; these imports on another core then cost the command
    nothing, where before pip started or after it ended they would add to every install.
    """
    from safepip import classify, detector, logtext, report  # noqa: F401
