"""The rungs' side effects, and the pip run each makes: the only code in recovery/ that changes files
(through eviction.py and freshvenv.py) or starts pip.

Each rung returns the `Attempt` its pip run made: what ran, how it ended, and the mismatches pip
reported, with what the index publishes (surroundings.py) and their causes (classify.py).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from safepip import trace
from safepip.errors import ExitCode
from safepip.logscan import incomplete
from safepip.logscan.scan import scan_log
from safepip.output.console import Level, say
from safepip.pip import launch, probes
from safepip.pip import log as piplog
from safepip.pip.args import PipCommandLine, parse, truth
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
        """A fresh pip, installing where the user asked; into the fresh virtualenv only where it cannot."""
        settings, line, target = self.job.settings, self.job.line, self.job.target
        label = Path(line.value("--requirement") or "requirements").stem
        try:
            location = freshvenv.choose_location(settings.venv_path, settings.venv_dir, label)
            say(f"creating a fresh virtualenv at {location} (pip from virtualenv's bundle)")
            venv = freshvenv.create(Path(target.install_python), location)
        except freshvenv.FreshVenvError as exc:
            say(str(exc))
            return self._not_run()
        self.venv = location
        if venv.can_install_into_others:
            # pip's own --python: the fresh pip runs under the target interpreter, so the packages go
            # exactly where the target's pip would put them, with the target's configuration.
            attempt = self._pip(
                Rung.FRESH_VENV,
                self._args(no_cache=True),
                cache_bypassed=True,
                python=str(venv.python),
                in_fresh_venv=True,
                install_into=None if line.value("--python") else target.install_python,
            )
            self.remove_venv()
            return attempt
        return self._into_fresh_venv(venv)

    def _into_fresh_venv(self, venv: freshvenv.FreshVenv) -> Attempt:
        """The fallback: the fresh pip cannot install into the target, so it installs into its own
        environment, which is kept only if packages went into it (exit 25 says so)."""
        line, target = self.job.line, self.job.target
        why = (
            f"the fresh pip ({venv.pip_version() or 'unknown version'}) cannot install into "
            f"{target.install_python}: that needs pip's --python, pip {probes.HAS_PYTHON_OPTION} or newer"
        )
        if (
            "--user" in line.flags
            or line.value("--root")
            or truth(self.job.env.get("PIP_USER", ""))
            or (self.job.env.get("PIP_ROOT"))
        ):
            # Another environment cannot stand in for these: --user is refused in a virtualenv, and
            # --root would lay the files out by the fresh environment's own prefix.
            self.notes.append(f"{why}, and --user/--root installs cannot go through another environment.")
            self.remove_venv()
            return self._not_run()
        trace.event("fresh-venv-into-itself", pip=str(venv.pip_version()))
        facts = self.surroundings.facts() if target.install_python == target.python else None
        if facts is not None and facts.site_configs:
            venv.adopt_site_config(facts.site_configs)
        before = venv.installed()
        # A --python of the user's own would be refused by this old pip: the packages go here instead.
        args = self._args(no_cache=True, line=parse(line.without_python_option()))
        attempt = self._pip(
            Rung.FRESH_VENV, args, cache_bypassed=True, python=str(venv.python), in_fresh_venv=True
        )
        if attempt.exit_code == 0 and not attempt.interrupted and venv.installed() - before:
            self.venv_kept = True
            trace.event("fresh-venv-kept", location=str(venv.location), venv_ok=self.job.settings.venv_ok)
            self.notes.append(
                f"{why}. Activate the fresh virtualenv with: {freshvenv.activate_hint(venv.location)}"
            )
            return replace(attempt, into_fresh_venv=True)
        # It failed, or it only served as a clean pip (download, wheel, --target, --dry-run): a kept
        # environment is never an empty one.
        self.remove_venv()
        return attempt

    def _not_run(self) -> Attempt:
        """The fresh-virtualenv rung could not run pip at all."""
        return Attempt(
            Rung.FRESH_VENV,
            int(ExitCode.NOT_RECOVERED),
            0.0,
            self.history[-1].mismatches,
            in_fresh_venv=True,
            ran=False,
        )

    def remove_venv(self) -> None:
        """Remove the fresh virtualenv unless the packages went into it (then it is the result)."""
        if self.venv is not None and not self.venv_kept:
            freshvenv.remove(self.venv)
            self.venv = None

    # -- pip runs ---------------------------------------------------------------------------------

    def _args(self, *, no_cache: bool, line: PipCommandLine | None = None) -> list[str]:
        """The user's command line plus what the ladder adds: ``--no-cache-dir``, ``--no-binary``.

        Nothing is ever removed; these are the only options safepip adds besides ``--log`` (and, for
        the fresh virtualenv's pip, ``--python`` naming the target).
        """
        line = line or self.job.line
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
        in_fresh_venv: bool = False, install_into: str | None = None,
    ) -> Attempt:  # fmt: skip
        """One pip run; with `install_into`, pip's own ``--python`` first, so that it installs there."""
        python = python or self.job.target.python
        log = self.job.log_for(len(self.history) + 1)
        args = piplog.with_log(parse(args), args, log)
        if install_into is not None:
            # A general option: pip acts on --python only before the command name.
            args = ["--python", install_into, *args]
        argv = launch.pip_argv(python, args)
        try:
            # With --python pip runs itself again under the target: interrupts go to that pip.
            result = run(argv, self.job.env, relay=install_into is not None)
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
