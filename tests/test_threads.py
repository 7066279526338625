"""The threads policy: how many torch threads a run takes from the load on the machine (its
decisions, from given CPU counters; nothing is timed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

import workbench.engine.clock
from workbench.engine.threads import (
    REVISIT_SECONDS,
    CpuSample,
    ThreadsPolicy,
    busy_elsewhere,
    busy_seconds_from_proc_stat,
    choose_threads,
)


@pytest.mark.parametrize(("usable", "busy", "competing", "ceiling", "threads"), [
    (2, 0.0, 0, 2, 2),  # a quiet two-core machine: both cores
    (2, 0.1, 0, 2, 2),  # background noise leaves a core free
    (2, 1.0, 0, 2, 1),  # one busy core: one thread, not two waiting for each other
    (2, 0.6, 0, 2, 1),  # a core more than a quarter used is not free
    (2, 2.0, 0, 2, 1),  # everything busy: still one thread
    (2, 0.0, 1, 2, 1),  # the app's UI thread needs a core
    (8, 2.5, 1, 8, 4),
    (8, 0.0, 0, 4, 4),  # never more than the process's own default
    (2, None, 0, 2, 2),  # load unknown: taken as quiet
    (2, None, 1, 2, 1),
])
def test_threads_are_the_cores_left_free(usable: int, busy: float | None, competing: int, ceiling: int,
                                         threads: int) -> None:
    assert choose_threads(usable, busy, competing, ceiling) == threads


def test_busy_time_is_read_from_proc_stat() -> None:
    text = "cpu  100 20 30 1000 50 5 5 10 0 0\ncpu0 50 10 15 500 25 2 3 5 0 0\nintr 1 2 3\n"
    assert busy_seconds_from_proc_stat(text, 100) == pytest.approx((100 + 20 + 30 + 5 + 5 + 10) / 100)
    assert busy_seconds_from_proc_stat("garbage", 100) is None


def test_other_processes_are_what_the_system_did_minus_this_process() -> None:
    before = CpuSample(at=10.0, system_busy=100.0, own=5.0)
    after = CpuSample(at=12.0, system_busy=103.0, own=6.0)  # 3 core-seconds in 2 s, 1 of them ours
    assert busy_elsewhere(before, after) == pytest.approx(1.0)
    assert busy_elsewhere(before, CpuSample(12.0, None, 6.0)) is None


class _Counters:
    """CPU counters that a test moves: other processes' load in cores, on the engine's clock."""

    def __init__(self) -> None:
        self.at, self.busy, self.others = 0.0, 0.0, 0.0

    def pass_time(self, seconds: float) -> None:
        self.at += seconds
        self.busy += self.others * seconds

    def sample(self) -> CpuSample:
        return CpuSample(self.at, self.busy, 0.0)


@pytest.fixture
def counters(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Counters]:
    made = _Counters()
    monkeypatch.setattr(workbench.engine.clock, "now", lambda: made.at)
    threads = torch.get_num_threads()
    yield made
    torch.set_num_threads(threads)


def test_a_run_settles_on_the_free_cores_and_follows_the_load(counters: _Counters) -> None:
    policy = ThreadsPolicy(0, sampler=counters.sample, usable=2, ceiling=2)
    policy.begin()
    counters.others = 1.0  # another process spins while the data loads
    counters.pass_time(2.0)
    assert policy.settle() == 1 and torch.get_num_threads() == 1
    counters.others = 0.0  # it stops
    counters.pass_time(REVISIT_SECONDS / 2)
    policy.revisit()
    assert policy.current == 1, "too early to look again"
    counters.pass_time(REVISIT_SECONDS)
    policy.revisit()
    assert policy.current == 2 and torch.get_num_threads() == 2


def test_the_app_leaves_its_ui_thread_a_core_and_a_count_asked_for_wins(counters: _Counters) -> None:
    in_app = ThreadsPolicy(0, competing=1, sampler=counters.sample, usable=2, ceiling=2)
    in_app.begin()
    counters.pass_time(1.0)
    assert in_app.settle() == 1
    asked = ThreadsPolicy(2, competing=1, sampler=counters.sample, usable=2, ceiling=2)
    asked.begin()
    counters.others = 2.0
    counters.pass_time(1.0)
    assert asked.settle() == 2 and not asked.automatic
