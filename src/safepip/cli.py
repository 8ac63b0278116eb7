"""The ``safepip`` command, top to bottom:

    argv -> config.invocation.split -> safepip's own command (commands/)
                                    -> pip.args.parse -> pip.target.choose
                                         -> install/download/wheel: watch (recovery/ if pip failed)
                                         -> anything else: pip.runner.run, exactly as given

Only install, download and wheel can meet a hash mismatch; every other pip command line is run
exactly as given, with nothing added and none of safepip's settings read.

The normal path (pip runs and succeeds) imports only what Python has loaded at start-up, plus
``signal``: the modules it passes through say so, and tests/unit/test_structure.py holds them to
it. Everything else is imported where it is first needed, at a few named boundaries (docs/design.md,
"The normal path").
"""

from __future__ import annotations

import os
import sys

from safepip import __version__, interrupts, trace
from safepip.commands import COMMANDS
from safepip.config import invocation as own
from safepip.errors import ExitCode, SafepipError
from safepip.output import console
from safepip.pip import args as pipargs
from safepip.pip import launch, target
from safepip.pip.runner import run
from safepip.watch import watch

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    code = _guarded(args)
    trace.event("exit", code=int(code))
    return code


def _guarded(args: list[str]) -> int:
    """The command, with every way it can end turned into an exit code."""
    debug = "--safepip-debug" in args or os.environ.get("SAFEPIP_DEBUG", "").strip() not in ("", "0")
    console.reset()
    # SIGTERM/SIGHUP unwind like Ctrl-C (clean-up runs); the exit code is 128 + the signal.
    previous = interrupts.start_run()
    try:
        code = _main(args)
        # What is still buffered goes out now, where a closed pipe can be answered (below), not
        # when Python exits and can only complain about it.
        sys.stdout.flush()
        return interrupts.exit_code() if code == ExitCode.INTERRUPTED else code
    except BrokenPipeError:
        # Whoever read safepip's output went away (`| head`): end quietly, as `ls | head` does.
        _silence_output()
        return ExitCode.BROKEN_PIPE
    except KeyboardInterrupt:
        console.say("interrupted.", level=console.Level.WARNING)
        return interrupts.exit_code()
    except SafepipError as exc:
        console.say(f"error: {exc}", level=console.Level.ERROR)
        return exc.exit_code
    except Exception as exc:
        console.say(f"internal error: {type(exc).__name__}: {exc}", level=console.Level.ERROR)
        if debug:
            import traceback  # only for a bug, and only when asked

            traceback.print_exc()
        else:
            console.say("run again with --safepip-debug to see the traceback", level=console.Level.ERROR)
        return ExitCode.INTERNAL_ERROR
    finally:
        # A helper (a probe, the index question) started and never read: none outlives safepip.
        interrupts.stop_started()
        interrupts.restore(previous)


def _silence_output() -> None:
    """Point stdout and stderr at the null device, so that what is still buffered for the closed
    pipe goes nowhere when Python flushes it at exit, instead of failing once more."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(null, stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass  # not a real file (a test's StringIO): nothing is flushed to a pipe at exit
    os.close(null)


def _main(args: list[str]) -> int:
    asked = own.split(args, COMMANDS)
    if asked.show_help:
        sys.stdout.write(own.HELP)
        return ExitCode.OK
    if asked.show_version:
        sys.stdout.write(f"safepip {__version__}\n")
        return ExitCode.OK
    if asked.command is not None:
        from safepip.config import settings  # the boundary for safepip's own commands

        return COMMANDS[asked.command](asked.command_args, settings.load(asked, os.environ))
    line = pipargs.parse(asked.pip_args)
    chosen = target.choose(line, os.environ)
    trace.event(
        "start",
        given=asked.pip_args,
        args=line.args,
        python=chosen.python,
        install_python=chosen.install_python,
        reason=chosen.reason,
        recoverable=line.recoverable,
    )
    if not line.recoverable:
        return _pass_on(chosen, line)
    # pip's -q/-v and --no-color on this command line apply to safepip's own lines too.
    console.configure(verbosity=pipargs.verbosity(line, os.environ), no_color="--no-color" in line.flags)
    console.say(f"running the pip of {chosen.python} (chosen by {chosen.reason})", level=console.Level.DETAIL)
    if chosen.install_python != chosen.python:
        console.say(f"pip runs its code under {chosen.install_python} (--python)", level=console.Level.DETAIL)
    return watch(asked, line, chosen, os.environ)


def _pass_on(chosen: target.Target, line: pipargs.PipCommandLine) -> int:
    """A command that cannot meet a hash mismatch: pip runs it exactly as given."""
    try:
        result = run(launch.pip_argv(chosen.python, line.args), os.environ)
    except OSError as exc:
        raise target.cannot_run(chosen.python, exc) from exc
    if result.interrupted_by is not None:
        return ExitCode.INTERRUPTED
    if result.exit_code != 0:
        from safepip.pip import probes  # only a failed command asks whether pip was there at all

        problem = probes.pip_problem(chosen.python, os.environ)
        if problem:
            raise problem
    return result.exit_code
