"""What a screen asks the App to do, as Textual messages.

A screen posts one of these (`self.post_message(StartRuns(compare))`); it bubbles up to the App,
whose `on_<name>` handler acts: the App owns the run queue, the board, the runs directory and the
other screens, so a screen needs no reference to any of them to ask for something.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from workbench.config import Compare
    from workbench.runs.directory import RunRecord
    from workbench.studies.spec import StudySpec


class Request(Message):
    """Something a screen asks the App for (a handler for this class receives every request)."""


@dataclass
class StartRuns(Request):
    """Queue one run per cell of `compare` (continuing the run in `resume`, when given) and show
    them training."""

    compare: Compare
    resume: Path | None = None


@dataclass
class StartStudy(Request):
    """Run `spec`'s trials in `workers` processes (1: the app's own), their runs in `runs_dir`,
    and follow them on the live screen."""

    spec: StudySpec
    workers: int
    runs_dir: Path
    corpora: Path | None = None


@dataclass
class UseModel(Request):
    """Open the model screen on the run in `run_dir`."""

    run_dir: Path


@dataclass
class InspectRun(Request):
    """Open the Inspect screen on the run in `run_dir`, reading `text` when one is given."""

    run_dir: Path
    text: str | None = None


@dataclass
class CompareRun(Request):
    """Put a finished run from the runs directory on the live chart and comparison table."""

    record: RunRecord


@dataclass
class CompareRuns(Request):
    """Put the runs of `records` not there yet on the live chart and comparison table (a study's,
    from its heading on the runs screen); `title` names them in what the App says."""

    records: tuple[RunRecord, ...]
    title: str


@dataclass
class ChangeRunsDir(Request):
    """Read and write runs in `runs_dir` from now on (a loaded config named it)."""

    runs_dir: Path


@dataclass
class PauseRun(Request):
    """Pause the run that is training, or resume it if it is paused."""


@dataclass
class StopRuns(Request):
    """Stop the run that is training (its checkpoint is written) and cancel the queued ones."""


@dataclass
class SkipRun(Request):
    """Stop the run that is training (its checkpoint is written); the next queued run starts."""


@dataclass
class ClearFinished(Request):
    """Take the runs that have ended off the live chart and comparison table."""
