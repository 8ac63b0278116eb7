from safepip.cli import main

raise SystemExit(main())
