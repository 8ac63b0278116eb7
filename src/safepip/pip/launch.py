"""How safepip starts a Python of the target's: as the ``pip`` script does, never from the current folder.

``python -m pip`` puts the current folder first on ``sys.path``, so a ``pip.py`` or ``types.py``
there would run instead of pip: with ``alias pip=safepip``, installing inside a cloned repository
would run that repository's code. The ``pip`` console script does not (its ``sys.path[0]`` is its
own folder), and safepip may do nothing that script would not. ``-P`` would do it, but Python 3.9
and 3.10 lack it, so every interpreter safepip starts (the target's pip, a fresh virtualenv's pip,
every probe) runs ``python -c <code>`` whose first statement removes the entry ``-c`` put there,
before anything else is imported.

pip then starts through its console-script entry point, with ``sys.argv[0]`` set to ``pip`` so that
its usage and messages read ``pip <command>``, as they do for the script.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

#: ``-c`` puts "" (the current folder) first on sys.path; under -P or PYTHONSAFEPATH it puts nothing.
NO_CURRENT_FOLDER = (
    "import sys\n"
    "if not getattr(sys.flags, 'safe_path', False) and sys.path[:1] == ['']:\n"
    "    del sys.path[0]\n"
)

# pip's console script (pip 19.3 and newer): its entry point, with pip's own words when pip is missing.
_PIP = NO_CURRENT_FOLDER + (
    "try:\n"
    "    from pip._internal.cli.main import main\n"
    "except ImportError as exc:\n"
    "    if not (exc.name or '').startswith('pip'):\n"
    "        raise\n"
    "    sys.exit(sys.executable + ': No module named pip')\n"
    "sys.argv[0] = 'pip'\n"
    "sys.exit(main())\n"
)


# safepip itself, for the shell functions of --safepip-shell-init when safepip has no script to name.
_SAFEPIP = NO_CURRENT_FOLDER + "from safepip.cli import main\nsys.exit(main())\n"


def pip_argv(python: str, args: Sequence[str] = ()) -> list[str]:
    """The command line that runs `python`'s pip with `args`."""
    return [python, "-c", _PIP, *args]


def python_argv(python: str, code: str, args: Sequence[str] = ()) -> list[str]:
    """The command line that runs `code` in `python`, with `args` as sys.argv[1:]."""
    return [python, "-c", NO_CURRENT_FOLDER + code, *args]


def safepip_argv(python: str) -> list[str]:
    """The command line that runs safepip in `python` as its script would: not ``-m safepip``,
    which imports from the current folder as ``-m pip`` does."""
    return [python, "-c", _SAFEPIP]


def shown(argv: Sequence[str]) -> list[str]:
    """A pip command line as people read and re-run it: ``python -m pip ARGS``.

    That is what safepip runs, but for the current folder, which it keeps off sys.path: the
    launcher code itself would say nothing to a reader.
    """
    if list(argv[1:3]) == ["-c", _PIP]:
        return [argv[0], "-m", "pip", *argv[3:]]
    return list(argv)
