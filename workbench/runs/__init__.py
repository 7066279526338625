"""Runs on disk: the run directory, its summary, its history, its lock, and reading runs back.

Everything that reads or writes a run's files goes through here, so every reader agrees on what a
run directory holds; the engine writes runs, the commands and the app read them.
"""
