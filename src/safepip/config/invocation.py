"""What the user asked of safepip itself, split off the pip command line: its options and commands.

Every safepip option starts with ``--safepip-`` so that it can never collide with an option pip
has or will add; safepip removes them before pip sees the command line. The settings themselves are
one table, `SPECS`: each is also a ``SAFEPIP_*`` variable and, most, a key of the config file.

`split()` runs on every pip command, so it only sorts the words: values are kept as text and read
(checked, with the config file beneath) by config/settings.py when something needs them. A command
safepip only passes on never reads them, so a bad value can never stop pip.
"""

from __future__ import annotations

from safepip.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

OWN_PREFIX = "--safepip-"
#: Words pip itself has a command for: safepip's command of that name works only as --safepip-NAME.
PIPS_OWN = frozenset({"config"})


class Spec:
    """One setting: its config-file key, the Settings field, how its text is read, and its help.

    Its variable is ``SAFEPIP_<KEY>``; its option, where it has one, ``--safepip-<key>``.
    """

    __slots__ = ("choices", "env", "field", "help", "in_file", "invert", "key", "kind", "option")

    def __init__(
        self,
        key: str,
        field: str,
        kind: str,
        help: str,
        *,
        option: bool = False,
        in_file: bool = True,
        invert: bool = False,
        choices: tuple[str, ...] = (),
    ) -> None:
        self.key = key
        self.field = field
        #: "flag", "seconds", "choice", or a path: "folder" (safepip creates files inside it),
        #: "file" (safepip writes it), "path" (anything else).
        self.kind = kind
        self.help = help
        self.env = "SAFEPIP_" + key.upper().replace("-", "_")
        self.option = OWN_PREFIX + key if option else None
        self.in_file = in_file
        #: The field holds the opposite of the flag (no-venv = true -> venv_rung False).
        self.invert = invert
        self.choices = choices


SPECS: tuple[Spec, ...] = (
    Spec("no-venv", "venv_rung", "flag", "never use the fresh-virtualenv rung", option=True, invert=True),
    # A path that must not exist yet: useful for one run, never as a standing setting.
    Spec("venv", "venv_path", "path", "create the fresh virtualenv exactly here", option=True, in_file=False),
    Spec("venv-dir", "venv_dir", "folder", "parent folder of fresh virtualenvs"),
    Spec("venv-ok", "venv_ok", "flag", "exit 0, not 25, after installing into a fresh virtualenv",
         option=True),
    Spec("quarantine-dir", "quarantine_dir", "folder", "where evicted cache entries are kept"),
    Spec("backoff", "backoff", "seconds", "first wait before a plain retry, doubling", option=True),
    # Per run or per job, not in the file: knowing it must not cost the runs that go well a read of
    # the config file (docs/design.md, "The normal path").
    Spec("report", "report", "path", "write a JSON report of each install/download/wheel run here",
         option=True, in_file=False),
    Spec("no-history", "history", "flag", "do not log recoveries and refusals", option=True, invert=True),
    Spec("history-file", "history_file", "file", "the log of recoveries and refusals"),
    Spec("github", "github", "choice", "GitHub Actions summary and annotations (auto: when "
         "GITHUB_ACTIONS=true)", choices=("auto", "on", "off")),
    Spec("debug", "debug", "flag", "tracebacks for safepip's own errors", option=True),
    # Chosen per run with pip's --python first (see pip/target.py); a standing choice in a file would
    # make the alias install somewhere unexpected.
    Spec("python", "python", "path", "the environment whose pip runs", in_file=False),
)  # fmt: skip
BY_KEY = {spec.key: spec for spec in SPECS}
_BY_OPTION = {spec.option: spec for spec in SPECS if spec.option}

HELP = """\
usage: safepip [--safepip-OPTION ...] <pip command line>
       safepip --safepip-COMMAND [ARGS]

safepip runs the real pip with your command line unchanged. Only when pip stops with a hash
mismatch does it act: it evicts the corrupted entries from pip's cache and retries, retries with
--no-cache-dir, and last runs an up-to-date pip from a fresh virtualenv, installing where you asked.
It never weakens hash checking, and it refuses (non-zero exit) when the pin is stale or fresh
downloads keep returning wrong bytes.

safepip's own commands (spelled as options, so none can hide a pip command):
  --safepip-config [--json]            the effective settings, and where each came from
  --safepip-doctor [--json] [--python PY] [--check-index [PROJECT]]
                                       what in this environment could cause hash mismatches
  --safepip-history [--json] [--limit N]
                                       recent recoveries and refusals
  --safepip-shell-init bash|zsh|fish|powershell
                                       shell code so that pip and pip3 run through safepip
  --safepip-diagnose [FILE|-] [--json] explain a pip log pasted from anywhere
  The words pip has no command for work bare too: safepip doctor, history, shell-init, diagnose.

safepip options (each also a SAFEPIP_* variable and, most, a config-file key):
  --safepip-no-venv         never use the fresh-virtualenv rung          SAFEPIP_NO_VENV=1
  --safepip-venv PATH       create the fresh virtualenv exactly here     SAFEPIP_VENV=PATH
  --safepip-venv-ok         exit 0, not 25, when the packages went into  SAFEPIP_VENV_OK=1
                            a fresh virtualenv instead of the target
  --safepip-backoff SECONDS first wait before a plain retry (default 1)  SAFEPIP_BACKOFF
  --safepip-report PATH     write a JSON report of this run              SAFEPIP_REPORT
  --safepip-no-history      do not log recoveries and refusals           SAFEPIP_NO_HISTORY=1
  --safepip-debug           show tracebacks of safepip's own errors      SAFEPIP_DEBUG=1
  --safepip-help            this help (pip's own help: safepip --help)
  --safepip-version         safepip's version (pip's own: safepip --version)
  More settings, and the config file: safepip --safepip-config.

pip's -q/-v quiet or detail safepip's own lines too.
Exit codes: pip's own, or 20 stale pin, 21 tampering suspected, 22 not recovered,
24 target environment unusable, 25 installed but into a fresh virtualenv (its path is printed),
130 interrupted (143 SIGTERM). See README.md.
"""


class Invocation:
    """One safepip command line, sorted: safepip's own words, and the pip command line."""

    def __init__(self) -> None:
        self.pip_args: list[str] = []
        #: One of commands.COMMANDS when safepip runs a command of its own, and its arguments.
        self.command: str | None = None
        self.command_args: list[str] = []
        self.show_help = False
        self.show_version = False
        #: Each --safepip-OPTION given, in order: (its setting, its text, the option as written).
        self.given: list[tuple[Spec, str, str]] = []

    def option_text(self, key: str) -> str | None:
        """The text of the last ``--safepip-<key>`` given, or None."""
        texts = [text for spec, text, _ in self.given if spec.key == key]
        return texts[-1] if texts else None

    def wants_report(self, env: Mapping[str, str]) -> bool:
        """Whether a run report was asked for, by option or variable (never the config file)."""
        return self.option_text("report") is not None or bool(env.get(BY_KEY["report"].env, "").strip())

    def wants_debug(self, env: Mapping[str, str]) -> bool:
        """--safepip-debug or SAFEPIP_DEBUG, read loosely: it only decides whether to show a traceback."""
        return self.option_text("debug") is not None or env.get("SAFEPIP_DEBUG", "").strip() not in ("", "0")


def split(argv: Sequence[str], commands: Collection[str] = ()) -> Invocation:
    """safepip's own words, and the pip command line with every --safepip-* option removed.

    `commands` names safepip's own commands (commands.COMMANDS): ``--safepip-NAME`` runs one, and
    so does a bare NAME first on the line, where pip has no command of that name.
    """
    found = Invocation()
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith(OWN_PREFIX):
            (found.command_args if found.command else found.pip_args).append(arg)
            i += 1
            continue
        name, has_value, value = arg.partition("=")
        word = name[len(OWN_PREFIX) :]
        spec = _BY_OPTION.get(name)
        if word in commands:
            if found.command or found.pip_args:
                raise UsageError(f"{name} must come first (before any pip command line)")
            found.command = word
        elif word == "help":
            found.show_help = True
        elif word == "version":
            found.show_version = True
        elif spec is None:
            raise UsageError(f"unknown option {name} (see safepip --safepip-help)")
        elif spec.kind == "flag":
            if has_value:
                raise UsageError(f"{name} takes no value")
            found.given.append((spec, "true", name))
        else:
            if not has_value:
                if i + 1 >= len(args):
                    raise UsageError(f"{name} needs a value")
                value = args[i + 1]
                i += 1
            found.given.append((spec, value, name))
        i += 1
    first = found.pip_args[0] if found.pip_args else None
    if found.command is None and first in commands and first not in PIPS_OWN:
        found.command, found.command_args, found.pip_args = found.pip_args[0], found.pip_args[1:], []
    return found
