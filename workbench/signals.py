"""Stopping on SIGINT and SIGTERM: the current run ends with its checkpoint instead of the process dying."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Stopper:
    """What a signal handler leaves for the code that runs trainings: a flag, and the run to stop."""

    def __init__(self) -> None:
        self.signalled = False
        self.current: Any = None

    def __call__(self, signum: int, frame: object) -> None:
        self.signalled = True
        if self.current is not None:
            self.current.stop()


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
