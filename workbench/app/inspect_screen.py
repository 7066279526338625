"""The Inspect screen: what a trained model predicts at each character and what its units do.

Pick a run (and, optionally, a second one to compare on the same text), type or pick a text and
press enter; move along it with the arrow keys. Loading weights and reading the text run on worker
threads, so keys are answered while a long text is read. While a run trains, the screen watches its
checkpoint and reads the same text again with the weights of every evaluation; `[` and `]` step
through the evaluations seen so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Select, Static
from textual.worker import get_current_worker

from workbench.app.inspect_pane import InspectPane, InspectView, Snapshot
from workbench.app.nav_bar import NavBar
from workbench.app.workspace import Workspace
from workbench.errors import describe_error

if TYPE_CHECKING:
    from workbench.inspection.inspector import Inspector
    from workbench.runs.directory import RunRecord

WATCH_SECONDS = 0.5
SIDES = ("left", "right")
PICKED_CHARACTERS = 240
LINE_BREAK = "↵"  # how the one-line text field shows (and takes) a line break
VALIDATION_PICKS = 6


@dataclass
class Source:
    """The run a pane reads, the inspector of its newest weights and its checkpoint's last stamp seen."""

    run_dir: Path
    inspector: Inspector | None = None
    stamp: int | None = None


def checkpoint_stamp(run_dir: Path) -> int | None:
    """When the run's latest checkpoint was written (None before its first)."""
    from workbench.runs.directory import CHECKPOINT_FILE

    try:
        return (run_dir / CHECKPOINT_FILE).stat().st_mtime_ns
    except OSError:
        return None


_EVALUATIONS = Binding.Group("Evaluation", compact=True)


class InspectScreen(Screen):
    """One or two runs reading the same text, a cursor along it, a heatmap per run."""

    CSS_PATH = "inspect_screen.tcss"
    BINDINGS = [
        Binding("left", "move(-1)", "Previous character", show=False),
        Binding("right", "move(1)", "Next character", show=False),
        Binding("home", "move(-1000000)", "First character", show=False),
        Binding("end", "move(1000000)", "Last character", show=False),
        Binding("l", "layer", "Layer"),
        Binding("d", "direction", "Direction"),
        Binding("p", "probe", "Probe"),
        Binding("o", "order", "Order"),
        Binding("down", "units(1)", "Next unit", show=False),
        Binding("up", "units(-1)", "Previous unit", show=False),
        Binding("pagedown", "units(10)", "More units", show=False),
        Binding("pageup", "units(-10)", "Fewer units", show=False),
        # Grouped and short so the footer fits 80 columns; help shows the tooltips in full.
        Binding("left_square_bracket", "evaluation(-1)", "Earlier evaluation", key_display="[",
                group=_EVALUATIONS),
        Binding("right_square_bracket", "evaluation(1)", "Later evaluation", key_display="]",
                group=_EVALUATIONS),
        Binding("slash", "focus_text", "Type a text", key_display="/", show=False),
        Binding("escape", "leave_fields", "Back to the heatmap", show=False),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(id="inspect")
        self.workspace = workspace
        self.view = InspectView()
        self.text = ""
        self.sources: dict[str, Source] = {}
        self._wanted: dict[str, Path] = {}

    def compose(self) -> ComposeResult:
        yield NavBar()
        with Horizontal(id="inspect-source"):
            yield Select([], id="inspect-left", prompt="choose a run", allow_blank=True, compact=True)
            yield Select([], id="inspect-right", prompt="compare with (optional)", allow_blank=True,
                         compact=True)
        with Horizontal(id="inspect-text-row"):
            yield Input(placeholder="type a text and press enter (↵ is a line break), e.g. Schmidt",
                        id="inspect-text", compact=True)
            yield Select([], id="inspect-pick", prompt="or pick one", allow_blank=True, compact=True)
        yield Static("", id="inspect-info")
        with Horizontal(id="inspect-panes"):
            yield InspectPane(id="pane-left")
            yield InspectPane(id="pane-right")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#pane-right", InspectPane).display = False
        self.set_interval(WATCH_SECONDS, self._watch)
        self._show_info()

    def on_screen_resume(self) -> None:
        self.query_one("#inspect-text", Input).value = self.text.replace("\n", LINE_BREAK)
        if self.text:  # with a text to look at, the keys move through it (/ goes back to the text)
            self.call_after_refresh(self.set_focus, None)
        self._list_choices()

    def pane(self, side: str) -> InspectPane:
        return self.query_one(f"#pane-{side}", InspectPane)

    # Choosing runs and text
    def use(self, run_dir: Path, text: str | None = None) -> None:
        """Inspect `run_dir` (on `text`, when given) as soon as the list of runs is shown."""
        self._wanted["left"] = Path(run_dir)
        if text:
            self.text = text
            self.view.cursor = 0
        if self.is_current:
            self.on_screen_resume()

    @work(thread=True, exclusive=True, group="inspect-choices")
    def _list_choices(self) -> None:
        from workbench.runs.directory import list_runs

        records = list_runs(self.workspace.runs_dir)
        self.app.call_from_thread(self._show_choices, records)

    def _show_choices(self, records: list[RunRecord]) -> None:
        options = [(record.summary.run_id, str(record.run_dir)) for record in records]
        known = {value for _, value in options}
        for wanted in self._wanted.values():  # a run that has only just started may not be listed yet
            if str(wanted) not in known:
                options.insert(0, (wanted.name, str(wanted)))
                known.add(str(wanted))
        for side in SIDES:
            select = self.query_one(f"#inspect-{side}", Select)
            current = select.value
            wanted = self._wanted.pop(side, None)
            with select.prevent(Select.Changed):  # refreshing the list is not choosing a run
                select.set_options(options)
                value = str(wanted) if wanted is not None else current
                if isinstance(value, str) and value in known:
                    select.value = value
            if wanted is not None and str(wanted) in known:
                self._choose(side, wanted)

    def on_select_changed(self, event: Select.Changed) -> None:
        side = (event.select.id or "").removeprefix("inspect-")
        if side in SIDES:
            value = event.value
            if isinstance(value, str):
                if side not in self.sources or self.sources[side].run_dir != Path(value):
                    self._choose(side, Path(value))
            elif side == "right":
                self._drop_compare()
        elif side == "pick" and isinstance(event.value, str):
            self.query_one("#inspect-text", Input).value = event.value.replace("\n", LINE_BREAK)
            self._read_text(event.value)

    def _choose(self, side: str, run_dir: Path) -> None:
        from workbench.runs.directory import BEST_FILE

        stamp = checkpoint_stamp(run_dir)
        self.sources[side] = Source(run_dir, stamp=stamp)  # later changes of the checkpoint are news
        pane = self.pane(side)
        pane.display = True
        if stamp is None and not (run_dir / BEST_FILE).is_file():
            pane.clear(f"{run_dir.name} has no weights yet: they are read at its first evaluation.")
        else:
            pane.clear(f"loading {run_dir.name}…")
            self._load(side, run_dir, self.text)
        self._show()

    def _drop_compare(self) -> None:
        self.sources.pop("right", None)
        self.pane("right").clear("")
        self.pane("right").display = False
        self._show()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "inspect-text":
            self._read_text(event.value.replace(LINE_BREAK, "\n"))

    def _read_text(self, text: str) -> None:
        if not text.strip():
            self.notify("Type a text to inspect first.", severity="warning")
            return
        self.text = text
        self.view.cursor = 0
        for side, source in self.sources.items():
            self.pane(side).clear("reading…")
            self._inspect(side, source.run_dir, text, source.inspector)
        self.set_focus(None)  # arrows and letters now move through the inspection
        self._show()

    # Work on threads
    def _load(self, side: str, run_dir: Path, text: str, which: str | None = None) -> None:
        """Load the run's weights (and read `text` with them) on a worker thread."""
        which = which or self._weights_for(run_dir)
        first = self.sources[side].inspector is None
        self.run_worker(lambda: self._load_on_thread(side, run_dir, text, which, first), thread=True,
                        exclusive=True, group=f"inspect-load-{side}")

    def _inspect(self, side: str, run_dir: Path, text: str, inspector: Inspector | None) -> None:
        """Read `text` with weights already loaded, on a worker thread (nothing to do while loading)."""
        if inspector is not None:
            self.run_worker(lambda: self._inspect_on_thread(side, run_dir, text, inspector), thread=True,
                            exclusive=True, group=f"inspect-read-{side}")

    def _weights_for(self, run_dir: Path) -> str:
        """The latest weights of a run training in this app, else its best (its latest if it has none)."""
        from workbench.runs.directory import BEST_FILE

        training = any(track.run_dir == str(run_dir) and not track.finished
                       for track in self.workspace.board.tracks)
        return "last" if training or not (run_dir / BEST_FILE).is_file() else "best"

    def _load_on_thread(self, side: str, run_dir: Path, text: str, which: str, first: bool) -> None:
        from workbench.engine.trained import load_trained
        from workbench.inspection.inspector import Inspector

        try:
            trained = load_trained(run_dir, which=which, registry=self.workspace.registry)
            inspector = Inspector.of(trained)
            snapshot = _snapshot(inspector, text) if text.strip() else None
            picks = _picks(trained) if first and side == "left" else None
        except Exception as error:  # noqa: BLE001 - a broken run must not end the app
            self.app.call_from_thread(self._failed, side, run_dir, describe_error(error))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, side, run_dir, text, inspector, snapshot, picks)

    def _inspect_on_thread(self, side: str, run_dir: Path, text: str, inspector: Inspector) -> None:
        try:
            snapshot = _snapshot(inspector, text)
        except Exception as error:  # noqa: BLE001 - shown in the pane, the app keeps working
            self.app.call_from_thread(self._failed, side, run_dir, describe_error(error))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._read, side, run_dir, text, snapshot)

    # Back on the UI thread
    def _loaded(self, side: str, run_dir: Path, text: str, inspector: Inspector, snapshot: Snapshot | None,
                picks: list[tuple[str, str]] | None) -> None:
        source = self.sources.get(side)
        if source is None or source.run_dir != run_dir:
            return  # another run was chosen meanwhile
        source.inspector = inspector
        pane = self.pane(side)
        if picks is not None:
            self.query_one("#inspect-pick", Select).set_options(picks)
        if not self.text:
            pane.clear("Type a text above and press enter, or pick one.")
        elif snapshot is not None and text == self.text:
            pane.add(snapshot)
        else:
            self._inspect(side, run_dir, self.text, inspector)  # the text changed while loading
        self._show()

    def _read(self, side: str, run_dir: Path, text: str, snapshot: Snapshot) -> None:
        source = self.sources.get(side)
        if source is None or source.run_dir != run_dir or text != self.text:
            return
        self.pane(side).add(snapshot)
        self._show()

    def _failed(self, side: str, run_dir: Path, message: str) -> None:
        self.pane(side).clear(f"Cannot inspect {run_dir.name}: {message}")
        self.notify(message, title="Cannot inspect", severity="error", timeout=8)
        self._show()

    def _watch(self) -> None:
        """Timer: a run whose checkpoint changed is read again with its newest weights."""
        if not self.text:
            return
        for side, source in self.sources.items():
            stamp = checkpoint_stamp(source.run_dir)
            if stamp is not None and stamp != source.stamp:
                source.stamp = stamp
                self._load(side, source.run_dir, self.text, "last")

    # Drawing
    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        for side in SIDES:
            pane = self.pane(side)
            if pane.display:
                pane.show(self.view)
        self._show_info()

    def _show_info(self) -> None:
        left = self.pane("left")
        heatmap = left.heatmap(self.view)
        if heatmap is None:
            self.query_one("#inspect-info", Static).update(
                "Choose a run, then type or pick a text. ← → move along it · l layer · d direction · "
                "p probe · ↑ ↓ units · [ ] evaluations")
            return
        snapshot = left.current
        assert snapshot is not None
        inspection = snapshot.inspection
        help_text = inspection.probes.get(heatmap.key.probe, "")
        seen = len(left.history)
        following = "the newest" if left.chosen is None else f"number {left.chosen + 1}"
        self.query_one("#inspect-info", Static).update(
            f"{heatmap.key.probe} = {help_text} · {seen} evaluation{'s' if seen != 1 else ''} seen, "
            f"showing {following}")

    # Actions
    def _primary(self) -> Any:
        snapshot = self.pane("left").current
        return None if snapshot is None else snapshot.inspection

    def action_move(self, by: int) -> None:
        inspection = self._primary()
        if inspection is None:
            return
        self.view.cursor = max(0, min(len(inspection.reading) - 1, self.view.cursor + by))
        self._show()

    def action_layer(self) -> None:
        inspection = self._primary()
        if inspection is None:
            return
        layers = inspection.layers_recorded()
        current = layers[-1] if self.view.layer is None else self.view.layer
        following = layers.index(current) + 1 if current in layers else 0
        self.view.layer = layers[following % len(layers)]
        self.view.first_unit = 0
        self._show()

    def action_direction(self) -> None:
        inspection = self._primary()
        if inspection is None:
            return
        if inspection.directions == 1:
            self.notify("This model reads forwards only: it has one direction.")
            return
        self.view.direction = 1 - self.view.direction
        self.view.first_unit = 0
        self._show()

    def action_probe(self) -> None:
        heatmap = self.pane("left").heatmap(self.view)
        inspection = self._primary()
        if heatmap is None or inspection is None:
            return
        probes = inspection.probes_at(heatmap.key.layer, heatmap.key.direction)
        index = probes.index(heatmap.key.probe) if heatmap.key.probe in probes else -1
        self.view.probe = probes[(index + 1) % len(probes)]
        self.view.first_unit = 0
        self._show()

    def action_order(self) -> None:
        self.view.order = "active" if self.view.order == "varying" else "varying"
        self._show()

    def action_units(self, by: int) -> None:
        heatmap = self.pane("left").heatmap(self.view)
        if heatmap is None:
            return
        self.view.first_unit = max(0, min(len(heatmap.units) - 1, self.view.first_unit + by))
        self._show()

    def action_evaluation(self, by: int) -> None:
        for side in SIDES:
            self.pane(side).step(by)
        self._show()

    def action_focus_text(self) -> None:
        self.query_one("#inspect-text", Input).focus()

    def action_leave_fields(self) -> None:
        self.set_focus(None)


def _snapshot(inspector: Inspector, text: str) -> Snapshot:
    inspection = inspector.inspect(text)
    label = f"step {inspection.step}" if inspection.step is not None else "best weights"
    return Snapshot(label, inspection)


def _picks(trained: Any) -> list[tuple[str, str]]:
    """Texts to pick: the run's latest sample (generating runs) and a few validation examples."""
    from workbench.errors import CorpusError
    from workbench.inspection.passages import validation_documents
    from workbench.runs.directory import SAMPLES_FILE

    picks: list[tuple[str, str]] = []
    samples = trained.run_dir / SAMPLES_FILE
    if trained.task.form == "generation" and samples.is_file():
        latest = samples.read_text(encoding="utf-8").rsplit("--- step", 1)[-1].split("\n", 1)[-1].strip()
        if latest:
            picks.append((f"latest sample: {latest[:40]!r}", latest[:PICKED_CHARACTERS]))
    try:
        documents, _ = validation_documents(trained)
    except CorpusError:
        return picks  # without its corpus a run still reads typed text
    for document in documents[:VALIDATION_PICKS]:
        text = document.opening + document.passage.text[:PICKED_CHARACTERS]
        picks.append((f"validation: {text[:40]!r}", text))
    return picks
