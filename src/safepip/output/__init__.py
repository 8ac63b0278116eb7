"""What safepip tells people and leaves behind: its own lines on stderr (console, lines), and the run
as data for the JSON report, the history log and GitHub Actions (runrecord, github, historylog).
Everything here reads the finished run (records.RunResult), never the code that produced it.
"""
