"""Recovery from a hash mismatch, after the first pip run failed (or a run report was asked for):

    finish -> rungs.read (pip's log, the index's facts, classify) -> ladder.climb
           (planner decides, rungs act: eviction, freshvenv) -> records.RunResult -> output/

Imported only from watch.py, once the first pip run is over and something is left to do: a command
that goes well never loads this package, nor what it needs (tenacity, filelock, packaging's
parsers, the log and cache readers, virtualenv).
"""
