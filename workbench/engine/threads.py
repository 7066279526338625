"""How many CPU threads torch's operators get during a run.

Torch's own default is one thread per core, but torch's threads wait for one another at every
operator, so a thread on a core that another process keeps busy stalls all the others. Measured with
`benchmarks/threads.py --budget 30` (gru on divina, two cores): on a quiet machine two threads
trained 8.6 k tokens/s and one thread 5.7 k; with one core kept busy, two threads fell to 1.9 k
while one thread still trained 6.0 k. Unless `train.threads` names a count, a run therefore uses as
many threads as there are cores that other work leaves free:

- the cores this process may run on, less those other processes kept busy (from the system's CPU
  counters, this process's own time taken out), a core counting as busy once more than a quarter
  of it is used, less the threads of this process that compete with training (the app's UI thread);
- at least one, and never more than the process's own default (which OMP_NUM_THREADS sets);
- decided when training starts, from the load while the data was read, and again every
  `REVISIT_SECONDS` while it trains, so a run adapts when other work starts or stops.

Where the system does not report its CPU counters (only Linux's /proc/stat is read), other
processes are taken to be idle.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from workbench.engine import clock

# Other processes using up to this much of a core leave it free enough to train on.
IDLE_SHARE = 0.25
# How often a run looks at the load again while it trains.
REVISIT_SECONDS = 10.0
# The shortest look at the load worth deciding on; a run waits for the rest when it starts sooner.
SHORTEST_LOOK = 0.25
_PROC_STAT = Path("/proc/stat")


@dataclass(frozen=True)
class CpuSample:
    """CPU time counters at one moment: all processes' busy time (None where unknown) and ours."""

    at: float
    system_busy: float | None
    own: float


def sample_cpu() -> CpuSample:
    own = os.times()
    return CpuSample(clock.now(), system_busy_seconds(), own.user + own.system)


def system_busy_seconds() -> float | None:
    """CPU seconds every core has spent working since boot, from /proc/stat; None elsewhere."""
    try:
        text = _PROC_STAT.read_text(encoding="ascii")
    except OSError:
        return None
    return busy_seconds_from_proc_stat(text, os.sysconf("SC_CLK_TCK"))


def busy_seconds_from_proc_stat(text: str, ticks_per_second: int) -> float | None:
    """Busy seconds of all cores from /proc/stat's first line: everything but idle and iowait.

    The columns are user, nice, system, idle, iowait, irq, softirq, steal (guest time is already
    inside user and nice).
    """
    first = text.split("\n", 1)[0].split()
    if len(first) < 5 or first[0] != "cpu":
        return None
    ticks = [int(value) for value in first[1:9]]
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / ticks_per_second


def busy_elsewhere(before: CpuSample, after: CpuSample) -> float | None:
    """How many cores other processes kept busy, on average, between two samples."""
    if before.system_busy is None or after.system_busy is None or after.at <= before.at:
        return None
    others = (after.system_busy - before.system_busy) - (after.own - before.own)
    return max(0.0, others / (after.at - before.at))


def choose_threads(usable: int, busy: float | None, competing: int, ceiling: int) -> int:
    """Threads for training: the cores left free by other processes (`busy` cores, None when
    unknown) and by `competing` threads of this process, at least one and at most `ceiling`."""
    taken = max(0, math.ceil(busy - IDLE_SHARE)) if busy is not None else 0
    return max(1, min(ceiling, usable - taken - competing))


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_process_threads: int | None = None


def process_threads() -> int:
    """Torch's thread count before any run changed it: the ceiling of automatic choices."""
    global _process_threads
    if _process_threads is None:
        _process_threads = torch.get_num_threads()
    return _process_threads


class ThreadsPolicy:
    """A run's thread count: the one asked for (`requested` > 0), or chosen from the load.

    `competing` counts this process's own threads that need a core while training runs (the
    app's UI thread). `begin` takes the first look at the load, `settle` decides and applies the
    count when training starts, `revisit` looks again now and then.
    """

    def __init__(self, requested: int, competing: int = 0,
                 sampler: Callable[[], CpuSample] = sample_cpu, usable: int | None = None,
                 ceiling: int | None = None):
        self.requested = requested
        self.competing = competing
        self._sampler = sampler
        self._usable = usable
        self.ceiling = ceiling if ceiling is not None else process_threads()
        self._last: CpuSample | None = None
        self.current: int | None = None

    @property
    def automatic(self) -> bool:
        return self.requested == 0 and self.ceiling > 1

    def begin(self) -> None:
        if self.automatic and self._last is None:
            self._last = self._sampler()

    def settle(self) -> int:
        """Decide the count for the start of training and give it to torch."""
        if not self.automatic:
            return self._apply(self.requested or self.ceiling)
        self.begin()
        assert self._last is not None
        waited = clock.now() - self._last.at
        if waited < SHORTEST_LOOK:
            time.sleep(SHORTEST_LOOK - waited)
        return self._apply(self.decide())

    def revisit(self) -> None:
        """Look at the load again if it is time to; change the count if the load changed."""
        if self.automatic and self._last is not None and clock.now() - self._last.at >= REVISIT_SECONDS:
            self._apply(self.decide())

    def decide(self) -> int:
        """The count for the load since the last look (which this look replaces)."""
        latest = self._sampler()
        busy = busy_elsewhere(self._last, latest) if self._last is not None else None
        self._last = latest
        usable = self._usable if self._usable is not None else usable_cores()
        return choose_threads(usable, busy, self.competing, self.ceiling)

    def _apply(self, count: int) -> int:
        if count != self.current:
            torch.set_num_threads(count)
            self.current = count
        return count
