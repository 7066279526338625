"""User-facing errors: each one is a single paragraph that names the problem and the fix."""


class WorkbenchError(Exception):
    """An error caused by input a person can correct (exit code 2 in headless mode)."""

    exit_code = 2


class ConfigError(WorkbenchError):
    """A bad plugin name, parameter, value or config file."""


class CorpusError(WorkbenchError):
    """A corpus that is missing, unreadable or not in the expected layout."""


class CheckpointError(WorkbenchError):
    """A run directory or checkpoint that cannot be used for what was asked."""


class RunFailed(Exception):
    """A run that started but could not finish (exit code 1 in headless mode)."""

    exit_code = 1
