"""The runs screen: every run in the runs directory with its key numbers; the highlighted run's
curves and summary below, or (key v) a classifier's per-class accuracy and confusion matrix. From
here a run can be resumed, added to the comparison, used (enter or u) or inspected: the screen
asks, and the App does it (workbench.app.requests). Ordered by study, each study's runs stand under
a heading row, and `a` on a heading adds all of them.

A run whose process was killed while it trained shows as "interrupted" (workbench.runs.lock) and
resumes from its last checkpoint with r. Run ids, paths and samples are shown as plain text."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Footer, Static

from workbench.app.chart import LineChart, Series
from workbench.app.class_report import class_report
from workbench.app.history import load_track
from workbench.app.nav_bar import NavBar
from workbench.app.requests import CompareRun, CompareRuns, InspectRun, StartRuns, UseModel
from workbench.app.study_headings import (
    StudyHeading,
    heading_cells,
    heading_summary,
    under_heading,
    with_headings,
)
from workbench.app.tracking import PALETTE, RunTrack
from workbench.app.workspace import Workspace
from workbench.errors import WorkbenchError
from workbench.formatting import format_duration, format_metric, format_number
from workbench.runs.directory import CONFIG_FILE, INTERRUPTED
from workbench.studies.outcome import study_label

if TYPE_CHECKING:
    from workbench.runs.directory import RunRecord
    from workbench.summary import RunSummary

COLUMNS = ("run", "status", "metric", "val loss", "steps", "wall time", "parameters")
ORDERS = ("newest", "best metric", "fastest", "cell", "study")


def sort_records(records: list[RunRecord], order: str) -> list[RunRecord]:
    """Runs in one of ORDERS; runs without the number sorted on go last."""
    if order == "newest":
        return sorted(records, key=lambda record: record.summary.run_id, reverse=True)
    if order == "best metric":  # each run in its own task's direction
        return sorted(records, key=lambda record: record.summary.rank())
    if order == "fastest":
        def quickest(record: RunRecord) -> tuple[bool, float]:
            return (record.summary.wall_time is None, record.summary.wall_time or 0.0)

        return sorted(records, key=quickest)
    if order == "study":
        def by_study(record: RunRecord) -> tuple[bool, str, int, str]:
            summary = record.summary
            label = study_label(summary)
            if label is None:
                return (True, "", 0, summary.run_id)
            return (False, label.study, label.trial if label.trial is not None else -1, summary.run_id)

        return sorted(records, key=by_study)
    return sorted(records, key=lambda record: (record.summary.cell, record.summary.run_id))


class RunsScreen(Screen):
    """Past runs, newest first; the detail follows the highlighted row."""

    BINDINGS = [
        Binding("enter", "use", "Use model (also u)", show=False),
        Binding("r", "resume", "Resume"),
        Binding("a", "add", "Compare", tooltip="Add to compare: the run joins the Live chart and table"),
        Binding("u", "use", "Use model"),
        Binding("i", "inspect", "Inspect"),
        Binding("g", "reload", "Refresh", show=False),
        Binding("o", "sort", "Sort", show=False),  # the line above the table says so: space for the footer
        Binding("v", "classes", "Classes",
                tooltip="A classifier's per-class accuracy and confusion matrix, or back to its curves"),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(id="runs")
        self.workspace = workspace
        self.records: list[RunRecord] = []
        self.rows: list[RunRecord | StudyHeading] = []  # the records, with study headings in study order
        self.opened: RunTrack | None = None
        self.order = ORDERS[0]

    def compose(self) -> ComposeResult:
        yield NavBar()
        yield Static("", id="runs-dir")
        yield _runs_table()
        with ContentSwitcher(id="run-views", initial="run-detail"):
            with Horizontal(id="run-detail"):
                yield LineChart("loss (nats)", empty="highlight a run to see its curves", id="run-chart")
                yield Static("", id="run-summary")
            with ScrollableContainer(id="run-classes"):
                yield Static("", id="class-report")
        yield Footer(compact=True)

    def on_screen_resume(self) -> None:
        self.action_reload()

    @property
    def runs_dir(self) -> Path:
        return self.workspace.runs_dir

    def action_reload(self) -> None:
        self._list_runs(self.runs_dir)

    def action_sort(self) -> None:
        """Cycle the order of the table: newest, best metric, fastest, by cell, by study."""
        self.order = ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        self._show_records(self.records)

    @work(thread=True, exclusive=True, group="list-runs")
    def _list_runs(self, runs_dir: Path) -> None:
        from workbench.runs.directory import list_runs

        records = list_runs(runs_dir)
        self.app.call_from_thread(self._show_records, records)

    def _show_records(self, records: list[RunRecord]) -> None:
        table = self.query_one(DataTable)
        selected = self.selected
        self.records = sort_records(records, self.order)
        self.rows = with_headings(self.records) if self.order == "study" else list(self.records)
        where = Text(f"runs in {self.runs_dir} · {self.order} first (o sorts)")
        self.query_one("#runs-dir", Static).update(where)
        table.clear()
        headed = any(isinstance(row, StudyHeading) for row in self.rows)
        for row in self.rows:
            if isinstance(row, StudyHeading):
                table.add_row(*heading_cells(row), key=row.key)
            else:
                table.add_row(*(under_heading(_row(row)) if headed else _row(row)), key=str(row.run_dir))
        if not records:
            self.query_one("#run-summary", Static).update(
                Text(f"No runs in {self.runs_dir} yet. Start one on Set-up (F2).", style="dim"))
        elif selected is not None and str(selected.run_dir) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected.run_dir)))
        else:
            self.action_open()

    @property
    def highlighted(self) -> RunRecord | StudyHeading | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @property
    def selected(self) -> RunRecord | None:
        """The highlighted run (None on a study's heading)."""
        row = self.highlighted
        return None if isinstance(row, StudyHeading) else row

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.action_open()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a run opens it on the model screen."""
        self.action_use()

    def action_open(self) -> None:
        row = self.highlighted
        if isinstance(row, StudyHeading):
            self.opened = None
            self.query_one("#run-chart", LineChart).plot([])
            self.query_one("#run-summary", Static).update(heading_summary(row))
        elif row is not None:
            self._open(row)

    @work(thread=True, exclusive=True, group="open-run")
    def _open(self, record: RunRecord) -> None:
        summary = record.summary
        track = RunTrack(label=summary.cell, colour=PALETTE[0], cell=summary.cell, task=summary.task,
                         dataset=summary.dataset, run_id=summary.run_id)
        try:
            load_track(record.run_dir, track, summary)
        except WorkbenchError as error:
            track.error = str(error)
        self.app.call_from_thread(self._show_track, record, track)

    def _show_track(self, record: RunRecord, track: RunTrack) -> None:
        self.opened = track
        cell = record.summary.cell
        self.query_one("#run-chart", LineChart).plot([
            Series(f"{cell} train", track.colour, track.train),
            Series(f"{cell} val", PALETTE[1], track.validation, markers=True),
        ])
        self.query_one("#run-summary", Static).update(_summary(record.summary, track))
        report, width = class_report(record.summary)
        shown = self.query_one("#class-report", Static)
        shown.styles.width = width if width is not None else "1fr"
        shown.update(report)

    def action_classes(self) -> None:
        """Switch the detail between the run's curves and its per-class numbers."""
        views = self.query_one("#run-views", ContentSwitcher)
        views.current = "run-classes" if views.current == "run-detail" else "run-detail"

    def _record_or_warn(self) -> RunRecord | None:
        record = self.selected
        if record is None:
            heading = isinstance(self.highlighted, StudyHeading)
            self.notify("A study's heading is highlighted: choose one of its runs." if heading
                        else "No run is highlighted.", severity="warning")
        return record

    def action_resume(self) -> None:
        record = self._record_or_warn()
        if record is None:
            return
        from workbench.config import Compare, RunConfig
        from workbench.engine.state import ENDED_ON_ITS_OWN

        summary = record.summary
        if summary.status == "running":
            self.notify(f"{summary.run_id} is training right now: it cannot be resumed twice.",
                        severity="warning")
            return
        if summary.status in ENDED_ON_ITS_OWN:
            self.notify(f"{summary.run_id} is already complete ({summary.status} after "
                        f"{format_number(summary.steps)} steps): nothing to resume.", severity="warning")
            return

        try:
            config = RunConfig.from_toml(record.run_dir / CONFIG_FILE)
        except WorkbenchError as error:
            self.notify(str(error), title="Cannot resume", severity="error", timeout=8)
            return
        config.runs_dir = self.runs_dir
        self.post_message(StartRuns(Compare(config), resume=record.run_dir))

    def action_add(self) -> None:
        heading = self.highlighted
        if isinstance(heading, StudyHeading):
            self.post_message(CompareRuns(heading.records, heading.title))
            return
        record = self._record_or_warn()
        if record is None or self.opened is None or self.opened.run_id != record.summary.run_id:
            return
        self.post_message(CompareRun(record))

    def action_use(self) -> None:
        record = self._record_or_warn()
        if record is not None:
            self.post_message(UseModel(record.run_dir))

    def action_inspect(self) -> None:
        record = self._record_or_warn()
        if record is not None:
            self.post_message(InspectRun(record.run_dir))


def _runs_table() -> DataTable:
    table = DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
    for column in COLUMNS:
        table.add_column(column, key=column)
    return table


def _row(record: RunRecord) -> tuple[Any, ...]:
    summary = record.summary
    return (
        Text(summary.run_id),
        summary.status,
        format_metric(summary.metric_name, summary.metric),
        format_number(summary.loss),
        format_number(summary.steps),
        format_duration(summary.wall_time),
        format_number(summary.parameters),
    )


def _summary(summary: RunSummary, track: RunTrack) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    table.add_row("run", Text(summary.run_id))
    table.add_row("plugins", Text(f"{summary.dataset} · {summary.cell} · {summary.task}"))
    label = study_label(summary)
    if label is not None:
        table.add_row("study", Text(f"{label.study}, trial {label.trial}"))
    table.add_row("status", summary.status)
    if summary.status == INTERRUPTED:
        table.add_row("", Text("its process ended while it trained: r resumes it from its last checkpoint",
                               style="yellow"))
    table.add_row(summary.metric_name or "metric", format_number(summary.metric))
    table.add_row("val loss", format_number(summary.loss))
    if summary.test_metric is not None:
        table.add_row(f"test {summary.metric_name}", format_number(summary.test_metric))
    table.add_row("steps", format_number(summary.steps))
    table.add_row("wall time", format_duration(summary.wall_time))
    table.add_row("tokens/s", format_number(summary.tokens_per_second))
    table.add_row("parameters", format_number(summary.parameters))
    table.add_row("samples", format_number(len(track.samples)))
    if track.samples:
        table.add_row("last sample", Text(track.samples[-1][1]))
    if track.error:
        table.add_row(Text("error", style="red"), Text(track.error, style="red"))
    return table
