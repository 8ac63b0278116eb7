"""The rungs' side effects, and the pip run each makes: the only code in recovery/ that changes files
(through eviction.py and freshvenv.py) or starts pip.

Each rung returns the `Attempt` its pip run made: what ran, how it ended, and the mismatches pip
reported, with what the index publishes (surroundings.py) and their causes (classify.py).
"""

from __future__ import annotations

from pathlib import Path

from safepip.errors import ExitCode
from safepip.logscan import incomplete
from safepip.logscan.scan import scan_log
from safepip.output.console import Level, say
from safepip.pip import launch, probes
from safepip.pip import log as piplog
from safepip.pip.runner import PipRun, run
from safepip.pip.target import cannot_run
from safepip.records import Attempt, Rung
from safepip.recovery import classify, eviction, freshvenv
from safepip.recovery.job import Job
from safepip.recovery.planner import steerable
from safepip.recovery.surroundings import Surroundings


class Rungs:
    def __init__(self, job: Job, surroundings: Surroundings, history: list[Attempt]) -> None:
        self.job = job
        self.surroundings = surroundings
        #: Every attempt so far, the first pip run first; each rung appends its own.
        self.history = history
        #: Projects steered to their locked sdist: ``--no-binary`` on every later run.
        self.no_binary: list[str] = []
        #: The fresh virtualenv this run made, until it is removed; `kept` once the packages are in it.
        self.venv: Path | None = None
        self.venv_kept = False
        self.notes: list[str] = []

    def run(self, rung: Rung) -> Attempt:
        attempt = {
            Rung.EVICT: self.evict_and_retry,
            Rung.RETRY: self.evict_and_retry,
            Rung.STEER: self.steer,
            Rung.NO_CACHE: self.no_cache,
            Rung.FRESH_VENV: self.fresh_venv,
        }[rung]()
        self.history.append(attempt)
        return attempt

    # -- the rungs --------------------------------------------------------------------------------

    def steer(self) -> Attempt:
        """Send pip to the sdist the lock names, with ``--no-binary`` for just those projects."""
        for record in self.history[-1].mismatches:
            if steerable(record) and record.name not in self.no_binary:
                assert record.name is not None
                self.no_binary.append(record.name)
                say(
                    f"the lock pins {record.locked_file}, not the wheel pip chose; installing "
                    f"{record.name} from that sdist (--no-binary {record.name}, hash checking on)."
                )
        return self._pip(Rung.STEER, self._args(no_cache=False), cache_bypassed=self.job.line.no_cache_dir)

    def evict_and_retry(self) -> Attempt:
        rung = Rung.RETRY
        cache_dir = self.surroundings.cache_dir()
        if cache_dir is not None and self.surroundings.cache_usable:
            try:
                moved = eviction.evict(
                    cache_dir, self.history[-1].mismatches, self.job.settings.quarantine_dir
                )
            except eviction.EvictionError as exc:
                # The cache cannot be changed: bypass it instead of retrying into the same bytes.
                self.surroundings.cache_usable = False
                say(f"{exc}; retrying with --no-cache-dir instead.")
                return self.no_cache()
            if moved.count:
                rung = Rung.EVICT
                say(f"moved {moved.count} file(s) out of pip's cache into {moved.quarantine}")
        return self._pip(rung, self._args(no_cache=False), cache_bypassed=True)

    def no_cache(self) -> Attempt:
        return self._pip(Rung.NO_CACHE, self._args(no_cache=True), cache_bypassed=True)

    def fresh_venv(self) -> Attempt:
        settings, line = self.job.settings, self.job.line
        label = Path(line.value("--requirement") or "requirements").stem
        try:
            location = freshvenv.choose_location(settings.venv_path, settings.venv_dir, label)
            say(f"creating a fresh virtualenv at {location} (pip from virtualenv's bundle)")
            python = freshvenv.create(Path(self.job.target.python), location)
        except freshvenv.FreshVenvError as exc:
            say(str(exc))
            return Attempt(
                Rung.FRESH_VENV,
                int(ExitCode.NOT_RECOVERED),
                0.0,
                self.history[-1].mismatches,
                cache_bypassed=True,
                in_fresh_venv=True,
            )
        self.venv = location
        attempt = self._pip(
            Rung.FRESH_VENV,
            self._args(no_cache=True),
            cache_bypassed=True,
            python=str(python),
            in_fresh_venv=True,
        )
        installs_into_venv = (
            line.command == "install"
            and not any(line.value(o) for o in ("--target", "--prefix", "--root"))
            and "--user" not in line.flags
        )
        if attempt.exit_code == 0 and installs_into_venv:
            self.venv_kept = True
            self.notes.append(
                f"installed into the fresh virtualenv {location}, not into {self.job.target.python}. "
                f"Activate it with: {freshvenv.activate_hint(location)}"
            )
        else:
            # Either it failed, or it only served as a clean pip (download/wheel/--target):
            # nothing in it is worth keeping.
            self.remove_venv()
        return attempt

    def remove_venv(self) -> None:
        """Remove the fresh virtualenv unless the packages went into it (then it is the result)."""
        if self.venv is not None and not self.venv_kept:
            freshvenv.remove(self.venv)
            self.venv = None

    # -- pip runs ---------------------------------------------------------------------------------

    def _args(self, *, no_cache: bool) -> list[str]:
        """The user's command line plus what the ladder adds: ``--no-cache-dir``, ``--no-binary``.

        Nothing is ever removed; these are the only options safepip adds besides ``--log``.
        """
        line = self.job.line
        extra: list[str] = []
        if no_cache and not line.no_cache_dir:
            extra.append("--no-cache-dir")
        if self.no_binary:
            extra += ["--no-binary", ",".join(self.no_binary)]
        if self.surroundings.release_notice_possible:
            # pip's "new release" notice was the first run's to show: at most once per command.
            extra.append("--disable-pip-version-check")
        return line.with_option(*extra) if extra else list(line.args)

    def _pip(
        self, rung: Rung, args: list[str], *, cache_bypassed: bool, python: str | None = None,
        in_fresh_venv: bool = False,
    ) -> Attempt:  # fmt: skip
        python = python or self.job.target.python
        log = self.job.log_for(len(self.history) + 1)
        argv = launch.pip_argv(python, piplog.with_log(self.job.line, args, log))
        try:
            result = run(argv, self.job.env)
        except OSError as exc:
            raise cannot_run(python, exc) from exc
        return self.read(rung, result, log, cache_bypassed=cache_bypassed, in_fresh_venv=in_fresh_venv)

    def read(
        self,
        rung: Rung,
        result: PipRun,
        log: piplog.PipLog,
        *,
        cache_bypassed: bool,
        in_fresh_venv: bool = False,
    ) -> Attempt:
        """The attempt a finished pip run made, read from its log."""
        interrupted = result.interrupted_by is not None
        found = scan_log(Path(log.path), log.offset)
        mismatches = found.mismatches if found else []
        if found is None and (result.exit_code != 0 or log.added) and not interrupted:
            # A real pip writes the log it is given: none at all means no pip ran.
            problem = probes.pip_problem(result.argv[0], self.job.env)
            if problem is not None:
                raise problem
        cut_short = found.incomplete_download if found else None
        if result.exit_code != 0 and not mismatches and not interrupted and cut_short is not None:
            # pip 25.1+'s cut-short download: passed through, with one line on what it is.
            say(incomplete.message(cut_short), level=Level.WARNING)
        if result.exit_code != 0 and mismatches:
            self.surroundings.start()
            mismatches = self.surroundings.with_index_facts(mismatches)
        return Attempt(
            rung=rung,
            exit_code=result.exit_code,
            duration=result.duration,
            mismatches=tuple(mismatches),
            causes=classify.causes(mismatches, self.history),
            cache_bypassed=cache_bypassed,
            in_fresh_venv=in_fresh_venv,
            interrupted=interrupted,
            argv=tuple(result.argv),
        )
