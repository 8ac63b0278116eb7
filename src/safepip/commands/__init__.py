"""safepip's own commands, each a module here with ``main(args, settings) -> exit code``.

They are spelled ``safepip --safepip-NAME`` so that no word safepip claims can hide a pip command,
today's (pip has its own ``config``) or a future one; the words pip has no command for also work
bare (``safepip doctor``). Each is imported only when it is asked for: the table below names a
function per command, and that function imports its module (the one place a command's imports are
paid, see docs/design.md, "The normal path").
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from safepip.config.settings import Settings

    Command = Callable[[list[str], Settings], int]


def _config(args: list[str], settings: Settings) -> int:
    from safepip.commands import config

    return config.main(args, settings)


def _doctor(args: list[str], settings: Settings) -> int:
    from safepip.commands import doctor

    return doctor.main(args, settings)


def _history(args: list[str], settings: Settings) -> int:
    from safepip.commands import history

    return history.main(args, settings)


def _shell_init(args: list[str], settings: Settings) -> int:
    from safepip.commands import shellinit

    return shellinit.main(args, settings)


def _diagnose(args: list[str], settings: Settings) -> int:
    from safepip.commands import diagnose

    return diagnose.main(args, settings)


def _verify_cache(args: list[str], settings: Settings) -> int:
    from safepip.commands import verifycache

    return verifycache.main(args, settings)


def _quarantine(args: list[str], settings: Settings) -> int:
    from safepip.commands import quarantine

    return quarantine.main(args, settings)


COMMANDS: dict[str, Command] = {
    "config": _config,
    "doctor": _doctor,
    "history": _history,
    "shell-init": _shell_init,
    "diagnose": _diagnose,
    "verify-cache": _verify_cache,
    "quarantine": _quarantine,
}
