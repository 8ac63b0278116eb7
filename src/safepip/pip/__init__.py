"""Everything about the real pip: its command line, which one runs, how it is started and watched,
and what safepip asks of it (probes of the target environment, the index's published files).

args, target, launch and runner are on the normal path: they import nothing Python has not loaded
at start-up but ``signal`` (see docs/design.md, "The normal path"). probes and index are asked
only once pip has failed.
"""
