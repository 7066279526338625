"""The workbench app: wires the screens, the plugin registry and the run queue together.

The first frame is drawn before torch is imported: the registry (which imports every plugin, and
with them torch) loads on a worker thread after mount, and the screens show a loading state until
it arrives. Training events reach the screens through `RunQueue.poll`, called by one UI timer a few
times a second whatever the step rate. Screens read what they show from the Workspace they are
made with and ask for actions with the messages of `workbench.app.requests`, handled here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from workbench.app.confirm_screen import ConfirmScreen
from workbench.app.help_screen import HelpScreen
from workbench.app.history import load_track
from workbench.app.inspect_screen import InspectScreen
from workbench.app.live_screen import LiveScreen
from workbench.app.model_screen import ModelScreen
from workbench.app.nav_bar import TABS
from workbench.app.requests import (
    ChangeRunsDir,
    ClearFinished,
    CompareRun,
    CompareRuns,
    InspectRun,
    PauseRun,
    SkipRun,
    StartRuns,
    StartStudy,
    StopRuns,
    UseModel,
)
from workbench.app.runner import RunQueue
from workbench.app.runs_screen import RunsScreen
from workbench.app.setup_screen import SetupScreen
from workbench.app.tracking import Board, RunTrack
from workbench.app.workspace import Workspace
from workbench.formatting import format_metric, format_number
from workbench.runs.directory import default_runs_dir

if TYPE_CHECKING:
    from workbench.config import Compare
    from workbench.registry import Registry
    from workbench.runs.directory import RunRecord

REFRESH_SECONDS = 0.2
NARROW_COLUMNS = 100
QUIT_WAIT_SECONDS = 10.0
SCREENS = {name: title for _, name, title in TABS}


class WorkbenchApp(App):
    """Train, watch and compare recurrent networks."""

    TITLE = "workbench"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("f1", "help", "Help"),
        # The screen keys are on every screen's top line (NavBar), not in the footer.
        *(Binding(key, f"show('{name}')", title, show=False) for key, name, title in TABS),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, runs_dir: Path | None = None, registry: Registry | None = None) -> None:
        super().__init__()
        self.board = Board()
        self.queue = RunQueue(self.board, self._start_thread)
        self.workspace = Workspace(runs_dir if runs_dir is not None else default_runs_dir(),
                                   self.board, self.queue, registry)
        self.screens_by_name: dict[str, Screen] = {}

    @property
    def runs_dir(self) -> Path:
        return self.workspace.runs_dir

    @property
    def registry(self) -> Registry | None:
        return self.workspace.registry

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_COLUMNS, "-narrow")

    def on_mount(self) -> None:
        self.set_class(self.size.width < NARROW_COLUMNS, "-narrow")
        # Made here, not in __init__: widgets need the running app.
        self.setup_screen = SetupScreen(self.workspace)
        self.live_screen = LiveScreen(self.workspace)
        self.model_screen = ModelScreen(self.workspace)
        self.inspect_screen = InspectScreen(self.workspace)
        self.screens_by_name = {"setup": self.setup_screen, "live": self.live_screen,
                                "runs": RunsScreen(self.workspace), "model": self.model_screen,
                                "inspect": self.inspect_screen}
        for name, screen in self.screens_by_name.items():
            self.install_screen(screen, name)
        self.push_screen("setup")
        self.set_interval(REFRESH_SECONDS, self.refresh_runs)
        if self.registry is None:
            self.call_after_refresh(self.load_registry)  # after the first frame is on screen
        else:
            self.call_after_refresh(self._registry_ready, self.registry)

    @work(thread=True, exclusive=True, group="registry")
    def load_registry(self) -> None:
        """Import every plugin (and torch) off the UI thread."""
        from workbench.registry import default_registry

        registry = default_registry()
        self.call_from_thread(self._registry_ready, registry)

    async def _registry_ready(self, registry: Registry) -> None:
        self.workspace.registry = registry
        self.queue.registry = registry
        for problem in registry.problems:
            self.notify(str(problem), title="Plugin problem", severity="warning", timeout=10, markup=False)
        await self.setup_screen.show_registry(registry)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every toast shows its text as it is, never as markup: messages carry error text, paths,
        run ids and a person's own input, any of which may hold square brackets. (Screens and
        widgets call this too: Widget.notify hands over to the app.)"""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _start_thread(self, function) -> None:  # noqa: ANN001 - any zero-argument callable
        self.run_worker(function, thread=True, group="runs")

    # Runs
    def start_runs(self, compare: Compare, resume: Path | None = None) -> None:
        """Queue one run per cell of `compare` and show them on the live screen."""
        tracks = self.queue.enqueue(compare, resume)
        names = ", ".join(track.label for track in tracks)
        self.notify(f"Queued {names}." if len(tracks) > 1 else f"Starting {names}.")
        self.refresh_runs()
        self.action_show("live")

    def on_start_study(self, request: StartStudy) -> None:
        """Run the set-up's study (seeds, workers, a search) and follow its trials on the live screen."""
        from workbench.studies.pool import oversubscription_warning

        if self.queue.busy:
            self.notify("Runs are training: start the study once they end, or stop them (x on Live).",
                        title="Cannot start", severity="warning", timeout=8)
            return
        warning = oversubscription_warning(request.workers)
        if warning:
            self.notify(warning, title="Workers", severity="warning", timeout=10)
        self.queue.start_study(request.spec, request.workers, request.runs_dir, request.corpora)
        where = f"in {request.workers} worker processes" if request.workers > 1 else "here"
        self.notify(f"Study {request.spec.name}: {request.spec.trials} trials, trained {where}.")
        self.refresh_runs()
        self.action_show("live")

    def refresh_runs(self) -> None:
        """Timer: drain the training events and repaint the live view if it is showing."""
        self.queue.poll()
        while self.queue.ended:
            self._announce(self.queue.ended.pop(0))
        while self.queue.notices:
            text, severity = self.queue.notices.pop(0)
            self.notify(text, title="Study", severity=severity, timeout=15)
        if self.live_screen.is_current:
            self.live_screen.show_board()

    def _announce(self, track: RunTrack) -> None:
        """A toast when a run ends, so a person on another screen hears of it (errors stay longer)."""
        if track.state == "failed":
            self.notify(f"{track.label} failed: {track.error}", title="Run failed", severity="error",
                        timeout=15)
            return
        standing = track.standing()
        best = standing.metric
        shown = f", best {format_metric(standing.metric_name, best)}" if best is not None else ""
        self.notify(f"{track.label} {track.state} after {format_number(standing.steps)} steps{shown}.")

    def use_model(self, run_dir: Path) -> None:
        """Open the model screen on `run_dir`."""
        self.model_screen.use(run_dir)
        self.action_show("model")

    def inspect_run(self, run_dir: Path, text: str | None = None) -> None:
        """Open the Inspect screen on `run_dir` (reading `text`, when given)."""
        self.inspect_screen.use(run_dir, text)
        self.action_show("inspect")

    # What the screens ask for
    def on_start_runs(self, request: StartRuns) -> None:
        self.start_runs(request.compare, request.resume)

    def on_use_model(self, request: UseModel) -> None:
        self.use_model(request.run_dir)

    def on_inspect_run(self, request: InspectRun) -> None:
        self.inspect_run(request.run_dir, request.text)

    def on_change_runs_dir(self, request: ChangeRunsDir) -> None:
        self.workspace.runs_dir = Path(request.runs_dir)

    def on_compare_run(self, request: CompareRun) -> None:
        """A run from disk joins the live chart and comparison table, once."""
        run_id = request.record.summary.run_id
        if self._compare(request.record):
            self.notify(f"Added {run_id} to the comparison (F3).")
        else:
            self.notify(f"{run_id} is already in the comparison (F3).", severity="warning")

    def on_compare_runs(self, request: CompareRuns) -> None:
        """Runs from disk (a study's) join the live chart and comparison table, each once."""
        added = sum(self._compare(record) for record in request.records)
        self.notify(f"Added {added} runs of {request.title} to the comparison (F3)." if added
                    else f"The runs of {request.title} are in the comparison already (F3).")

    def _compare(self, record: RunRecord) -> bool:
        """Put a run from disk on the board; False if it is there already."""
        summary = record.summary
        if self.board.holding(record.run_dir) is not None:
            return False
        track = self.board.add(summary.cell, cell=summary.cell, task=summary.task, dataset=summary.dataset,
                               run_id=summary.run_id, metric=summary.metric_name,
                               higher_is_better=summary.higher_is_better)
        load_track(record.run_dir, track, summary)
        return True

    def on_pause_run(self, request: PauseRun) -> None:
        done = self.queue.pause()
        if done is None and self.queue.study is not None:
            self.notify("The study's trials train in worker processes, which do not pause; x stops them.",
                        severity="warning")
            return
        self.notify(f"Run {done}." if done else "No run is training.",
                    severity="information" if done else "warning")

    def on_stop_runs(self, request: StopRuns) -> None:
        if not self.queue.busy:
            self.notify("No run is training.", severity="warning")
            return
        cancelled = self.queue.stop(everything=True)
        extra = f"; {cancelled} queued run(s) cancelled" if cancelled else ""
        self.notify(f"Stopping: a checkpoint is being written{extra}.")

    def on_skip_run(self, request: SkipRun) -> None:
        if self.queue.active is None:
            self.notify("A study's trials are not skipped one by one: x stops the study, and each stopped "
                        "trial is queued again." if self.queue.study is not None else "No run is training.",
                        severity="warning")
            return
        self.queue.stop(everything=False)
        self.notify("Stopping this run; the next one in the queue starts after it.")

    def on_clear_finished(self, request: ClearFinished) -> None:
        removed = self.board.remove_finished()
        self.notify(f"Cleared {removed} finished run(s) from the chart and table.")
        if self.live_screen.is_current:
            self.live_screen.show_board(force=True)

    # Actions
    def action_show(self, name: str) -> None:
        if self.screen.id != name or isinstance(self.screen, (HelpScreen, ConfirmScreen)):
            while isinstance(self.screen, (HelpScreen, ConfirmScreen)):
                self.pop_screen()
            if self.screen.id != name:
                self.switch_screen(name)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.all_bindings()))

    def all_bindings(self) -> list[tuple[str, str, str]]:
        """(where, key, description) for every shown binding of the app and its screens."""
        rows = [("everywhere", _key(b), _explain(b)) for b in self._bindings_of(self.BINDINGS)]
        rows.append(("everywhere", "ctrl+p", "Command palette"))
        for name, title in SCREENS.items():
            screen = self.screens_by_name[name]
            rows += [(title, _key(b), _explain(b)) for b in self._bindings_of(screen.BINDINGS)]
        return rows

    @staticmethod
    def _bindings_of(bindings: Iterable[object]) -> list[Binding]:
        return [b for b in bindings if isinstance(b, Binding) and b.description]

    async def action_quit(self) -> None:
        if self.registry is not None:
            self.setup_screen.remember()
        if not self.queue.busy:
            self.exit(0)
            return

        def answered(stop: bool | None) -> None:
            if stop:
                self.notify("Stopping the run and writing its checkpoint…")
                self._stop_and_exit()

        await self.push_screen(
            ConfirmScreen("A run is training. Stop it (its checkpoint is written) and quit?",
                          yes="Stop and quit", no="Keep training"),
            answered,
        )

    @work(thread=True, exclusive=True, group="quit")
    def _stop_and_exit(self) -> None:
        self.queue.stop(everything=True)
        self.queue.wait(QUIT_WAIT_SECONDS)
        self.call_from_thread(self._finish_exit)

    def on_unmount(self) -> None:
        """However the app ends, a study's worker processes stop with it (each trial with its
        checkpoint) rather than train on unwatched; quitting has stopped them already."""
        if self.queue.study is not None:
            self.queue.study.stop()

    def _finish_exit(self) -> None:
        self.queue.poll()
        self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Every key binding of every screen", self.action_help)
        for name, title in SCREENS.items():
            yield SystemCommand(f"Go to {title}", f"Show the {title} screen",
                                lambda name=name: self.action_show(name))
        for binding in self._bindings_of(screen.BINDINGS):
            yield SystemCommand(binding.description, f"{_explain(binding)} ({binding.key})",
                                lambda action=binding.action, screen=screen: self._run_on(screen, action))

    def _run_on(self, screen: Screen, action: str) -> None:
        self.call_later(screen.run_action, action)


def _key(binding: Binding) -> str:
    """The key as people type it: `[` rather than left_square_bracket."""
    return binding.key_display or binding.key


def _explain(binding: Binding) -> str:
    """What a binding does, in full: the footer shows only its short description."""
    return binding.tooltip or binding.description


def run_app() -> int:
    """Entry point of `workbench` with no arguments."""
    result = WorkbenchApp().run()
    return result if isinstance(result, int) else 0
