"""The parts of scripts/bench.py: the lab it measures in, the report it prints, one module a section.

Each section module offers one function, ``section(lab, report)``, that measures in the lab and adds
its figures to the report. Nothing here imports safepip, packaging or the test suite's support at
module level: bench.py imports this package under any python3, before it re-runs itself inside .venv
where those exist.
"""
