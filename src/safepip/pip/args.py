"""Read a pip command line the way pip's own parsers do, without changing it.

pip parses a command line twice (pip/_internal/cli/main_parser.py, base_command.py): its main
parser reads the general options up to the first word that is no option, the command's name; then
the command's parser reads the whole line again, general options included, wherever they stand.
Both are optparse: a long option may be shortened to any prefix that only one of the parser's
spellings starts with, ``--opt=value`` is ``--opt value``, short options cluster (``-qqr req.txt``),
and an option that takes a value takes the next word whatever it is (``--log -q``).

Which spellings exist, and which take a value, comes from each pip release's own parser
(pip/options.py, generated and checked across the matrix). safepip does not know on this path which
pip will run, so a prefix is resolved as each release would resolve it: when they all agree it is
that option; when they do not (``--g`` is ``--global-option`` up to 25.0, ``--group`` from 25.3),
the line is marked `exact = False`, and what matters is then asked of the real pip's parser on the
recovery path (pip/probes.py). Whether an option takes a value never depends on the release.

On the normal path: plain classes and str methods only (see docs/design.md, "The normal path").
"""

from __future__ import annotations

from safepip.pip import options as table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: The commands that download and check hashes, so the ones safepip watches.
RECOVERABLE_COMMANDS = frozenset({"install", "download", "wheel"})
#: General options that end a run before it does anything (help, version): never handed to a probe.
_EXITING = frozenset({"--help", "--version"})
#: The words pip's strtobool reads as true and as false (``PIP_NO_INPUT=yes``, ``quiet = on``).
TRUE_WORDS = frozenset({"y", "yes", "t", "true", "on", "1"})
FALSE_WORDS = frozenset({"n", "no", "f", "false", "off", "0"})


def truth(text: str) -> bool | None:
    """A yes/no word read as pip reads it (its strtobool), or None when it is neither."""
    word = text.strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def resolve(spelling: str, parser: str, versions: int = table.ALL) -> tuple[str | None, bool, bool]:
    """What `spelling` stands for in `parser` ("" = the main parser), as optparse resolves it.

    Returns (the option, whether it takes a value, whether every release in `versions` that
    accepts it agrees). The option is None when no release accepts it (pip stops with "no such
    option" or "ambiguous option") or when releases differ on which option it is.
    """
    known = table.IN_PARSER.get(parser, {})
    mask = known.get(spelling, 0)
    if mask & versions == versions:
        option = table.OPTION_OF[spelling]
        return option, option in table.TAKES_VALUE, True
    picked: set[str] = set()
    candidates = [s for s in known if s.startswith(spelling)] if spelling.startswith("--") else []
    for bit in range(len(table.VERSIONS)):
        if not versions >> bit & 1:
            continue
        if known.get(spelling, 0) >> bit & 1:
            picked.add(table.OPTION_OF[spelling])
            continue
        here = [s for s in candidates if known[s] >> bit & 1]
        if len(here) == 1:
            picked.add(table.OPTION_OF[here[0]])
    if len(picked) == 1:
        option = picked.pop()
        return option, option in table.TAKES_VALUE, True
    # Releases differ on which option it is (tests/support/pipoptions.py checks that they never
    # differ on whether it takes a value), or none accepts it and pip stops at it.
    return None, any(option in table.TAKES_VALUE for option in picked), False


class Given:
    """One option as it stands on the command line: what it is, its value, where."""

    __slots__ = ("before_command", "index", "option", "value")

    def __init__(self, option: str | None, value: str | None, index: int, before_command: bool) -> None:
        self.option = option
        self.value = value
        self.index = index
        self.before_command = before_command


class PipCommandLine:
    """The facts safepip reads from a pip command line; `args` is the line itself, untouched."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.command: str | None = None
        self.command_index: int | None = None
        #: Every option, in order, as pip's parsers read it.
        self.given: list[Given] = []
        #: False when some option means different things in different pip releases, or nothing
        #: known: then only the real pip's parser can tell (pip/probes.py asks it).
        self.exact = True
        #: A ``--`` before the command name: pip reads nothing after it as an option, so nothing
        #: can be added there either.
        self.options_closed = False

    @property
    def recoverable(self) -> bool:
        return self.command in RECOVERABLE_COMMANDS and "--help" not in self.flags and not self.options_closed

    @property
    def flags(self) -> set[str]:
        return {g.option for g in self.given if g.option and g.value is None}

    def count(self, option: str) -> int:
        """How often `option` was given: pip counts ``-v``/``-q`` (``-qq`` is quieter than ``-q``)."""
        return sum(1 for g in self.given if g.option == option)

    def value(self, option: str) -> str | None:
        values = self.values(option)
        return values[-1] if values else None

    def values(self, option: str) -> list[str]:
        return [g.value for g in self.given if g.option == option and g.value is not None]

    @property
    def no_cache_dir(self) -> bool:
        return "--no-cache-dir" in self.flags

    @property
    def log_file(self) -> str | None:
        """The log pip writes by this command line: ``--log``, ``--log-file`` and ``--local-log``
        are one option, so the last one given wins, before or after the command."""
        return self.value("--log")

    @property
    def isolated(self) -> bool:
        """Whether pip reads no ``PIP_*`` variable and no user config file for the command.

        pip decides it by an exact test of its own (``"--isolated" in cmd_args``): an abbreviation
        or ``PIP_ISOLATED`` sets the option but isolates nothing.
        """
        return self.command is not None and "--isolated" in self.args

    @property
    def python_option(self) -> str | None:
        """pip's ``--python X``: only its main parser acts on it, so only before the command."""
        values = [g.value for g in self.given if g.option == "--python" and g.before_command]
        return values[-1] if values else None

    def without_python_option(self) -> list[str]:
        """The command line minus pip's ``--python X``: for a pip too old to have the option (the
        fresh-virtualenv rung's fallback, which installs into its own environment instead)."""
        drop: set[int] = set()
        for g in self.given:
            if g.option == "--python" and g.before_command:
                # `index` is where the value stands: the option's own word, or the one after it.
                inline = self.args[g.index] != g.value
                drop.update((g.index,) if inline else (g.index - 1, g.index))
        return [arg for i, arg in enumerate(self.args) if i not in drop]

    def general_options(self, *, before_command: bool = False) -> list[str]:
        """The general options of the line (or of its part before the command), spelled out in full,
        for a probe that asks pip's own parser what they mean with pip's configuration."""
        out = []
        for g in self.given:
            if g.option not in table.GENERAL or g.option in _EXITING:
                continue
            if before_command and not g.before_command:
                continue
            out.append(g.option if g.value is None else f"{g.option}={g.value}")
        return out

    def with_option(self, *extra: str) -> list[str]:
        """The same command line with `extra` inserted right after the command name.

        Placing it there, not at the end, keeps it out of anything after a ``--`` and away from
        the argument list of options like ``--config-settings``.
        """
        if self.command_index is None:
            return [*self.args, *extra]
        cut = self.command_index + 1
        return [*self.args[:cut], *extra, *self.args[cut:]]


def parse(args: Sequence[str]) -> PipCommandLine:
    """Walk `args` as pip's two parsers do (see the module's docstring)."""
    line = PipCommandLine(list(args))
    args = line.args
    parser = ""  # pip's main parser, until the command name
    i = 0

    def next_value() -> str:
        nonlocal i
        if i + 1 < len(args):
            i += 1
            return args[i]
        return ""

    while i < len(args):
        arg = args[i]
        before = not parser
        if arg == "--":
            if parser or i + 1 >= len(args):
                break
            # The main parser takes "--" as the end of its options: the next word is the command,
            # and the command's parser then sees that "--" first.
            line.options_closed = True
            i += 1
            line.command, line.command_index = args[i], i
            break
        if arg.startswith("--"):
            name, has_value, inline = arg.partition("=")
            option, takes, certain = resolve(name, parser)
            line.exact = line.exact and certain
            value = (inline if has_value else next_value()) if takes else None
            line.given.append(Given(option, value, i, before))
        elif arg.startswith("-") and len(arg) > 1:
            for position in range(1, len(arg)):
                option, takes, certain = resolve("-" + arg[position], parser)
                line.exact = line.exact and certain
                if takes:
                    # The rest of the cluster, or else the next word, is its value.
                    rest = arg[position + 1 :]
                    line.given.append(Given(option, rest if rest else next_value(), i, before))
                    break
                line.given.append(Given(option, None, i, before))
        elif not parser:
            line.command, line.command_index = arg, i
            if arg not in table.IN_PARSER:
                break  # a command safepip only passes on: the rest is pip's alone
            parser = arg
        i += 1
    return line


def pip_variables(env: Mapping[str, str]) -> dict[str, str]:
    """pip's ``PIP_*`` variables as its Configuration reads them: the name after ``PIP_`` in lower
    case, ``_`` as ``-``, one value per name (the last given), in the environment's order; empty
    values are ignored, as pip ignores them."""
    found: dict[str, str] = {}
    for name, value in env.items():
        if name.startswith("PIP_"):
            key = name[4:].lower().replace("_", "-")
            found[key[2:] if key.startswith("--") else key] = value
    return {key: value for key, value in found.items() if value}


def from_environment(option: str, line: PipCommandLine, env: Mapping[str, str]) -> str | None:
    """The value pip takes for `option` from its ``PIP_*`` variables for this command line (None
    under ``--isolated``, where pip reads none): each spelling has its own variable, and the one
    that comes last in the environment wins, as it does in pip's Configuration."""
    if line.isolated:
        return None
    keys = {s[2:] for s, o in table.OPTION_OF.items() if o == option and s.startswith("--")}
    found = None
    for key, value in pip_variables(env).items():
        if key in keys:
            found = value
    return found


def _count_setting(text: str | None) -> int:
    """A count option (``PIP_VERBOSE``, ``PIP_QUIET``) read as pip reads it: a yes/no word, or a number."""
    if text is None:
        return 0
    word = truth(text)
    if word is not None:
        return int(word)
    text = text.strip()
    return int(text) if text.isdigit() else 0


def verbosity(line: PipCommandLine, env: Mapping[str, str] | None = None) -> int:
    """pip's verbosity for a command line: each ``-v`` adds one, each ``-q`` takes one away.

    pip counts them (``-qq``, ``-v -v``, ``--verbose``) on top of ``PIP_VERBOSE`` and ``PIP_QUIET``
    (not under ``--isolated``), and ``--debug`` makes it 2. Values of other options are skipped, so
    ``-r quiet.txt`` is not ``-q``. A ``quiet =`` in a config file counts once pip has reported a
    mismatch, when safepip asks pip's own parser (pip/probes.py).
    """
    env = env or {}
    if line.count("--debug") or truth(from_environment("--debug", line, env) or "") is True:
        return 2
    level = _count_setting(from_environment("--verbose", line, env)) - _count_setting(
        from_environment("--quiet", line, env)
    )
    return level + line.count("--verbose") - line.count("--quiet")
