"""The command being recovered, as safepip holds it for the whole ladder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from safepip.config import settings as config
from safepip.config.invocation import Invocation
from safepip.pip import log as piplog
from safepip.pip.args import PipCommandLine
from safepip.pip.target import Target


@dataclass(frozen=True)
class Job:
    target: Target
    line: PipCommandLine
    env: Mapping[str, str]
    invocation: Invocation
    #: safepip's private scratch folder of this command (pip's log files), made before the first run.
    scratch: str
    #: The log pip's configuration files set (pip/log.py), found before the first run; None if none.
    configured_log: str | None = None

    @cached_property
    def settings(self) -> config.Settings:
        """safepip's settings, read when first needed: a pip failure that is no hash mismatch never
        reads them, so a bad one cannot change what that failure reports."""
        return config.load(self.invocation, self.env)

    def log_for(self, number: int) -> piplog.PipLog:
        """Where pip run number `number` logs to."""
        return piplog.for_run(self.line, self.env, self.scratch, number, self.configured_log)
