"""safepip's own configuration: what the user asked of safepip on this command line (invocation.py,
on the normal path), and the settings that come of it with the config file beneath (settings.py,
inifile.py, paths.py), read only when something needs them.
"""
