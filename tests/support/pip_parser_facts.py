"""What one pip release's own parser says about its options: ``python -I pip_parser_facts.py PIP_WHEEL``.

Run as a script in a fresh ``python -I`` process: it puts the wheel (or a folder holding the ``pip``
package) first on ``sys.path``, imports that pip and prints JSON built from pip's own objects:

* its parsers: the main parser (``create_main_parser()``: what may stand before the command name)
  and each command's parser (``create_command(name).parser``), with every long and short spelling
  each accepts;
* each option: its spellings, whether it takes a value (optparse's ``takes_value()``), whether it is
  a general option, and the ``PIP_*`` variables and config-file keys pip reads for it, each found by
  feeding the name through pip's own ``Configuration`` and ``parser.get_option("--" + key)``, as
  ``ConfigOptionParser._update_defaults`` does;
* how optparse resolves every prefix of every long spelling in each parser (the abbreviations pip
  accepts, and the ones it calls ambiguous);
* with a second argument (a JSON list of command lines): what pip makes of each, through the very
  steps of ``pip._internal.cli.main``: ``parse_command``, ``create_command(name, isolated=...)``,
  ``parse_args`` (the command, the log it writes, ``--python``, whether its configuration is
  isolated, its requirement files, whether its cache is off), or that it refuses the line.

No network, nothing installed, no configuration file of this machine read (``PIP_CONFIG_FILE`` is
``os.devnull`` and no other ``PIP_*`` variable is set). Standard library only.
"""

from __future__ import annotations

import json
import optparse
import os
import sys
import warnings

#: The commands whose parsers safepip reads after the command name.
READ_COMMANDS = ("install", "download", "wheel")


def _clean_environment() -> None:
    for name in [n for n in os.environ if n.upper().startswith("PIP_")]:
        del os.environ[name]
    os.environ["PIP_CONFIG_FILE"] = os.devnull


def _options(parser: optparse.OptionParser) -> list[optparse.Option]:
    found = list(parser.option_list)
    for group in parser.option_groups:
        found.extend(group.option_list)
    return found


def _env_keys(configuration: object, variable: str) -> list[str]:
    """The config keys pip's Configuration makes of one environment variable."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({variable: "x", "PIP_CONFIG_FILE": os.devnull})
    try:
        conf = configuration.Configuration(isolated=False)  # type: ignore[attr-defined]
        conf._load_environment_vars()
        keys = []
        for key, value in conf.items():
            # pip 25.3+ keeps one dict per file; older pips one value per key.
            keys.extend(value.keys() if isinstance(value, dict) else [key])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return [key.split(".", 1)[1] for key in keys if key.startswith(":env:.")]


def _describe(configuration: object, parser: optparse.OptionParser, option: optparse.Option) -> dict:
    env_vars, config_keys = [], []
    for spelling in option._long_opts:
        variable = "PIP_" + spelling[2:].upper().replace("-", "_")
        if any(parser.get_option("--" + key) is option for key in _env_keys(configuration, variable)):
            env_vars.append(variable)
        key = configuration._normalize_name(spelling)  # type: ignore[attr-defined]
        if parser.has_option("--" + key) and parser.get_option("--" + key) is option:
            config_keys.append(key)
    ignored = getattr(configuration, "ENV_NAMES_IGNORED", ())
    return {
        "long": list(option._long_opts),
        "short": list(option._short_opts),
        "takes_value": bool(option.takes_value()),
        "action": option.action,
        "env_vars": [v for v in env_vars if v[4:].lower() not in ignored],
        "config_keys": config_keys,
        "hidden": option.help == optparse.SUPPRESS_HELP,
    }


def _resolutions(parser: optparse.OptionParser) -> dict[str, str]:
    """Every prefix of every long spelling, as optparse resolves it: a spelling, or "?" (ambiguous)."""
    out = {}
    for spelling in parser._long_opt:
        for end in range(3, len(spelling) + 1):
            prefix = spelling[:end]
            if prefix in out:
                continue
            try:
                out[prefix] = parser._match_long_opt(prefix)
            except optparse.AmbiguousOptionError:
                out[prefix] = "?"
    return out


def read_lines(lines: list[list[str]]) -> list[dict]:
    """What pip's own parsing (cli/main.py) makes of each command line, or {"refused": ...}."""
    import contextlib
    import io

    from pip._internal.cli.main_parser import create_main_parser, parse_command
    from pip._internal.commands import create_command

    # Never re-run pip under --python here: only what the parsers read is wanted.
    os.environ["_PIP_RUNNING_IN_SUBPROCESS"] = "1"
    out = []
    for args in lines:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                name, cmd_args = parse_command(list(args))
                general, _ = create_main_parser().parse_args(list(args))
                isolated = "--isolated" in cmd_args
                options, _ = create_command(name, isolated=isolated).parse_args(list(cmd_args))
            except (SystemExit, Exception) as exc:
                out.append({"refused": f"{type(exc).__name__}: {exc} {err.getvalue().strip()}"})
                continue
        out.append(
            {
                "command": name,
                "log": options.log,
                "python": getattr(general, "python", None),
                "isolated": isolated,
                "requirements": list(getattr(options, "requirements", [])),
                "no_cache": options.cache_dir is False,
            }
        )
    return out


def main(source: str) -> dict:
    _clean_environment()
    sys.path.insert(0, os.path.abspath(source))
    warnings.simplefilter("ignore")
    import pip
    from pip._internal import configuration
    from pip._internal.cli import cmdoptions
    from pip._internal.cli.main_parser import create_main_parser
    from pip._internal.commands import commands_dict, create_command

    if not os.path.abspath(pip.__file__).startswith(os.path.abspath(source)):
        raise SystemExit(f"imported {pip.__file__}, not the pip of {source}")
    general = set()
    for make in cmdoptions.general_group["options"]:
        general.update(make()._long_opts)
    parsers = {"": create_main_parser()}
    for name in READ_COMMANDS:
        parsers[name] = create_command(name).parser
    options: dict[str, dict] = {}
    spellings: dict[str, dict[str, list[str]]] = {}
    for name, parser in parsers.items():
        found = _options(parser)
        spellings[name] = {
            "long": sorted(s for o in found for s in o._long_opts),
            "short": sorted(s for o in found for s in o._short_opts),
        }
        for option in found:
            described = _describe(configuration, parser, option)
            described["general"] = bool(set(option._long_opts) & general)
            previous = options.setdefault(option._long_opts[0], described)
            if previous != described:
                raise SystemExit(f"{option._long_opts[0]} differs between parsers: {previous} {described}")
    return {
        "version": pip.__version__,
        "commands": sorted(commands_dict),
        "options": options,
        "parsers": spellings,
        "resolutions": {name: _resolutions(parser) for name, parser in parsers.items()},
    }


if __name__ == "__main__":
    facts = main(sys.argv[1])
    if len(sys.argv) > 2:
        facts["lines"] = read_lines(json.loads(sys.argv[2]))
    json.dump(facts, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
