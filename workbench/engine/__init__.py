"""The engine: trains one run from a resolved config, emitting events, and saves and restores its state.

Above the plugin API (cells, datasets, tasks, loggers) and runs on disk; below studies, the
commands and the app, which start runs and read their events.
"""
