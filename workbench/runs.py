"""Runs on disk: one directory per run, the files in it, and reading them back for lists and compares.

    runs/<id>/config.toml              the resolved config
    runs/<id>/metrics.jsonl            one JSON object per event, appended as it happens (JsonlLogger)
    runs/<id>/samples.txt              every showcase, with its step
    runs/<id>/checkpoint.safetensors   the latest state, to resume from
    runs/<id>/best.safetensors         weights at the best validation metric, for predict/sample
    runs/<id>/summary.json             status and final numbers (workbench.summary), rewritten atomically
    runs/<id>/run.lock                 locked by the process training the run (workbench.run_lock)

A summary that says "running" while no process holds the lock is a run that was killed: it is
read back as "interrupted", and resuming it first rewinds its logs to its checkpoint's step.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from workbench.atomic import atomic_write, atomic_write_json
from workbench.config import RunConfig
from workbench.errors import CheckpointError, WorkbenchError
from workbench.events import Event, event_from_json
from workbench.loggers import Logger
from workbench.run_lock import is_live
from workbench.summary import RUNNING, RunSummary

RUNS_DIR_ENV = "WORKBENCH_RUNS_DIR"
CONFIG_FILE = "config.toml"
METRICS_FILE = "metrics.jsonl"
SAMPLES_FILE = "samples.txt"
CHECKPOINT_FILE = "checkpoint.safetensors"
BEST_FILE = "best.safetensors"
SUMMARY_FILE = "summary.json"
INTERRUPTED = "interrupted"  # the status of a run whose process died while it trained
_SAMPLES_HEADER = "--- step "


def default_runs_dir() -> Path:
    """`$WORKBENCH_RUNS_DIR`, else `runs/` in the current directory."""
    return Path(os.environ.get(RUNS_DIR_ENV) or "runs")


def create_run_dir(runs_dir: Path, dataset: str, cell: str, task: str) -> Path:
    """A new, empty directory named `<time>-<dataset>-<cell>-<task>`, suffixed if the name is taken."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{dataset}-{cell}-{task}"
    for attempt in range(1000):
        candidate = runs_dir / (stem if attempt == 0 else f"{stem}-{attempt + 1}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise CheckpointError(f"Could not create a new run directory in {runs_dir}: too many runs named {stem}.")


class JsonlLogger(Logger):
    """The run's own record: one JSON object per event, appended and flushed as it happens, so a
    reader (or a crash) sees every event so far. Always on: the app and `workbench runs plot`
    replay a run from it."""

    name = "jsonl"
    description = "Every event as one JSON line in metrics.jsonl; always on."

    def __init__(self, run_dir: Path, options: dict[str, Any] | None = None):
        super().__init__(run_dir, options)
        self._file: IO[str] = open(self.run_dir / METRICS_FILE, "a", encoding="utf-8")  # noqa: SIM115

    def log(self, event: Event) -> None:
        self._file.write(json.dumps(event.to_json()) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class EventLog:
    """What a run's metrics log holds: its events in order, and the lines that could not be read."""

    path: Path
    events: list[Event]
    damaged_lines: list[int]


def read_event_log(run_dir: Path) -> EventLog:
    """Every event of `run_dir`'s metrics log (kinds this version does not know are skipped)."""
    path = Path(run_dir) / METRICS_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CheckpointError(f"Cannot read {path} ({error.strerror}); the run has no metrics log.") from None
    return _parse_log(path, lines, first_number=1)


class EventLogTail:
    """A metrics log read as it grows, for following a run that trains in another process.

    Each `read_new` returns the events of the lines completed since the last call: a line the
    writer has not finished yet waits for the next call, so it is never taken for a damaged one.
    A log that does not exist yet reads as empty.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / METRICS_FILE
        self._offset = 0
        self._unfinished = b""
        self._lines_read = 0

    def read_new(self) -> EventLog:
        try:
            with open(self.path, "rb") as file:
                file.seek(self._offset)
                data = file.read()
        except FileNotFoundError:
            return EventLog(self.path, [], [])
        except OSError as error:
            raise CheckpointError(f"Cannot read {self.path} ({error.strerror}).") from None
        self._offset += len(data)
        *complete, self._unfinished = (self._unfinished + data).split(b"\n")
        lines = [line.decode("utf-8", errors="replace") for line in complete]
        log = _parse_log(self.path, lines, first_number=self._lines_read + 1)
        self._lines_read += len(lines)
        return log


def _parse_log(path: Path, lines: list[str], first_number: int) -> EventLog:
    events: list[Event] = []
    damaged: list[int] = []
    for number, line in enumerate(lines, start=first_number):
        if not line.strip():
            continue
        try:
            event = event_from_json(json.loads(line))
        except (ValueError, TypeError):
            damaged.append(number)
            continue
        if event is not None:
            events.append(event)
    return EventLog(path, events, damaged)


def rewind_logs(run_dir: Path, step: int) -> None:
    """Drop what the metrics log and the samples recorded after `step`, atomically.

    A run killed between two checkpoints logged steps that its last checkpoint does not hold; the
    resumed run trains them again, so they would otherwise appear twice. A line cut short by the
    kill is dropped too.
    """
    metrics = run_dir / METRICS_FILE
    if metrics.is_file():
        lines = metrics.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if _logged_at_or_before(line, step)]
        if kept != lines:
            atomic_write(metrics, "".join(kept).encode("utf-8"))
    samples = run_dir / SAMPLES_FILE
    if samples.is_file():
        lines = samples.read_text(encoding="utf-8").splitlines(keepends=True)
        kept, block_step = [], 0
        for line in lines:
            if line.startswith(_SAMPLES_HEADER) and line[len(_SAMPLES_HEADER):].strip().isdigit():
                block_step = int(line[len(_SAMPLES_HEADER):])
            if block_step <= step:
                kept.append(line)
        if kept != lines:
            atomic_write(samples, "".join(kept).encode("utf-8"))


def _logged_at_or_before(line: str, step: int) -> bool:
    if not line.endswith("\n"):
        return False  # cut short mid-write
    try:
        data = json.loads(line)
    except ValueError:
        return False
    return isinstance(data, dict) and int(data.get("step") or 0) <= step


def append_samples(path: Path, step: int, texts: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as file:
        file.write(f"{_SAMPLES_HEADER}{step}\n")
        file.writelines(text + "\n" for text in texts)


def write_summary(run_dir: Path, summary: RunSummary) -> None:
    atomic_write_json(run_dir / SUMMARY_FILE, summary.to_json())


def read_summary(run_dir: Path) -> RunSummary:
    """The summary of a run directory as written, or a CheckpointError if it has none or it is damaged."""
    path = Path(run_dir) / SUMMARY_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("it does not hold a JSON object")
        return RunSummary.from_json({"run_id": Path(run_dir).name, **document})
    except FileNotFoundError:
        raise CheckpointError(f"{run_dir} is not a run directory: it has no {SUMMARY_FILE}.") from None
    except (OSError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path} cannot be read ({error}); the run directory may be damaged.") from None


@dataclass(frozen=True)
class RunRecord:
    """A run directory and its summary, whose status says "interrupted" for a run that was killed."""

    run_dir: Path
    summary: RunSummary


def read_run(run_dir: Path) -> RunRecord:
    """The record of a run directory, or a CheckpointError if it is not one."""
    run_dir = Path(run_dir)
    summary = read_summary(run_dir)
    if summary.status == RUNNING and not is_live(run_dir):
        summary = replace(summary, status=INTERRUPTED)
    return RunRecord(run_dir, summary)


def run_settings(record: RunRecord) -> dict[str, Any]:
    """A run's resolved settings as flat `kind.option` keys (cell options under `cell.`)."""
    try:
        config = RunConfig.from_toml(record.run_dir / CONFIG_FILE)
    except WorkbenchError:
        return {}
    settings: dict[str, Any] = {"dataset": config.dataset, "task": config.task}
    settings.update({f"train.{key}": value for key, value in config.train.items()})
    for kind, name in (("dataset", config.dataset), ("cell", config.cell), ("task", config.task)):
        settings.update({f"{kind}.{key}": value for key, value in config.options_for(kind, name).items()})
    return settings


def list_runs(runs_dir: Path | None = None) -> list[RunRecord]:
    """Every run under `runs_dir`, newest first; directories that are not runs are skipped."""
    runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    if not runs_dir.is_dir():
        return []
    records = []
    for child in sorted(runs_dir.iterdir(), reverse=True):
        if (child / SUMMARY_FILE).is_file():
            try:
                records.append(read_run(child))
            except CheckpointError:
                continue
    return records


def find_run_dir(name: str | Path, runs_dir: Path | None = None) -> Path:
    """A run given as a path or as an id under the runs directory."""
    under = (Path(runs_dir) if runs_dir is not None else default_runs_dir()) / str(name)
    for path in (Path(name), under):
        if any((path / marker).is_file() for marker in (SUMMARY_FILE, CHECKPOINT_FILE, CONFIG_FILE)):
            return path
    raise CheckpointError(
        f"No run {str(name)!r}: give a run directory or an id listed by `workbench runs` "
        "(use --runs-dir if the runs live elsewhere)."
    )
