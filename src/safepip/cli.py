"""The ``safepip`` command: split off safepip's own options, choose the environment, run pip.

    argv -> settings.split -> (safepip's own command | pip passthrough | recovery) -> exit code

Only install, download and wheel can meet a hash mismatch; every other pip command line is run
exactly as given, with nothing added.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from safepip import __version__, interrupts, messages, pipargs, settings, target, trace
from safepip.exit_codes import ExitCode
from safepip.messages import Level, say
from safepip.runner import run

#: The spellings the issues gave them (``safepip doctor``), kept for the words pip has no command
#: for. ``config`` is not among them: ``safepip config list`` is pip's own.
BARE_COMMANDS = frozenset(settings.COMMANDS) - {"config"}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("SAFEPIP_DEBUG", "") not in ("", "0") or "--safepip-debug" in args
    try:
        # SIGTERM/SIGHUP unwind like Ctrl-C (clean-up runs); the exit code is 128 + the signal.
        with interrupts.handled():
            code = _main(args)
        return interrupts.exit_code() if code == ExitCode.INTERRUPTED else code
    except KeyboardInterrupt:
        say("interrupted.", level=Level.WARNING)
        return interrupts.exit_code()
    except settings.UsageError as exc:
        say(f"error: {exc}", level=Level.ERROR)
        return ExitCode.USAGE
    except Exception as exc:
        from safepip.recovery import TargetUnusable

        if isinstance(exc, (target.TargetError, TargetUnusable)):
            say(f"error: {exc}", level=Level.ERROR)
            return ExitCode.TARGET_UNUSABLE
        say(f"internal error: {type(exc).__name__}: {exc}", level=Level.ERROR)
        if debug or getattr(settings.current(), "debug", False):
            import traceback

            traceback.print_exc()
        else:
            say("run again with --safepip-debug to see the traceback", level=Level.ERROR)
        return ExitCode.INTERNAL_ERROR


def _main(args: list[str]) -> int:
    settings.activate(None)
    messages.reset()
    own, pip_args = settings.split(args, os.environ)
    if own.show_help:
        sys.stdout.write(settings.HELP)
        return ExitCode.OK
    if own.show_version:
        sys.stdout.write(f"safepip {__version__}\n")
        return ExitCode.OK
    if own.command is None and pip_args[:1] and pip_args[0] in BARE_COMMANDS:
        own.command, own.command_args, pip_args = pip_args[0], pip_args[1:], []
    if own.command is not None:
        settings.activate(settings.with_config_file(own, os.environ))
        module = importlib.import_module(f"safepip.{settings.COMMANDS[own.command]}")
        return int(module.main(own.command_args))
    line = pipargs.parse(pip_args)
    chosen = target.choose(line, os.environ)
    if chosen.reason == "--python":
        line = pipargs.parse(line.without_python_option())
    pip = [str(chosen.python), "-m", "pip"]
    facts = {"python": pip[0], "reason": chosen.reason, "recoverable": line.recoverable}
    trace.event("start", given=pip_args, args=line.args, **facts)
    if not line.recoverable:
        try:
            result = run([*pip, *line.args], os.environ)
        except OSError as exc:
            raise target.TargetError(target.cannot_run(chosen.python, exc)) from exc
        failed = result.exit_code != 0 and result.interrupted_by is None
        problem = target.pip_problem(pip[0], os.environ) if failed else None
        if problem:
            raise target.TargetError(problem)
        return ExitCode.INTERRUPTED if result.interrupted_by is not None else result.exit_code
    settings.activate(settings.with_config_file(own, os.environ))
    # pip's -q/-v and --no-color on this command line apply to safepip's own lines too.
    verbosity = pipargs.verbosity(line.args, os.environ)
    messages.configure(verbosity=verbosity, no_color="--no-color" in line.flags)
    say(f"running the pip of {chosen.python} (chosen by {chosen.reason})", level=Level.DETAIL)
    from safepip.recovery import Recovery

    return Recovery(chosen, line, os.environ, own).run()
