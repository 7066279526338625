"""A thread-safe buffer between a training thread and the UI.

The engine calls subscribers on its own thread for every step; touching widgets there (or calling
`call_from_thread` per step) would tie the training speed to the screen. Events are appended to a
deque instead, and a UI timer drains them a few times a second.
"""

from __future__ import annotations

from collections import deque
from typing import Any


class EventFeed:
    """Collects events from any thread; `drain` hands them over in order, each exactly once."""

    def __init__(self) -> None:
        self._events: deque[Any] = deque()

    def push(self, event: Any) -> None:
        """Subscriber callback: safe to call from the training thread (deque appends are atomic)."""
        self._events.append(event)

    def drain(self) -> list[Any]:
        """Every event pushed since the last drain, oldest first."""
        drained: list[Any] = []
        while True:
            try:
                drained.append(self._events.popleft())
            except IndexError:
                return drained
