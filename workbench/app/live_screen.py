"""The live view: every run of the board on one chart (the loss of each task, the validation
metric and the learning rate in panels, against steps, tokens or seconds), the current run's
numbers, its samples, the log of every run and the comparison table, repainted from the app's
timer. Pausing, stopping and clearing are asked of the App (workbench.app.requests), which owns the
queue and the board."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, RichLog, Static, TabbedContent, TabPane

from workbench.app.chart import LineChart, Panel, Series
from workbench.app.compare_table import CompareTable
from workbench.app.metrics_panel import MetricsPanel
from workbench.app.nav_bar import NavBar
from workbench.app.requests import ClearFinished, PauseRun, SkipRun, StopRuns
from workbench.app.runner import RunQueue
from workbench.app.seed_lines import seed_series
from workbench.app.seed_statistics import SeedStatistics
from workbench.app.tracking import X_AXES, Board, RunTrack
from workbench.app.workspace import Workspace
from workbench.runs.comparison import TITLE as COMPARE_TITLE

SMOOTHING = 0.6  # per-step losses are noisy; the raw curve is one key (m) away
# What the chart shows, in the order the view key (v) steps through: every panel that fits, then
# each kind of panel alone, with the whole height (on a small terminal only the loss fits beside
# the others).
VIEWS = ("all", "loss", "metric", "learning rate")


class LiveScreen(Screen):
    """Chart and numbers on top; samples, log and comparison in tabs below."""

    BINDINGS = [
        # Short names keep the footer within 80 columns; the tooltips are what help shows.
        Binding("p", "pause", "Pause", tooltip="Pause/resume the current run"),
        Binding("x", "stop", "Stop", tooltip="Stop the current run (checkpoint written) and the queue"),
        Binding("k", "skip", "Skip", tooltip="Stop this run; the next queued run starts"),
        Binding("n", "app.show('setup')", "New run", show=False),
        Binding("m", "smooth", "Smooth", tooltip="Smooth the training curves, or show them raw"),
        Binding("c", "clear", "Clear", tooltip="Clear finished runs from the chart and table"),
        Binding("a", "x_axis", "X axis", tooltip="Plot the curves against steps, tokens or seconds"),
        Binding("v", "view", "View", show=False,
                tooltip="Chart every panel that fits, or only the loss, the validation metric or "
                        "the learning rate"),
        Binding("s", "tab('samples')", "Samples", show=False),
        Binding("l", "tab('log')", "Log", show=False),
        Binding("t", "tab('compare')", "Compare", show=False),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(id="live")
        self.workspace = workspace
        self.smoothing = SMOOTHING
        self.x_axis = X_AXES[0]
        self.view = VIEWS[0]
        self._versions: dict[int, int] = {}
        self._shown_samples: dict[int, int] = {}
        self._shown_log: dict[int, int] = {}
        self._chosen: RunTrack | None = None
        # Kept as attributes: the tab panes compose lazily, and the first repaint may come first.
        self.chart = LineChart("loss (nats)", reveal_key="v", id="loss-chart")
        self.metrics = MetricsPanel(id="metrics")
        self.samples = RichLog(id="samples-log", wrap=True, markup=False, auto_scroll=True)
        self.log_view = RichLog(id="event-log", wrap=True, markup=False, auto_scroll=True)
        self.table = CompareTable(id="compare-table")
        self.statistics = SeedStatistics(id="seed-statistics")

    def compose(self) -> ComposeResult:
        yield NavBar()
        with Horizontal(id="live-top"):
            yield self.chart
            yield self.metrics
        with TabbedContent(id="live-tabs", initial="samples"):
            with TabPane("Samples (s)", id="samples"):
                yield self.samples
            with TabPane("Log (l)", id="log"):
                yield self.log_view
            with TabPane("Compare (t)", id="compare"), VerticalScroll(id="compare-scroll"):
                # The table keeps a line per run and the statistics follow it, reached by scrolling
                # when the tab is short, rather than squeezing the table to nothing.
                yield Static(f"{COMPARE_TITLE.capitalize()} (the best so far while a run trains).",
                             classes="table-caption")
                yield self.table
                yield self.statistics
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.metrics.show(None)

    def on_screen_resume(self) -> None:
        self._repaint()

    def _repaint(self) -> None:
        self.show_board(force=True)

    def show_board(self, force: bool = False) -> None:
        """Repaint what changed on the board since the last call (cheap when nothing did)."""
        board, queue = self.workspace.board, self.workspace.queue
        versions = {id(track): track.version for track in board.tracks}
        current = self._current(board, queue)
        live = queue.active is not None and current is queue.active.track
        if versions == self._versions and not force:
            if live and current is not None and current.clock.running:  # the clock runs on
                self.metrics.show(current, waiting=len(queue.pending), live=True)
            return
        self._versions = versions
        self.chart.show(chart_panels(board.tracks, self.view, self.x_axis, self.smoothing),
                        x_label=self.x_axis)
        self.metrics.show(current, waiting=len(queue.pending), live=live)
        self._append_new(board.tracks)
        self.table.show(board.tracks)
        self.statistics.show(board.tracks)
        self.sub_title = _describe(current)

    def on_data_table_row_highlighted(self, event: CompareTable.RowHighlighted) -> None:
        """Highlighting a run in the comparison shows its numbers beside the chart."""
        chosen = [track for track in self.workspace.board.tracks if str(id(track)) == event.row_key.value]
        self._chosen = chosen[0] if chosen else None
        self._repaint()

    def _current(self, board: Board, queue: RunQueue) -> RunTrack | None:
        if self._chosen is not None and self._chosen in board.tracks and self.table.has_focus:
            return self._chosen
        if queue.active is not None:
            return queue.active.track
        started = [track for track in board.tracks if track.state not in ("queued", "cancelled")]
        return started[-1] if started else (board.tracks[-1] if board.tracks else None)

    def _append_new(self, tracks: list[RunTrack]) -> None:
        samples, log = self.samples, self.log_view
        for track in tracks:
            shown = self._shown_samples.get(id(track), 0)
            previous = track.samples[shown - 1][0] if shown else None
            for step, text in track.samples[shown:]:
                if step != previous:
                    samples.write(Text(f"{track.label} · step {step}", style=f"bold {track.colour}"))
                    previous = step
                samples.write(Text("  " + text))
            self._shown_samples[id(track)] = len(track.samples)
            shown = self._shown_log.get(id(track), 0)
            for line in track.log[shown:]:
                style = "red" if " failed" in line else ""
                log.write(Text(line, style=style))
            self._shown_log[id(track)] = len(track.log)

    # Actions
    def action_pause(self) -> None:
        self.post_message(PauseRun())

    def action_stop(self) -> None:
        self.post_message(StopRuns())

    def action_skip(self) -> None:
        self.post_message(SkipRun())

    def action_smooth(self) -> None:
        self.smoothing = SMOOTHING if self.smoothing == 0 else 0.0
        self.notify("Smoothing on." if self.smoothing else "Smoothing off.")
        self._repaint()

    def action_x_axis(self) -> None:
        self.x_axis = X_AXES[(X_AXES.index(self.x_axis) + 1) % len(X_AXES)]
        self.notify(f"Curves against {self.x_axis}.")
        self._repaint()

    def action_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.notify("Chart: every panel that fits." if self.view == "all" else f"Chart: {self.view} only.")
        self._repaint()

    def action_clear(self) -> None:
        self.post_message(ClearFinished())

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = name


def chart_panels(tracks: list[RunTrack], view: str, x_axis: str, smoothing: float) -> list[Panel]:
    """The panels of one of VIEWS: the losses of each task (training curves and validation points;
    tasks' losses live on different scales), each validation metric, and the learning rate. A
    study's seeds are thin lines around their mean in each."""
    tasks = list(dict.fromkeys(track.task for track in tracks))
    panels = []
    if view in ("all", "loss"):
        for task in tasks or [""]:
            series, alone = seed_series([one for one in tracks if one.task == task], "train", x_axis,
                                        smoothing, markers="validation")
            for track in alone:
                series.append(Series(track.label, track.colour, track.curve("train", x_axis),
                                     smoothing=smoothing))
                series.append(Series(f"{track.label} val", track.colour, track.curve("validation", x_axis),
                                     markers=True))
            title = f"{task} · loss (nats)" if len(tasks) > 1 else "loss (nats)"
            panels.append(Panel(title, series, weight=2))
    if view in ("all", "metric"):
        for metric in dict.fromkeys(track.metric for track in tracks if track.metric):
            judged = [one for one in tracks if one.metric == metric]
            series, alone = seed_series(judged, "metric", x_axis, 0.0)
            series += [Series(track.label, track.colour, track.curve("metric", x_axis)) for track in alone]
            panels.append(Panel(f"validation {metric}", series, empty="no evaluation yet"))
    if view in ("all", "learning rate"):
        series, alone = seed_series(tracks, "learning rate", x_axis, 0.0)
        series += [Series(track.label, track.colour, track.curve("learning rate", x_axis)) for track in alone]
        panels.append(Panel("learning rate", series))
    return panels


def _describe(track: RunTrack | None) -> str:
    if track is None:
        return "live"
    return f"{track.label} · {track.state}"
