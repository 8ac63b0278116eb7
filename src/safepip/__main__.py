"""``python -m safepip``: the same as the ``safepip`` command."""

from safepip.cli import main

raise SystemExit(main())
