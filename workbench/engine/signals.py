"""Stopping on SIGINT and SIGTERM: the current run ends with its checkpoint instead of the process dying."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from workbench.terminal import silence_stdout


class Stopper:
    """Stops the current run cleanly (it writes a checkpoint) on a signal, or when the reader of
    standard output goes away: a closed pipe is not a failure of the run."""

    def __init__(self) -> None:
        self.signalled = False
        self.output_closed = False
        self.current: Any = None

    def __call__(self, signum: int, frame: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.signalled = True
        if self.current is not None:
            self.current.stop()

    def guarded(self, write: Callable[..., None]) -> Callable[..., None]:
        """`write`, made silent once standard output is closed; the first broken pipe stops the run."""
        def deliver(*args: Any) -> None:
            if self.output_closed:
                return
            try:
                write(*args)
            except BrokenPipeError:
                self.output_closed = True
                silence_stdout()
                self.stop()

        return deliver


@contextmanager
def stop_on_signals() -> Iterator[Stopper]:
    """While runs train, SIGINT/SIGTERM ask the current run to stop instead of killing the process."""
    stopper = Stopper()
    previous = {sig: signal.signal(sig, stopper) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stopper
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
