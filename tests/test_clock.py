"""The clocks of a run: the stopwatch that leaves pauses out, and the display clock that runs on
between events (on a simulated clock; nothing is timed)."""

from __future__ import annotations

import pytest
from engine_support import SimulatedClock

import workbench.engine.clock
from workbench import events as ev
from workbench.app.tracking import RunTrack
from workbench.engine.clock import DisplayClock, Stopwatch
from workbench.summary import RunSummary


def test_the_stopwatch_leaves_held_time_out(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SimulatedClock()
    monkeypatch.setattr(workbench.engine.clock, "now", clock)
    watch = Stopwatch()
    watch.start(at=clock() - 2.0)  # counted from a moment before it was started
    clock.advance(3.0)
    with watch.held():
        clock.advance(100.0)
    clock.advance(1.0)
    assert watch.seconds() == pytest.approx(6.0)


def test_the_display_clock_runs_on_between_events_and_holds_while_paused() -> None:
    shown = DisplayClock()
    shown.report(elapsed=10.0, eta=30.0, at=100.0)
    assert (shown.elapsed_at(107.0), shown.eta_at(107.0)) == (17.0, 23.0)  # a slow step
    shown.hold(110.0)
    assert (shown.elapsed_at(500.0), shown.eta_at(500.0)) == (20.0, 20.0)  # paused
    shown.release(500.0)
    assert shown.elapsed_at(505.0) == 25.0 and shown.eta_at(600.0) == 0.0


def test_a_tracked_run_holds_its_clock_when_paused_or_ended() -> None:
    track = RunTrack("gru", "#fff")
    track.apply(ev.StepDone("r", 1, 0, 2.0, 0.01, 100.0, 5.0, 50.0))
    assert track.clock.running and track.clock.elapsed == 5.0
    track.apply(ev.StateChanged("r", "paused"))
    assert not track.clock.running
    track.apply(ev.StateChanged("r", "running"))
    assert track.clock.running
    track.apply(ev.RunFinished("r", "completed", RunSummary("r", "completed")))
    assert not track.clock.running
