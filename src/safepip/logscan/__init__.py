"""Reading pip's output: the plain lines pip meant (text), its hash-mismatch reports (mismatches) and
its incomplete-download error (incomplete). Used on pip's own log after a failed run, and by
``safepip diagnose`` on a log pasted from anywhere; both read it once, through
scan.py.
"""
