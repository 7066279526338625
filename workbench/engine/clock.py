"""The clocks of a run: the engine's stopwatch, and the clock a display shows between events.

Every duration the engine measures (steps, evaluations, checkpoints, the time budget) is read from
`now()`, one monotonic source, so the whole plan of a run can be followed on a simulated clock.
A pause holds the stopwatch: paused time is neither spent from a time budget nor counted in a
run's wall time or throughput.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


def now() -> float:
    """Seconds on the engine's monotonic clock."""
    return time.perf_counter()


class Stopwatch:
    """Seconds of work since `start`, the time it was held (a pause) left out."""

    def __init__(self) -> None:
        self._counted = 0.0
        self._since: float | None = None

    @property
    def running(self) -> bool:
        return self._since is not None

    def start(self, at: float | None = None) -> None:
        """Count from `at` (a moment on `now()`'s clock; default: this one)."""
        if self._since is None:
            self._since = now() if at is None else at

    def seconds(self) -> float:
        return self._counted + (now() - self._since if self._since is not None else 0.0)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Stop counting for the duration of the block (a paused run)."""
        if self._since is None:
            yield
            return
        self._counted += now() - self._since
        self._since = None
        try:
            yield
        finally:
            self._since = now()


class DisplayClock:
    """A run's elapsed time and ETA as a display shows them: the last reported values, running on
    while the run works, so a slow step or a long evaluation does not freeze them.

    `report` takes the values of a step event; `hold` stops the clock (paused, ended) and `release`
    lets it run again. Times passed in are on any one clock the caller keeps (e.g. time.monotonic).
    """

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.eta: float | None = None
        self._since: float | None = None

    @property
    def running(self) -> bool:
        return self._since is not None

    def report(self, elapsed: float, eta: float | None, at: float) -> None:
        self.elapsed, self.eta, self._since = elapsed, eta, at

    def hold(self, at: float) -> None:
        if self._since is not None:
            self.elapsed, self.eta = self.elapsed_at(at), self.eta_at(at)
            self._since = None

    def release(self, at: float) -> None:
        if self._since is None:
            self._since = at

    def elapsed_at(self, at: float) -> float:
        return self.elapsed + (max(0.0, at - self._since) if self._since is not None else 0.0)

    def eta_at(self, at: float) -> float | None:
        if self.eta is None:
            return None
        return max(0.0, self.eta - (max(0.0, at - self._since) if self._since is not None else 0.0))
