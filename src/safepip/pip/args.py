"""Read a pip command line the way pip's own parser does, without changing it.

safepip needs a few facts from the arguments (which command, whether ``--no-cache-dir`` or
``--log`` is given, the cache directory, ``--python``), and it must add options without moving
anything else. pip parses with optparse: general options come before the command name, long
options may be abbreviated to any unambiguous prefix, and ``--opt=value`` equals ``--opt value``.

On the normal path: plain classes and str methods only (see docs/design.md, "The normal path").
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# pip's general options (cmdoptions.general_group, pip 20.3 to 26) that take a value; needed to find
# the command name after them. Flags are any other option.
GENERAL_WITH_VALUE = frozenset(
    {
        "--python",
        "--log",
        "--log-file",
        "--local-log",
        "--keyring-provider",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--use-feature",
        "--use-deprecated",
        "--resume-retries",
    }
)
GENERAL_FLAGS = frozenset(
    {
        "--help",
        "--debug",
        "--isolated",
        "--require-virtualenv",
        "--require-venv",
        "--verbose",
        "--version",
        "--quiet",
        "--no-input",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-color",
        "--no-python-version-warning",
    }
)
LOG_OPTIONS = ("--log", "--log-file", "--local-log")

#: The commands that download and check hashes, so the ones safepip watches.
RECOVERABLE_COMMANDS = frozenset({"install", "download", "wheel"})

# Options of install/download/wheel that take a value, to tell their values from requirements.
COMMAND_WITH_VALUE = frozenset(
    {
        "--requirement",
        "--constraint",
        "--editable",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--target",
        "--prefix",
        "--root",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--dest",
        "--wheel-dir",
        "--src",
        "--upgrade-strategy",
        "--no-binary",
        "--only-binary",
        "--progress-bar",
        "--report",
        "--global-option",
        "--build-option",
        "--install-option",
        "--config-settings",
        "--group",
        "--exists-action",
        "--retries",
        "--timeout",
        "--proxy",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--log",
        "--log-file",
        "--local-log",
        "--python",
        "--use-feature",
        "--use-deprecated",
        "--keyring-provider",
        "--resume-retries",
    }
)
SHORT_COMMAND_WITH_VALUE = frozenset({"-r", "-c", "-e", "-i", "-f", "-t", "-d", "-w", "-b", "-C"})
_SHORT_FLAGS = {"h": "--help", "v": "--verbose", "q": "--quiet", "V": "--version", "U": "--upgrade"}
_SHORT_ALIASES = {
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-i": "--index-url",
    "-f": "--find-links",
    "-t": "--target",
    "-d": "--dest",
    "-w": "--wheel-dir",
}
#: The words pip's strtobool reads as true and as false (``PIP_NO_INPUT=yes``, ``quiet = on``).
TRUE_WORDS = frozenset({"y", "yes", "t", "true", "on", "1"})
FALSE_WORDS = frozenset({"n", "no", "f", "false", "off", "0"})


def truth(text: str) -> bool | None:
    """A yes/no word read as pip reads it (its strtobool), or None when it is neither."""
    word = text.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def _resolve_long(option: str, known: frozenset[str]) -> str | None:
    """The full option an optparse-style prefix stands for, or None if unknown or ambiguous."""
    if option in known:
        return option
    matches = [k for k in known if k.startswith(option)]
    return matches[0] if len(matches) == 1 else None


class PipCommandLine:
    """The facts safepip reads from a pip command line; `args` is the line itself, untouched."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.command: str | None = None
        self.command_index: int | None = None
        self.options: dict[str, list[str]] = {}
        self.flags: set[str] = set()
        #: How often each flag was given: pip counts ``-v``/``-q`` (``-qq`` is quieter than ``-q``).
        self.counts: dict[str, int] = {}

    @property
    def recoverable(self) -> bool:
        return self.command in RECOVERABLE_COMMANDS and "--help" not in self.flags

    def value(self, option: str) -> str | None:
        values = self.options.get(option)
        return values[-1] if values else None

    def values(self, option: str) -> list[str]:
        return list(self.options.get(option, []))

    @property
    def no_cache_dir(self) -> bool:
        return "--no-cache-dir" in self.flags

    @property
    def log_file(self) -> str | None:
        for option in LOG_OPTIONS:
            if option in self.options:
                return self.options[option][-1]
        return None

    def with_option(self, *extra: str) -> list[str]:
        """The same command line with `extra` inserted right after the command name.

        Placing it there, not at the end, keeps it out of anything after a ``--`` and away from
        the argument list of options like ``--config-settings``.
        """
        if self.command_index is None:
            return [*self.args, *extra]
        cut = self.command_index + 1
        return [*self.args[:cut], *extra, *self.args[cut:]]

    def without_python_option(self) -> list[str]:
        """The command line minus pip's ``--python X``: safepip runs X's own pip instead."""
        out: list[str] = []
        skip = False
        for i, arg in enumerate(self.args):
            if skip:
                skip = False
                continue
            if self.command_index is not None and i >= self.command_index:
                out.append(arg)
                continue
            name = arg.split("=", 1)[0]
            if arg.startswith("--") and _resolve_long(name, GENERAL_WITH_VALUE | GENERAL_FLAGS) == "--python":
                skip = "=" not in arg
                continue
            out.append(arg)
        return out


def parse(args: Sequence[str]) -> PipCommandLine:
    """Walk `args` as optparse does: long options by unambiguous prefix, short flags in clusters,
    the value of an option taking one inline (``--opt=v``, ``-rfile``) or from the next argument."""
    line = PipCommandLine(list(args))
    args = line.args
    i = 0

    def take(option: str, value: str) -> None:
        line.options.setdefault(option, []).append(value)

    def flag(option: str) -> None:
        line.flags.add(option)
        line.counts[option] = line.counts.get(option, 0) + 1

    def next_value() -> str:
        nonlocal i
        if i + 1 < len(args):
            i += 1
            return args[i]
        return ""

    in_command = False
    known_long = GENERAL_WITH_VALUE | GENERAL_FLAGS
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        if arg.startswith("--"):
            name, has_value, inline = arg.partition("=")
            resolved = _resolve_long(name, known_long)
            if resolved is None and in_command:
                resolved = _resolve_long(name, COMMAND_WITH_VALUE)
            if resolved in GENERAL_WITH_VALUE or (in_command and resolved in COMMAND_WITH_VALUE):
                assert resolved is not None
                take(resolved, inline if has_value else next_value())
            else:
                flag(resolved or name)
        elif arg.startswith("-") and len(arg) > 1:
            for position, letter in enumerate(arg[1:], 1):
                short = "-" + letter
                if in_command and short in SHORT_COMMAND_WITH_VALUE:
                    # The rest of the cluster, or else the next argument, is its value.
                    rest = arg[position + 1 :]
                    take(_SHORT_ALIASES.get(short, short), rest if rest else next_value())
                    break
                flag(_SHORT_FLAGS.get(letter, short))
        elif not in_command:
            line.command, line.command_index, in_command = arg, i, True
        i += 1
    return line


def _count_setting(text: str) -> int:
    """A count option (``PIP_VERBOSE``, ``PIP_QUIET``) read from the environment as pip reads it."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    return 1 if truth(text) else 0


def verbosity(line: PipCommandLine, env: Mapping[str, str] | None = None) -> int:
    """pip's verbosity for a command line: each ``-v`` adds one, each ``-q`` takes one away.

    pip counts them (``-qq``, ``-v -v``, ``--verbose``), and also reads ``PIP_VERBOSE`` and
    ``PIP_QUIET``. Values of other options are skipped, so ``-r quiet.txt`` is not ``-q``.
    """
    env = env or {}
    level = _count_setting(env.get("PIP_VERBOSE", "")) - _count_setting(env.get("PIP_QUIET", ""))
    return level + line.counts.get("--verbose", 0) - line.counts.get("--quiet", 0)
