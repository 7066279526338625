"""The app's run queue: quitting while a run is still being opened stops that run too, and runs
leave the UI thread a core."""

import threading
import time

import workbench.engine.run
from workbench.app.runner import RunQueue
from workbench.app.tracking import Board
from workbench.config import Compare, RunConfig


class SlowToOpen:
    """Stands in for engine.Run: takes a moment to build, and records how it was steered."""

    built: list["SlowToOpen"] = []

    def __init__(self, config: RunConfig, registry: object = None, resume: object = None,
                 competing_threads: int = 0) -> None:
        time.sleep(0.3)
        self.competing_threads = competing_threads
        self.stopped = self.joined = False
        SlowToOpen.built.append(self)

    def subscribe(self, callback: object) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.stopped = True

    def join(self, timeout: float) -> bool:
        self.joined = True
        return True


def test_quitting_while_a_run_opens_waits_for_it_and_stops_it(monkeypatch):
    monkeypatch.setattr(workbench.engine.run, "Run", SlowToOpen)
    queue = RunQueue(Board(), lambda work: threading.Thread(target=work, daemon=True).start())
    queue.enqueue(Compare(RunConfig(dataset="names", cell="gru", task="classify")))
    queue.poll()
    assert queue.busy and not SlowToOpen.built, "the run should still be opening"
    queue.stop(everything=True)
    queue.wait(timeout=30)
    (run,) = SlowToOpen.built
    assert run.stopped and run.joined


def test_runs_in_the_app_leave_the_ui_thread_a_core(monkeypatch):
    monkeypatch.setattr(workbench.engine.run, "Run", SlowToOpen)
    monkeypatch.setattr(SlowToOpen, "built", [])
    queue = RunQueue(Board(), lambda work: work())
    queue.enqueue(Compare(RunConfig(dataset="names", cell="gru", task="classify")))
    queue.poll()
    (run,) = SlowToOpen.built
    assert run.competing_threads == 1


class BrokenToOpen(SlowToOpen):
    """Stands in for engine.Run: its constructor fails, as a plugin's bug or bad input would."""

    def __init__(self, config: RunConfig, **kwargs: object) -> None:
        raise ValueError("no such thing")


def test_a_run_that_cannot_open_says_why_on_its_track(monkeypatch):
    monkeypatch.setattr(workbench.engine.run, "Run", BrokenToOpen)
    queue = RunQueue(Board(), lambda work: work())
    (track,) = queue.enqueue(Compare(RunConfig(dataset="names", cell="gru", task="classify")))
    queue.poll()
    queue.poll()
    assert track.error == "ValueError: no such thing"
