#!/usr/bin/env python3
"""Write pip's option table from the parser of every pip in the matrix: `python3 scripts/pip_options.py`.

It asks each pip wheel of tests/matrix/pip-versions.txt (in the wheelhouse scripts/test fills) for
its own parser's options (tests/support/pip_parser_facts.py), then writes src/safepip/pip/options.py,
which pip/args.py reads, and the option table of docs/pip-surface.md. With ``--check`` it writes
nothing and exits 1 when either differs from what the pips say (tests/matrix/test_pip_options.py
does the same). Run it after changing the pip list.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import pipoptions, pipwheels  # noqa: E402


def expected() -> tuple[str, str]:
    """The module's text and the whole doc's text, as the matrix's pips say they should be."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        facts = list(pool.map(pipoptions.derive, pipwheels.versions()))
    module = pipoptions.render_module(facts)
    doc = pipoptions.DOC.read_text(encoding="utf-8")
    head, rest = doc.split(pipoptions.BEGIN, 1)
    _, tail = rest.split(pipoptions.END, 1)
    table = pipoptions.render_table(facts)
    return module, f"{head}{pipoptions.BEGIN}\n{table}{pipoptions.END}{tail}"


def main(argv: list[str]) -> int:
    module, doc = expected()
    if "--check" in argv:
        stale = [
            str(path.relative_to(ROOT))
            for path, text in ((pipoptions.MODULE, module), (pipoptions.DOC, doc))
            if path.read_text(encoding="utf-8") != text
        ]
        for path in stale:
            print(f"{path} is not what the pips of the matrix say: run python3 scripts/pip_options.py")
        return 1 if stale else 0
    pipoptions.MODULE.write_text(module, encoding="utf-8")
    pipoptions.DOC.write_text(doc, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
