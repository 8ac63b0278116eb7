"""The ``safepip`` command: split off safepip's own options, choose the environment, run pip.

    argv -> settings.split -> (diagnose | pip passthrough | recovery) -> exit code

Only install, download and wheel can meet a hash mismatch; every other pip command line is run
exactly as given, with nothing added.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

from safepip import __version__, pipargs, settings, target
from safepip.exit_codes import ExitCode
from safepip.messages import say
from safepip.runner import run


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("SAFEPIP_DEBUG", "") not in ("", "0") or "--safepip-debug" in args
    try:
        return _main(args)
    except KeyboardInterrupt:
        say("interrupted.")
        return ExitCode.INTERRUPTED
    except settings.UsageError as exc:
        say(f"error: {exc}")
        return ExitCode.USAGE
    except Exception as exc:
        from safepip.recovery import TargetUnusable

        if isinstance(exc, (target.TargetError, TargetUnusable)):
            say(f"error: {exc}")
            return ExitCode.TARGET_UNUSABLE
        say(f"internal error: {type(exc).__name__}: {exc}")
        if debug:
            traceback.print_exc()
        else:
            say("run again with --safepip-debug to see the traceback")
        return ExitCode.INTERNAL_ERROR


def _main(args: list[str]) -> int:
    own, pip_args = settings.split(args, os.environ)
    if own.show_help:
        sys.stdout.write(settings.HELP)
        return ExitCode.OK
    if own.show_version:
        sys.stdout.write(f"safepip {__version__}\n")
        return ExitCode.OK
    if pip_args[:1] == ["diagnose"]:
        from safepip import diagnose

        return diagnose.main(pip_args[1:])
    line = pipargs.parse(pip_args)
    chosen = target.choose(line, os.environ)
    if chosen.reason == "--python":
        line = pipargs.parse(line.without_python_option())
    pip = [str(chosen.python), "-m", "pip"]
    if not line.recoverable:
        result = run([*pip, *line.args], os.environ)
        return ExitCode.INTERRUPTED if result.interrupted_by is not None else result.exit_code
    from safepip.recovery import Recovery

    return Recovery(chosen, line, os.environ, own).run()
