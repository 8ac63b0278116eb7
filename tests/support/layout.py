"""The layout rules the code keeps (docs/design.md, "The normal path"), as data for the tests."""

from __future__ import annotations

#: safepip's modules on the normal path: a pip command that goes well imports these and nothing of
#: safepip's besides, and they import only what Python loaded at start-up, plus `signal`.
NORMAL_PATH = frozenset(
    {
        "safepip",
        "safepip.cli",
        "safepip.errors",
        "safepip.interrupts",
        "safepip.trace",
        "safepip.watch",
        "safepip.commands",
        "safepip.config",
        "safepip.config.invocation",
        "safepip.output",
        "safepip.output.console",
        "safepip.pip",
        "safepip.pip.args",
        "safepip.pip.launch",
        "safepip.pip.log",
        "safepip.pip.options",
        "safepip.pip.runner",
        "safepip.pip.target",
    }
)
#: What the normal path may import at the top of a module, besides its own modules: what a Python
#: has loaded before it runs any code (`os`, `sys`), `signal` (with the `enum` under it), and the
#: `__future__` of ``from __future__ import annotations``.
NORMAL_PATH_STDLIB = frozenset({"__future__", "os", "sys", "signal", "enum", "time"})

#: Every import inside a function, by module: each is a boundary the design names, for a module
#: that only some paths need (docs/design.md, "The normal path").
BOUNDARIES = {
    # safepip's own commands, and the settings they and a recovery read: not for pip's commands.
    "safepip.cli": {"safepip.config.settings", "safepip.pip.probes", "traceback"},
    "safepip.commands": {
        "safepip.commands.config",
        "safepip.commands.doctor",
        "safepip.commands.history",
        "safepip.commands.shellinit",
        "safepip.commands.diagnose",
        "safepip.commands.verifycache",
        "safepip.commands.quarantine",
    },
    # Everything after a first pip run that failed.
    "safepip.watch": {"safepip.recovery.finish", "safepip.recovery.early", "safepip.pip.probes"},
    # Only when SAFEPIP_TRACE is set.
    "safepip.trace": {"json", "safepip.redact"},
    # Only for a line that holds a URL's user part ("@"), to mask its credentials.
    "safepip.output.console": {"safepip.redact"},
    # Windows, and unusual temporary folders.
    "safepip.pip.target": {"shutil"},
    "safepip.pip.runner": {"subprocess", "tempfile", "shutil"},
    # The fresh-virtualenv rung alone needs virtualenv (a tenth of a second to import).
    "safepip.recovery.freshvenv": {"virtualenv"},
}
