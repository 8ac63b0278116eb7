"""Run a command that can meet a hash mismatch (install, download, wheel), and recover if it does.

pip runs once, exactly as asked plus ``--log`` into safepip's private scratch folder. When it
succeeds, that is all: the log is never read, and nothing that only a failure needs is imported.
Otherwise (or when a run report was asked for) the recovery package takes over, and this is the
one place it is imported from: first recovery/early.py, which starts the longest helper at once
when pip reported a mismatch, then the rest.
"""

from __future__ import annotations

import os

from safepip.config.invocation import Invocation
from safepip.errors import SafepipError
from safepip.pip import launch
from safepip.pip import log as piplog
from safepip.pip.args import PipCommandLine
from safepip.pip.runner import remove_scratch, run, scratch_folder
from safepip.pip.target import Target, cannot_run

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def watch(invocation: Invocation, line: PipCommandLine, target: Target, env: Mapping[str, str]) -> int:
    scratch = scratch_folder()
    try:
        log = piplog.for_run(line, env, scratch, 1)
        if log.added and piplog.config_may_set_log(target.python, env):
            log = piplog.for_run(line, env, scratch, 1, _log_from_config(line, target, env))
        try:
            first = run(launch.pip_argv(target.python, piplog.with_log(line, line.args, log)), env)
        except OSError as exc:
            raise cannot_run(target.python, exc) from exc
        # A real pip writes the log it is given: a run that "succeeded" without one was no pip.
        wrote_log = not log.added or os.path.exists(log.path)
        if first.exit_code == 0 and wrote_log and not invocation.wants_report(env):
            return 0
        from safepip.recovery import early  # the boundary: the longest helper starts first

        failed = first.exit_code != 0 and first.interrupted_by is None
        probe = early.start(line, target, env, log) if failed else None
        # A signal while importing: cli.py stops the probe, as every helper not read.
        from safepip.recovery.finish import finish  # the boundary: what is left to do pays for it

        return finish(invocation, line, target, env, scratch, first, log, probe)
    finally:
        remove_scratch(scratch)


def _log_from_config(line: PipCommandLine, target: Target, env: Mapping[str, str]) -> str | None:
    """The log pip's configuration files set for this command line, as pip's own parser reads them
    (sections, --isolated, PIP_CONFIG_FILE); None when none does or pip cannot say."""
    from safepip.pip import probes  # the boundary: only where a configuration file has a log key

    try:
        options = probes.facts(target.python, env, probes.request(line)).options
    except SafepipError:
        return None
    return options.log if options is not None else None
