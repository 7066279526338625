"""A study started from the app, run by the same code as `workbench study run`.

The study is created in the runs directory's storage, then worked on by this process (one worker:
on a thread of its own, as `work_here` does) or by `study worker` processes (several, as
`--workers` starts them). Optuna schedules the trials either way; the app only follows them,
through a TrialFollower, and stops them: the current run ends with its checkpoint and its trial
is queued again, so `workbench study worker --study NAME` can finish the study later. The thread
is a daemon rather than one of the app's workers, which the app waits for when it exits.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from workbench.app.tracking import Board, RunTrack
from workbench.app.trial_follower import TrialFollower
from workbench.engine.signals import Stopper
from workbench.errors import WorkbenchError
from workbench.studies.pool import INTERRUPTED, start_workers, stop_workers
from workbench.studies.spec import StudySpec
from workbench.studies.storage import default_storage_url

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from workbench.registry import Registry

ERROR_LINES = 5  # of a failed worker's standard error, in the message that reports it


class StudySession:
    """One study's work, started at once on a thread; `poll` from the UI timer, `stop` any time."""

    def __init__(self, spec: StudySpec, workers: int, runs_dir: Path, corpora: Path | None,
                 registry: Registry | None, board: Board) -> None:
        self.spec = spec
        self.workers = workers
        self.runs_dir = runs_dir
        self.corpora = corpora
        self.storage = default_storage_url(runs_dir)
        self.registry = registry
        self.follower = TrialFollower(board, runs_dir, spec)
        self.stopper = Stopper()
        self.processes: list[subprocess.Popen] = []
        self.finished = False  # the work has ended and the follower has read every trial's last line
        self.closing: tuple[str, SeverityLevel] | None = None  # what to say at the end, how loudly
        self._done = threading.Event()
        threading.Thread(target=self._work, name=f"study-{spec.name}", daemon=True).start()

    @property
    def current_run(self) -> Any:
        """The run this process trains (None between trials, and when workers train them)."""
        return self.stopper.current

    def poll(self) -> list[RunTrack]:
        """Follow the trials; returns those that ended since the last call."""
        done = self._done.is_set()  # before reading the logs, so a finished study's last lines are read
        ended = self.follower.poll()
        if done and not self.finished:
            self.follower.close()
            self.finished = True
        return ended

    def stop(self) -> None:
        """Stop the current trials (each run writes its checkpoint), then the work."""
        self.stopper.stop()
        stop_workers(self.processes)

    def wait(self, timeout: float) -> bool:
        """Block (off the UI thread) until the work has ended; True if it did."""
        return self._done.wait(timeout)

    # On the study's thread
    def _work(self) -> None:
        try:
            from workbench.studies.storage import connect, create_study
            from workbench.studies.worker import requeue_unfinished

            create_study(self.storage, self.spec)
            study, spec = connect(self.storage, self.spec.name)
            requeue_unfinished(study, spec)
            if not self.stopper.signalled:
                if self.workers > 1:
                    self._in_processes()
                else:
                    self._here(study, spec)
            self.closing = self._results(study, spec)
        except Exception as error:  # noqa: BLE001 - told to the person; the app keeps working
            text = str(error) if isinstance(error, WorkbenchError) else f"{type(error).__name__}: {error}"
            self.closing = (f"Study {self.spec.name} ended with an error: {text}", "error")
        finally:
            self._done.set()

    def _here(self, study: Any, spec: StudySpec) -> None:
        from workbench.studies.trials import TrialInterrupted, TrialRunner
        from workbench.studies.worker import work

        # The UI thread needs a core too: the threads policy leaves it one.
        runner = TrialRunner(spec, self.registry, self.runs_dir, self.corpora, self.stopper,
                             competing_threads=1)
        try:
            work(study, runner, self.stopper)
        except TrialInterrupted:
            pass  # stopped: the trial is queued again

    def _in_processes(self) -> None:
        with tempfile.TemporaryFile() as errors:
            self.processes = start_workers(self.workers, self.storage, self.spec.name, self.runs_dir,
                                           self.corpora, json=False, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=errors)
            if self.stopper.signalled:  # stopped while they were starting
                stop_workers(self.processes)
            codes = [process.wait() for process in self.processes]
            failed = [code for code in codes if code not in (0, INTERRUPTED)]
            if failed:
                raise WorkbenchError(f"a worker process ended with exit code {failed[0]}: {_tail(errors)}")

    def _results(self, study: Any, spec: StudySpec) -> tuple[str, SeverityLevel]:
        """One line on how the study ended, with its verdict when it compared seeds."""
        from workbench.studies.results import read_results

        results = read_results(study, spec)
        counts = ", ".join(f"{results.count(state)} {state}" for state in ("complete", "pruned", "fail")
                           if results.count(state))
        if not results.done:
            return (f"Study {spec.name} stopped with {counts or 'no trial done'} of {spec.trials} trials. "
                    f"`workbench study worker --study {spec.name} --runs-dir {self.runs_dir}` finishes it.",
                    "warning")
        comparison = results.comparison()
        verdict = f" {comparison.verdict}" if comparison is not None else ""
        return (f"Study {spec.name}: {counts}.{verdict}", "error" if results.count("fail") else "information")


def _tail(errors: IO[bytes]) -> str:
    errors.seek(0)
    lines = errors.read().decode("utf-8", errors="replace").strip().splitlines()
    return " ".join(lines[-ERROR_LINES:]) or "it printed nothing"
