"""Every exit code safepip itself chooses, and the one error type that carries one.

Anything not listed here is pip's own exit code, passed through unchanged. The numbers avoid the ones
pip uses (0-4, 23) so a script can tell safepip's refusals from pip's failures.

A `SafepipError` anywhere ends the command with its message and its exit code; cli.py catches it, in
one place, as pipx does with its PipxError.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    #: `safepip diagnose` found no hash mismatch in the text it read.
    NOTHING_FOUND = 1
    #: `safepip doctor` found something that could cause or worsen hash mismatches.
    DOCTOR_FINDINGS = 1
    #: safepip's own command line, settings or input were wrong (a missing file for `diagnose`, say).
    USAGE = 2
    #: The requirements pin hashes that are not the file the index publishes: no retry can help.
    STALE_PIN = 20
    #: Fresh downloads keep returning the same bytes, which match neither the pin nor the index's hash.
    TAMPERING_SUSPECTED = 21
    #: Every remedy was tried and pip still saw mismatching bytes (they differed each time).
    NOT_RECOVERED = 22
    #: The target environment cannot be used (no such interpreter, no pip in it).
    TARGET_UNUSABLE = 24
    #: Installed, but into a fresh virtualenv (its path is printed), not where the user asked: no pip
    #: new enough to install into the target could run there. The ``venv-ok`` setting makes it 0.
    INSTALLED_IN_FRESH_VENV = 25
    #: A bug in safepip: the message says what, `--safepip-debug` shows the traceback.
    INTERNAL_ERROR = 70
    #: Ctrl-C (SIGINT), by the shell convention 128 + 2.
    INTERRUPTED = 130
    #: The reader of safepip's output went away (``| head``): safepip stops quietly, with the code a
    #: shell reports for a program that SIGPIPE ended (128 + 13), as ``ls | head`` does.
    BROKEN_PIPE = 141
    #: SIGTERM (128 + 15), sent to safepip by `kill` or a CI runner; SIGHUP gives 129 the same way.
    TERMINATED = 143


class SafepipError(Exception):
    """A failure safepip explains in one message and ends the command with `exit_code`."""

    exit_code: int = ExitCode.INTERNAL_ERROR

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(SafepipError):
    """safepip's own option, setting or input is wrong; the message names it and where it came from."""

    exit_code = ExitCode.USAGE


class TargetUnusable(SafepipError):
    """The environment whose pip should run cannot be used: no such interpreter, no pip in it."""

    exit_code = ExitCode.TARGET_UNUSABLE
