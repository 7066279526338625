"""How `workbench run` shows a run: JSON lines for machines, a progress bar and tables for people."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TaskID, TextColumn
from rich.progress import Task as BarTask
from rich.table import Table
from rich.text import Text

from workbench.engine.clock import DisplayClock
from workbench.events import (
    Evaluated,
    Event,
    RunFailed,
    RunFinished,
    RunStarted,
    Sampled,
    StateChanged,
    StepDone,
)
from workbench.formatting import format_duration, format_metric, format_metrics, format_number, format_value
from workbench.runs.comparison import TITLE as COMPARE_TITLE
from workbench.runs.comparison import compare_cells, compare_headers
from workbench.runs.directory import RunRecord, run_settings
from workbench.summary import RunSummary


class JsonReport:
    """One JSON object per event on stdout, flushed at once; nothing else."""

    def on_event(self, event: Event) -> None:
        sys.stdout.write(json.dumps(event.to_json()) + "\n")
        sys.stdout.flush()

    def finish(self, records: list[RunRecord]) -> None:
        """JSON output ends with the last event."""


# What ended a run, as its final line says it (summary.json's `ended_by`).
_ENDED_BY = {
    "steps": "its step limit (train.steps = {steps})",
    "epochs": "its epoch limit (train.epochs = {epochs})",
    "time_budget": "its time budget ({time_budget:g} s)",
    "patience": "early stopping (no better validation for train.patience = {patience} evaluations)",
    "stop": "a stop request",
}


class _ClockColumn(ProgressColumn):
    """Elapsed time or ETA, read from the run's display clock at every refresh of the bar, so it
    runs on between step events and a slow step never freezes it."""

    def __init__(self, label: str, read: Callable[[float], float | None]):
        super().__init__()
        self.label, self.read = label, read

    def render(self, task: BarTask) -> Text:
        return Text(f"{self.label}{format_duration(self.read(time.monotonic()))}")


class TerminalReport:
    """A live progress bar per run, evaluation lines, the final metrics and, for a compare, a table."""

    def __init__(self, console: Console, compare: bool):
        self.console = console
        self.compare = compare
        self.progress: Progress | None = None
        self.bar: TaskID | None = None
        self.metric: str | None = None  # the metric the run is judged on, as its RunStarted says
        self.clock = DisplayClock()
        self.train: dict[str, Any] = {}

    def on_event(self, event: Event) -> None:
        if isinstance(event, StepDone):
            self._step(event)
        elif isinstance(event, RunStarted):
            self._started(event)
        elif isinstance(event, StateChanged):
            self._state(event)
        elif isinstance(event, Evaluated):
            self._evaluated(event)
        elif isinstance(event, Sampled):
            for text in event.texts[:3]:
                self._print(Text(f"  {text}", style="dim"))
        elif isinstance(event, RunFinished):
            self._close()
            self._final(event)
        elif isinstance(event, RunFailed) and not event.bad_input:  # bad input: the command's error
            self._close()
            self.console.print(Text.assemble((f"run {event.run_id} failed at step {event.step}:", "bold red"),
                                             " ", event.error), highlight=False)

    def finish(self, records: list[RunRecord]) -> None:
        if self.compare and records:
            print_comparison(self.console, records)

    def _started(self, event: RunStarted) -> None:
        config = event.config
        self.train = dict(config.get("train", {}))
        self.clock = DisplayClock()
        self.metric = event.metric
        # Two short lines rather than one long one: at 80 columns neither wraps, and the run id
        # (which people copy) stands whole at the start of the first.
        what = f"{config['dataset']} · {config.get('cell')} · {config['task']}"
        self.console.print(Text.assemble((event.run_id, "bold"), "  ", what))
        where = _shown_path(Path(event.run_dir).parent)
        parameters = format_number(event.parameters)
        self.console.print(Text(f"  {parameters} parameters on {event.device} · saved in {where}"))
        if event.resumed_from_step:
            self.console.print(f"  resumed from step {event.resumed_from_step}", highlight=False)
        self.progress = Progress(
            TextColumn("{task.description}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(),
            *(TextColumn(text, markup=False) for text in (
                "loss {task.fields[loss]}", "{task.fields[metric]}", "{task.fields[speed]} tok/s")),
            _ClockColumn("", lambda at: self.clock.elapsed_at(at)),
            _ClockColumn("ETA ", lambda at: self.clock.eta_at(at)), console=self.console,
        )
        self.bar = self.progress.add_task(config.get("cell", ""), total=event.total_steps,
                                          completed=event.resumed_from_step, loss="-", metric="",
                                          speed="-")
        self.progress.start()

    def _step(self, event: StepDone) -> None:
        self.clock.report(event.elapsed, event.eta_seconds, time.monotonic())
        if self.progress is not None and self.bar is not None:
            self.progress.update(self.bar, completed=event.step, loss=format_number(event.loss),
                                 speed=format_number(round(event.tokens_per_second)))

    def _state(self, event: StateChanged) -> None:
        if event.state == "paused":
            self.clock.hold(time.monotonic())
        elif event.state == "running":
            self.clock.release(time.monotonic())

    def _evaluated(self, event: Evaluated) -> None:
        value = event.metrics.get(self.metric) if self.metric is not None else None
        if self.progress is not None and self.bar is not None and event.split == "validation":
            shown = format_metric(self.metric, value) if value is not None else ""
            self.progress.update(self.bar, metric=shown)
        self._print(f"step {event.step} {event.split}: {format_metrics(event.metrics)}")

    def _final(self, event: RunFinished) -> None:
        summary = event.summary
        self.console.print(Text.assemble(
            (event.status, "bold green"), f" after {format_number(summary.steps)} steps in "
            f"{format_duration(summary.wall_time)}, {format_number(summary.tokens_per_second)} tokens/s"
            f"{ended_by(summary, self.train)}"), highlight=False)
        best = summary.best
        for label, metrics in ((f"best validation (step {format_number(best.step)})", best.metrics),
                               ("test", summary.test)):
            if metrics:
                self.console.print(f"  {label}: {format_metrics(metrics)}", highlight=False)

    def _print(self, text: str | Text) -> None:
        (self.progress.console if self.progress is not None else self.console).print(text, highlight=False)

    def _close(self) -> None:
        self.clock.hold(time.monotonic())
        if self.progress is not None:
            self.progress.stop()
        self.progress, self.bar = None, None


def ended_by(summary: RunSummary, train: dict[str, Any]) -> str:
    """`; ended by its time budget (60 s)`: what ended the run, from its summary and settings."""
    phrase = _ENDED_BY.get(str(summary.ended_by))
    if phrase is None:
        return ""
    try:
        return "; ended by " + phrase.format(**train)
    except (KeyError, ValueError):
        return f"; ended by {summary.ended_by}"


def print_comparison(console: Console, records: list[RunRecord]) -> None:
    """The compare table, then the settings that differ between the runs, if any."""
    console.print(compare_table(records))
    differing = settings_table(records)
    if differing is not None:
        console.print(differing)


def settings_table(records: list[RunRecord]) -> Table | None:
    """Settings every run has but not all with the same value: what sets the runs apart."""
    settings = [run_settings(record) for record in records]
    shared = set.intersection(*(set(one) for one in settings)) if settings else set()
    differing = sorted(key for key in shared if len({format_value(one[key]) for one in settings}) > 1)
    if not differing:
        return None
    table = Table(title="settings that differ", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("setting", no_wrap=True)
    for number, record in enumerate(records, start=1):
        table.add_column(f"({number}) {record.summary.cell}", justify="right", no_wrap=True)
    for key in differing:
        table.add_row(key, *(format_value(one[key]) for one in settings))
    return table


def compare_table(records: list[RunRecord]) -> Table:
    """Runs side by side, every validation number of a row from that run's best evaluation."""
    rows = [record.summary for record in records]
    runs = "\n".join(f"({number}) {row.cell}: {row.run_id}" for number, row in enumerate(rows, start=1))
    table = Table(title=f"compare · {COMPARE_TITLE}", title_justify="left", caption=runs,
                  caption_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    for column in ("cell", *compare_headers(rows)):
        table.add_column(column, justify="left" if column in ("cell", "status") else "right",
                         no_wrap=True, min_width=len(column))
    for row in rows:
        table.add_row(row.cell, *compare_cells(row, rows))
    return table


def _shown_path(path: Path) -> str:
    """A directory as short as it can be said: relative to the working directory when inside it."""
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return f"{path}{os.sep}"
    return f"{relative}{os.sep}" if relative.parts else f".{os.sep}"

