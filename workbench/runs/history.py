"""A run's history as it happens: every event in metrics.jsonl, the samples, and rewinding both.

The log is appended and flushed event by event, so a reader following a run in another process
(EventLogTail) or a crash sees every event so far; a resumed run first cuts the history back to its
checkpoint's step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from workbench.errors import CheckpointError
from workbench.events import Event, event_from_json
from workbench.loggers import Logger
from workbench.runs.atomic import atomic_write
from workbench.runs.directory import METRICS_FILE, SAMPLES_FILE

_SAMPLES_HEADER = "--- step "


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
