"""User-facing errors: each one is a single paragraph that names the problem and the fix.

Exit codes of the headless commands: 0 done, 1 a failure that is not the input's fault (a run
that failed, a download that could not be made), 2 bad input, 130 interrupted (Ctrl-C, SIGTERM,
or, for `workbench run`, standard output closed by its reader), 141 standard output closed by its
reader for the other commands. Which of a run's errors are bad input and which are failures is
the rule in workbench.engine.run's docstring.
"""

import traceback

INTERRUPTED = 130
OUTPUT_CLOSED = 141  # 128 + SIGPIPE: what a shell reports when a pipe's reader goes away


class WorkbenchError(Exception):
    """An error caused by input a person can correct (exit code 2 in headless mode)."""

    exit_code = 2


class ConfigError(WorkbenchError):
    """A bad plugin name, parameter, value or config file."""


class CorpusError(WorkbenchError):
    """A corpus that is missing, unreadable or not in the expected layout."""


class CheckpointError(WorkbenchError):
    """A run directory or checkpoint that cannot be used for what was asked."""


class DownloadFailed(Exception):
    """A download that failed on the way (no network, a server error), not through bad input
    (exit code 1 in headless mode)."""

    exit_code = 1


def describe_error(error: BaseException) -> str:
    """An error as a person reads it: a WorkbenchError's own paragraph, else its type and message."""
    return str(error) if isinstance(error, WorkbenchError) else f"{type(error).__name__}: {error}"


def traceback_text(error: BaseException) -> str:
    """The full Python traceback of `error`, its causes included, as Python prints it (for --debug)."""
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))
