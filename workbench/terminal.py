"""The headless commands' terminal: consoles that never read text as markup, and a quiet end when
the reader of standard output goes away.

Error messages, run ids, paths, plugin names and a person's own text all reach the terminal through
these consoles, and any of them may hold square brackets (`--cell 'x[/]'`, `O[/]Neil`, "[train]
settings"). Rich would read those as markup: drop them, restyle the text or raise MarkupError. So
markup is off here once for every command, and styles are given explicitly with `rich.text.Text`.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Rich's default exits the process (SystemExit(1)) from whatever thread is printing, a
        training loop included. Raise instead, so the command decides: `workbench run` stops its
        run cleanly, the other commands end quietly (workbench.cli)."""
        self.quiet = True
        raise BrokenPipeError


# Output that goes to a file or a pipe (a CI log, `| tee`) has no width to fit; rich would take 80
# columns and cut table cells short. Logs keep whole values instead, up to this width.
LOG_WIDTH = 200


def console(stderr: bool = False) -> Console:
    """A console for standard output (or error) that prints every string exactly as it is.

    On a terminal it fits the terminal; elsewhere `COLUMNS` sets the width, or LOG_WIDTH."""
    stream = sys.stderr if stderr else sys.stdout
    to_terminal = hasattr(stream, "isatty") and stream.isatty()
    width = None if to_terminal or os.environ.get("COLUMNS", "").isdigit() else LOG_WIDTH
    return _Console(stderr=stderr, markup=False, width=width)


def silence_stdout() -> None:
    """Point standard output at the null device once its reader has gone (a closed pipe).

    Python flushes standard output again at exit; without this, that flush prints a
    BrokenPipeError of its own after the command has already ended quietly.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # standard output has no file descriptor (captured in tests)
        pass
