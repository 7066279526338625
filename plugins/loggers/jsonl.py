"""The `jsonl` logger, through the same door as every plugin; the engine also opens it for every run."""

from workbench.hookspecs import hookimpl
from workbench.runs.history import JsonlLogger


@hookimpl
def register_loggers(register):
    register(JsonlLogger)
