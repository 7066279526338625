"""Runs the queue of training runs the app was asked for, one at a time, off the UI thread.

Training on a couple of CPU cores is fastest one run after another, so a compare of several cells
queues one run per cell. The engine is imported only when the first run opens, on a worker thread.
Every event reaches the UI through an `EventFeed` that `poll` drains from a UI timer; a resumed
run's feed starts with the events of its metrics log, so its chart shows the whole run. A study
(workbench.app.study_session) takes the queue's place while it works: runs queued meanwhile wait
for it, and pausing, stopping and quitting reach its trials as they reach a run.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import events as ev
from workbench.app.feed import EventFeed
from workbench.app.tracking import Board, RunTrack
from workbench.errors import CheckpointError, describe_error
from workbench.runs.history import read_event_log

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from workbench.app.study_session import StudySession
    from workbench.config import Compare, RunConfig
    from workbench.registry import Registry
    from workbench.studies.spec import StudySpec

StartThread = Callable[[Callable[[], None]], Any]


@dataclass
class Pending:
    config: RunConfig
    track: RunTrack
    resume: Path | None = None


@dataclass
class Active:
    run: Any  # workbench.engine.run.Run, or None when it could not be opened
    feed: EventFeed
    track: RunTrack


class RunQueue:
    """Opens queued runs in order, feeds their events to their tracks, and steers the current one."""

    def __init__(self, board: Board, start_thread: StartThread) -> None:
        self.board = board
        self.start_thread = start_thread
        self.registry: Registry | None = None
        self.pending: deque[Pending] = deque()
        self.active: Active | None = None
        self.ended: list[RunTrack] = []  # runs that ended since the app last looked
        self.study: StudySession | None = None
        self.notices: list[tuple[str, SeverityLevel]] = []  # how studies ended, for the app to say
        self._opening = False

    @property
    def busy(self) -> bool:
        """True while a run trains or waits in the queue, or a study works."""
        return self._opening or bool(self.pending) or self.active is not None or self.study is not None

    def start_study(self, spec: StudySpec, workers: int, runs_dir: Path, corpora: Path | None) -> None:
        """Work on `spec`'s trials, here (one worker) or in `workers` processes, and follow them."""
        from workbench.app.study_session import StudySession

        self.study = StudySession(spec, workers, runs_dir, corpora, self.registry, self.board)

    def enqueue(self, compare: Compare, resume: Path | None = None) -> list[RunTrack]:
        """Queue one run per cell of `compare`; returns their tracks (already on the board)."""
        tracks = []
        if resume is not None:
            self.board.remove_run(resume)  # the resumed run's track replays all of it
        for single in compare.configs():  # what a run is judged on, its RunStarted event says
            track = self.board.add(single.cell, cell=single.cell, task=single.task, dataset=single.dataset)
            track.mark("queued", "queued" if not resume else f"queued to resume {resume.name}")
            self.pending.append(Pending(single, track, resume))
            tracks.append(track)
        return tracks

    def poll(self) -> bool:
        """Apply buffered events; open the next run once the current one ended. True if anything changed."""
        changed = False
        active = self.active
        if active is not None:
            drained = active.feed.drain()
            for event in drained:
                active.track.apply(event)
            changed = bool(drained)
            if active.track.finished:
                self.active = None
                self.ended.append(active.track)
        if self.study is not None:
            ended = self.study.poll()
            self.ended.extend(ended)
            changed = changed or bool(ended)
            if self.study.finished:
                if self.study.closing is not None:
                    self.notices.append(self.study.closing)
                self.study = None
        if self.active is None and self.pending and not self._opening and self.study is None:
            self._opening = True
            pending = self.pending.popleft()
            pending.track.mark("opening", "loading the data and building the model")
            self.start_thread(lambda: self._open(pending))
            changed = True
        return changed

    def _open(self, pending: Pending) -> None:
        """On a worker thread: build the run and start it, the way every run starts: it reads its
        data on its own thread, and ends with a RunFailed event if that finds bad input."""
        feed = EventFeed()
        try:
            from workbench.engine.run import Run

            if pending.resume is not None:
                _replay(pending.resume, feed)
            # The UI thread needs a core too: the threads policy leaves it one.
            run = Run(pending.config, registry=self.registry, resume=pending.resume, competing_threads=1)
            run.subscribe(feed.push)
            self.active = Active(run, feed, pending.track)
            run.start()
        except Exception as error:  # noqa: BLE001 - shown on the run's log, the app keeps working
            feed.push(ev.RunFailed(run_id="", error=describe_error(error), step=0))
            self.active = Active(None, feed, pending.track)
        finally:
            self._opening = False

    def pause(self) -> str | None:
        """Pause or resume the current run (a study's, when this process trains it); returns what
        was done, or None without a run here."""
        run = self.active.run if self.active is not None else None
        if run is None and self.study is not None:
            run = self.study.current_run
        if run is None:
            return None
        if run.state == "paused":
            run.resume()
            return "resumed"
        run.pause()
        return "paused"

    def stop(self, *, everything: bool) -> int:
        """Stop the current run (it writes a checkpoint); with `everything`, drop the queue too."""
        cancelled = 0
        if everything:
            while self.pending:
                track = self.pending.popleft().track
                track.mark("cancelled", "cancelled before it started")
                cancelled += 1
        active = self.active
        if active is not None and active.run is not None:
            self.start_thread(active.run.stop)
        if self.study is not None:  # a study stops as a whole: its stopped trials are queued again
            self.study.stop()
        return cancelled

    def wait(self, timeout: float) -> None:
        """Block (on a worker thread) until the current run has ended, for a clean quit.

        A run still being opened is waited for first, then stopped like any other, so quitting
        at that moment leaves a stopped run with its checkpoint rather than one marked running.
        """
        deadline = time.monotonic() + timeout
        while self._opening and time.monotonic() < deadline:
            time.sleep(0.02)
        active = self.active
        if active is not None and active.run is not None:
            active.run.stop()
            active.run.join(max(0.0, deadline - time.monotonic()))
        if self.study is not None:
            self.study.stop()
            self.study.wait(max(0.0, deadline - time.monotonic()))


def _replay(run_dir: Path, feed: EventFeed) -> None:
    """Feed the run's logged history, up to where its last session ended, ahead of its new events."""
    try:
        log = read_event_log(run_dir)
    except CheckpointError:
        return  # no log: nothing to show before the new session
    for event in log.events:
        if not isinstance(event, (ev.RunFinished, ev.RunFailed)):  # those ended a session, not the run
            feed.push(event)
