"""A training run: its directory, its controls (pause, resume, stop) and the events it emits.

`Run` validates its config when built, so every mistake surfaces before data loads; building one
reads no data and writes nothing. It is started one way, whoever drives it: `start()` trains on a
background thread (the app), `run_sync()` on the calling thread (the CLI, a study's trial), and
both get ready and train through the same steps. Getting ready reads the data, builds the training
state (restoring a resumed run's checkpoint into it) and only then creates or takes over the run's
directory, so bad input leaves nothing behind. While it trains, the run holds its directory's lock
(workbench.runs.lock). Every event goes first to the run's loggers (the always-on jsonl one, then
the chosen ones), then to subscribers; both are called on the training thread and must return
quickly.

How a run fails, the one rule every driver follows: an error a person can correct (a
WorkbenchError: a missing corpus, a checkpoint that does not fit, a run directory in use) raised
while the run gets ready is *bad input*: exit code 2 in headless mode. Anything else that ends a
run (a plugin's own exception at any time, or any error once training has started, such as a
loss that became NaN) is a *failure*: exit code 1. Either way the run ends with one `RunFailed`
event whose `bad_input` says which, and whose text is one paragraph naming the problem (and the
plugin, when one raised); `run_sync()` then raises bad input for its caller to report as such.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from workbench.config import RunConfig
from workbench.engine.budget import EVALUATION_BATCH_FACTOR, Bounds, Costs, TimePlan
from workbench.engine.clock import Stopwatch
from workbench.engine.loop import Session, StopRequest, TrainingLoop
from workbench.engine.state import Progress, TrainingState, already_complete, check_resumable, saved_step
from workbench.engine.threads import ThreadsPolicy
from workbench.engine.training import Blame, pick_device
from workbench.errors import CheckpointError, WorkbenchError
from workbench.events import Event, RunFailed, RunFinished, RunStarted
from workbench.loggers import Logger
from workbench.registry import Registry, default_registry
from workbench.runs.atomic import atomic_write
from workbench.runs.directory import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    create_run_dir,
    default_runs_dir,
    read_summary,
    write_summary,
)
from workbench.runs.history import JsonlLogger, rewind_logs
from workbench.runs.lock import RunLock, busy_message, is_live
from workbench.summary import RUNNING, RunSummary
from workbench.tasks import Task

Subscriber = Callable[[Event], None]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while a task reads its data.

    Reading a corpus makes hundreds of thousands of small objects. Each collector pass over them
    holds the interpreter lock for tens of milliseconds, which stalls the app's UI thread. Pausing
    it, then freezing what survived (so later passes skip it), keeps key presses answered quickly
    and makes loading faster too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class Run:
    """One training run of a dataset, cell and task; see the module docstring for threading.

    `competing_threads` counts the threads of this process that need a core while the run trains
    (the app's UI thread), which the threads policy leaves free. The run's clock, which its time
    budget and wall time read, starts when its data starts loading, or at `counted_from` (a moment
    on workbench.engine.clock.now's clock) when the time before that belongs to the run too. `labels` go
    into the summary as they are, e.g. the study and trial a run belongs to.
    """

    def __init__(self, config: RunConfig, registry: Registry | None = None, resume: Path | None = None,
                 competing_threads: int = 0, counted_from: float | None = None,
                 labels: Mapping[str, Any] | None = None):
        self.labels = dict(labels or {})
        self.registry = registry or default_registry()
        self.resolved = config.resolve(self.registry)
        self.config = self.resolved.as_config()
        self.train = self.resolved.train
        self.device = pick_device(self.train["device"])
        self.resume_from = Path(resume) if resume is not None else None
        self.run_dir: Path | None = self.resume_from  # a new run's is made once it is ready to train
        self.run_id = self.resume_from.name if self.resume_from is not None else ""
        self.complete = False  # resuming it would train nothing (see snapshot.already_complete)
        if self.resume_from is not None:
            check_resumable(self.resume_from, self.config)
            if is_live(self.resume_from):
                raise CheckpointError(busy_message(self.resume_from))
            self.complete = already_complete(self.resume_from, self.train)
        self._run_lock: RunLock | None = None
        self.result: RunFinished | RunFailed | None = None
        self.error: BaseException | None = None  # what ended a failed run, its traceback for --debug
        self._subscribers: list[Subscriber] = []
        self._state = "pending"
        # Re-entrant: Ctrl-C's handler calls stop() on whichever thread the signal lands, which may be
        # the thread that holds this lock at that moment.
        self._lock = threading.RLock()
        self._stop = StopRequest()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._thread: threading.Thread | None = None
        self._loggers: list[Logger] = []
        self._progress = Progress()
        self._stopwatch = Stopwatch()
        self._counted_from = counted_from
        self._threads = ThreadsPolicy(self.train["threads"], competing_threads)
        self._blame = Blame([
            (f"dataset {self.config.dataset!r}", self.resolved.dataset.cls),
            (f"cell {self.config.cell!r}", self.resolved.cell.cls),
            (f"task {self.config.task!r}", self.resolved.task.cls),
            *((f"logger {info.name!r}", info.cls) for info in self.resolved.loggers),
        ])

    # Control (any thread)
    @property
    def state(self) -> str:
        return self._state

    def subscribe(self, callback: Subscriber) -> None:
        """Call `callback(event)` on the training thread for every event from now on."""
        self._subscribers.append(callback)

    def start(self) -> None:
        """Train on a background thread; follow it through subscribed callbacks or `join`."""
        with self._lock:
            if self._thread is not None or self._state != "pending":
                raise RuntimeError("a Run can be started once")
            self._thread = threading.Thread(target=self._execute, name=f"run-{self.run_id}", daemon=True)
            self._thread.start()

    def run_sync(self) -> RunFinished | RunFailed:
        """Train on the calling thread; returns the final event. Bad input (see the module
        docstring) is raised once the run has ended, as the WorkbenchError it was."""
        self._execute()
        result = self.result
        assert result is not None
        if isinstance(result, RunFailed) and result.bad_input:
            assert self.error is not None
            raise self.error
        return result

    def pause(self) -> None:
        """Hold the loop before its next step (the StateChanged event comes from the loop)."""
        with self._lock:
            if self._state == "running":
                self._state = "paused"
                self._unpaused.clear()

    def resume(self) -> None:
        with self._lock:
            if self._state == "paused":
                self._state = "running"
                self._unpaused.set()

    def stop(self, status: str = "stopped") -> None:
        """Finish the current step, write a checkpoint and end with `status` (a paused run ends too).
        A study passes "pruned" when the run's validation metric is not worth more steps."""
        with self._lock:
            if self._state in ("running", "paused"):
                self._state = "stopping"
            self._stop.request(status)
            self._unpaused.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the background thread; True once the run has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return self._state in ("finished", "failed")

    # The run (training thread)
    def _execute(self) -> None:
        if self.complete:
            self._end_unchanged()
            return
        getting_ready = True
        try:
            with self._lock:
                if self._state == "pending":
                    self._state = "running"
            state = self._get_ready()
            getting_ready = False
            self._train(state)
        except Exception as error:  # noqa: BLE001 - every failure ends as a RunFailed event
            self.error = error
            text, step = self._blame.describe(error), self._progress.step
            bad_input = getting_ready and isinstance(error, WorkbenchError)  # the module docstring's rule
            self._end("failed", RunFailed(self.run_id, text, step, bad_input=bad_input),
                      self._failure_summary(text, step))
        finally:
            for logger in self._loggers:
                logger.close()
            self._loggers = []
            if self._run_lock is not None:
                self._run_lock.release()
                self._run_lock = None

    def _get_ready(self) -> TrainingState:
        """Read the data, build the training state (a resumed run's from its checkpoint), then open
        the run's directory: bad input found on the way has written nothing yet."""
        self._stopwatch.start(self._counted_from)  # a time budget covers loading the data too
        self._threads.begin()  # the load while the data is read informs the thread count
        task = self._read_data()
        self._threads.settle()
        state = TrainingState.build(task, self.resolved.cell.cls(self.resolved.cell_options), self.train,
                                    self.device)
        self._blame.add_model(f"cell {self.config.cell!r}", state.model)
        if self.resume_from is not None:
            state.restore(self.resume_from / CHECKPOINT_FILE)
        self._progress = state.progress
        self._open_run_dir()
        return state

    def _read_data(self) -> Task:
        """Load the corpus and let the task read it."""
        resolved = self.resolved
        dataset = resolved.dataset.cls(resolved.dataset_options, corpus_root=self.config.corpora)
        task = resolved.task.cls(resolved.task_options)
        with collector_paused():
            task.prepare(dataset, self.train["seed"])
        return task

    def _open_run_dir(self) -> None:
        """Create the run's directory (or take over the resumed one), lock it, record the config,
        mark the run as running and open its loggers. A resumed run's logs are rewound to its
        checkpoint's step first."""
        if self.run_dir is None:
            runs_dir = self.config.runs_dir or default_runs_dir()
            self.run_dir = create_run_dir(runs_dir, self.config.dataset, self.config.cell, self.config.task)
            self.run_id = self.run_dir.name
        run_lock = RunLock(self.run_dir)
        run_lock.acquire()
        self._run_lock = run_lock
        if self.resume_from is not None:
            rewind_logs(self.run_dir, saved_step(self.run_dir))
        atomic_write(self.run_dir / CONFIG_FILE, self.config.to_toml().encode("utf-8"))
        self._loggers = [JsonlLogger(self.run_dir)]
        self._write_summary(self._summary(RUNNING))
        for info in self.resolved.loggers:
            self._loggers.append(info.cls(self.run_dir, self.resolved.logger_options[info.name]))

    def _end_unchanged(self) -> None:
        """A resumed run that is already complete ends at once with its saved result; no file changes."""
        summary = read_summary(self.run_dir)
        with self._lock:
            self._state = "finished"
        self.result = RunFinished(self.run_id, summary.status, summary)
        for callback in self._subscribers:
            callback(self.result)

    def _train(self, state: TrainingState) -> None:
        plan = self._plan(state.task, state.model)
        count = sum(p.numel() for p in state.model.parameters())
        task = state.task
        self._emit(RunStarted(self.run_id, str(self.run_dir), self.config.to_dict(), count, str(self.device),
                              plan.bounds.total_steps, state.progress.step, task.metric,
                              task.higher_is_better, task.reported_metrics()))
        session = Session(self.run_id, self.run_dir, self.config, self.train, self.device, self._emit,
                          self._stop, self._unpaused, self._stopwatch, self._threads)
        loop = TrainingLoop(session, state, plan)
        ending = loop.run_steps()
        summary = loop.finish(ending, count)
        self._end("finished", RunFinished(self.run_id, ending.status, summary), summary)

    def _plan(self, task: Any, model: torch.nn.Module) -> TimePlan:
        """The run's bounds in steps and the size of its evaluations, for its time plan."""
        train = self.train
        per_epoch = _count(task.batches("train", train["batch_size"], torch.Generator().manual_seed(0)))
        step_bounds = [bound for bound in (train["steps"], per_epoch * train["epochs"]) if bound]
        evaluation_batch = train["batch_size"] * EVALUATION_BATCH_FACTOR
        tokens = {split: sum(batch.tokens for batch in task.batches(split, evaluation_batch,
                                                                    torch.Generator().manual_seed(0)))
                  for split in ("validation", "test")}
        bounds = Bounds(train["time_budget"], min(step_bounds) if step_bounds else None, per_epoch,
                        train["eval_every"], train["sample_every"], tokens["validation"], tokens["test"])
        # A checkpoint holds the weights and about two more copies in the optimiser's state.
        checkpoint_bytes = 3 * sum(p.numel() * p.element_size() for p in model.parameters())
        return TimePlan(bounds, Costs.guessed(checkpoint_bytes))

    def _end(self, state: str, event: RunFinished | RunFailed, summary: RunSummary) -> None:
        if self._run_lock is not None:  # only the process that holds the directory writes to it
            self._write_summary(summary)
        with self._lock:
            self._state = state
        self.result = event
        self._emit(event)

    def _write_summary(self, summary: RunSummary) -> None:
        write_summary(self.run_dir, replace(summary, labels=self.labels) if self.labels else summary)

    def _emit(self, event: Event) -> None:
        for logger in list(self._loggers):
            try:
                logger.log(event)
            except Exception:
                self._loggers.remove(logger)  # it gets no more events, not even the run's failure
                logger.close()
                raise
        for callback in self._subscribers:
            callback(event)

    def _failure_summary(self, error: str, step: int) -> RunSummary:
        return replace(self._summary("failed"), error=error, steps=step)

    def _summary(self, status: str) -> RunSummary:
        """The summary of a run that has no numbers yet: what it trains and what it is judged on."""
        task = self.resolved.task.cls
        return RunSummary(self.run_id, status, **self.config.names(), metric_name=task.metric,
                          higher_is_better=task.higher_is_better)


def _count(items: Iterator[Any]) -> int:
    return sum(1 for _ in items)

