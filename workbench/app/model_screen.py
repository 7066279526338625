"""Use a trained model: classify a typed name, or generate text from a prompt as it streams.

Any run can be used, from this session or from the runs directory. Loading, predicting and
sampling run on worker threads; generated characters reach the screen in small batches. Characters
the model's vocabulary lacks are marked where they are typed and named beside the answer: the model
reads each of them as unknown, so its answer says nothing about them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.highlighter import Highlighter
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, Input, Select, Static
from textual.worker import get_current_worker

from workbench.app.nav_bar import NavBar
from workbench.app.param_form import ParamField
from workbench.app.requests import InspectRun
from workbench.app.workspace import Workspace
from workbench.errors import ConfigError, WorkbenchError, describe_error
from workbench.formatting import format_percent
from workbench.params import Param
from workbench.sampling_settings import TEMPERATURE, TOP_K

if TYPE_CHECKING:
    from workbench.runs.directory import RunRecord

TOP = 5
FLUSH_SECONDS = 0.05
NAME_HINT = "Type a name above: the model ranks the languages it may come from."
UNKNOWN_STYLE = "bold white on red"
SAMPLING_PARAMS = (
    TEMPERATURE,
    Param("length", int, 200, "characters to generate", min=1, max=10000),
    TOP_K,
    Param("seed", int, 0, "the same seed gives the same text; 0 = a fresh draw each time", min=0),
)


class UnknownCharacters(Highlighter):
    """Marks, in a text being typed, the characters the loaded model cannot read."""

    def __init__(self) -> None:
        self.model: Any = None  # a workbench.engine.trained.Trained, once one is loaded

    def highlight(self, text: Text) -> None:
        if self.model is None:
            return
        unknown = set(self.model.unknown_characters(text.plain))
        for index, char in enumerate(text.plain):
            if char in unknown:
                text.stylize(UNKNOWN_STYLE, index, index + 1)


class ModelScreen(Screen):
    """Pick a run, load its best weights, then type."""

    BINDINGS = [
        Binding("ctrl+l", "load", "Load run", priority=True),
        Binding("ctrl+g", "generate", "Generate", priority=True),
        Binding("ctrl+t", "inspect", "Inspect this text", priority=True),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(id="model")
        self.workspace = workspace
        self.trained: Any = None
        self.loaded_dir: Path | None = None
        self._wanted: Path | None = None
        self.generated_text = Text()
        self.unknown = UnknownCharacters()

    def compose(self) -> ComposeResult:
        yield NavBar()
        with Horizontal(id="model-source"):
            yield Select([], id="model-run", prompt="choose a run", allow_blank=True, compact=True)
            yield Button("Load", id="load-run", compact=True)
        yield Static("No model loaded.", id="model-info")
        with ContentSwitcher(id="model-panes", initial="model-empty"):
            yield Static("Choose a run above and load it (ctrl+l): a classifier ranks the languages of "
                         "a name you type; a generator continues a prompt.", id="model-empty")
            with Vertical(id="classify-pane"):
                yield Input(placeholder="type a name, e.g. Rossi", id="name-input", highlighter=self.unknown)
                yield Static("", id="name-warning", classes="unknown-warning")
                yield Static(Text(NAME_HINT, style="dim"), id="predictions")
            with Vertical(id="generate-pane"):
                yield Input(placeholder="a prompt, e.g. nel mezzo del cammin", id="prompt",
                            highlighter=self.unknown)
                yield Static("", id="prompt-warning", classes="unknown-warning")
                with Horizontal(id="generate-options"):
                    for param in SAMPLING_PARAMS:
                        yield ParamField(param, "sample", id=f"option-{param.name}")
                with VerticalScroll(id="generated-scroll"):
                    yield Static("", id="generated")
        yield Footer(compact=True)

    def on_screen_resume(self) -> None:
        self._list_choices()

    @work(thread=True, exclusive=True, group="model-choices")
    def _list_choices(self) -> None:
        from workbench.runs.directory import list_runs

        records = list_runs(self.workspace.runs_dir)
        self.app.call_from_thread(self._show_choices, records)

    def _show_choices(self, records: list[RunRecord]) -> None:
        options: list[tuple[str, str]] = []
        seen: set[str] = set()
        for track in reversed(self.workspace.board.tracks):
            if track.run_dir and track.run_dir not in seen:
                options.append((f"this session: {track.label} · {Path(track.run_dir).name}", track.run_dir))
                seen.add(track.run_dir)
        for record in records:
            if str(record.run_dir) not in seen:
                options.append((f"{record.summary.run_id} · {record.summary.status}", str(record.run_dir)))
                seen.add(str(record.run_dir))
        select = self.query_one("#model-run", Select)
        current = select.value
        select.set_options(options)
        wanted = str(self._wanted) if self._wanted else current
        if isinstance(wanted, str) and wanted in seen:
            select.value = wanted
        elif options:
            select.value = options[0][1]  # the newest run of this session, else the newest on disk
        if self._wanted is not None:
            self._wanted = None
            self.action_load()

    def use(self, run_dir: Path) -> None:
        """Load `run_dir` as soon as the list of runs is shown."""
        self._wanted = Path(run_dir)
        if self.is_current:
            self._list_choices()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "load-run":
            self.action_load()

    def action_load(self) -> None:
        value = self.query_one("#model-run", Select).value
        if not isinstance(value, str):
            self.notify("Choose a run in the list first.", severity="warning")
            return
        self.query_one("#model-info", Static).update(Text(f"loading {Path(value).name}…"))
        self._load(Path(value))

    @work(thread=True, exclusive=True, group="model-load")
    def _load(self, run_dir: Path) -> None:
        try:
            from workbench.engine.trained import load_trained

            trained = load_trained(run_dir, registry=self.workspace.registry)
        except Exception as error:  # noqa: BLE001 - a broken checkpoint must not end the app
            self.app.call_from_thread(self._failed, f"Cannot use {run_dir.name}: {describe_error(error)}")
            return
        self.app.call_from_thread(self._loaded, run_dir, trained)

    def _failed(self, message: str) -> None:
        self.query_one("#model-info", Static).update(Text(message, style="red"))
        self.notify(message, severity="error", timeout=8)

    def _loaded(self, run_dir: Path, trained: Any) -> None:
        self.trained, self.loaded_dir = trained, run_dir
        self.unknown.model = trained
        task = trained.task
        classifies = getattr(task, "form", "") == "classification"
        self.query_one("#model-info", Static).update(Text(
            f"{run_dir.name}: task {task.name}, "
            + ("type a name below." if classifies else "type a prompt and press enter (or ctrl+g).")
            + (f"\n{trained.note}" if trained.note else "")))
        pane = "classify-pane" if classifies else "generate-pane"
        self.query_one(ContentSwitcher).current = pane
        typed = self.query_one("#name-input" if classifies else "#prompt", Input)
        typed.focus()
        typed.refresh()  # its marks follow the new model's vocabulary
        self._typed(typed.id or "", typed.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._typed(event.input.id or "", event.value)

    def _typed(self, input_id: str, text: str) -> None:
        """Name the characters the model cannot read; for a name, rank its classes or show a hint."""
        if self.trained is None or input_id not in ("name-input", "prompt"):
            return
        warning = "#name-warning" if input_id == "name-input" else "#prompt-warning"
        self.query_one(warning, Static).update(Text(self.trained.unknown_note(text), style="yellow"))
        if input_id == "name-input":
            self._classify(text, self.trained.unknown_characters(text))

    def action_inspect(self) -> None:
        """Open the Inspect screen on this run and the text in view: the typed name or the written text."""
        if self.loaded_dir is None:
            self.notify("Load a run first (ctrl+l).", severity="warning")
            return
        classifies = self.query_one(ContentSwitcher).current == "classify-pane"
        text = self.query_one("#name-input", Input).value if classifies else self.generated_text.plain
        self.post_message(InspectRun(self.loaded_dir, text or None))

    # Classifying
    def _classify(self, text: str, unknown: list[str]) -> None:
        predictions = self.query_one("#predictions", Static)
        if not text.strip():
            self.workers.cancel_group(self, "predict")  # an answer for older text must not land
            predictions.update(Text(NAME_HINT, style="dim"))
        elif all(char in unknown or char.isspace() for char in text):
            self.workers.cancel_group(self, "predict")
            predictions.update(Text("The model can read none of these characters: there is nothing "
                                    "to rank.", style="dim"))
        else:
            self._predict(text)

    @work(thread=True, exclusive=True, group="predict")
    def _predict(self, text: str) -> None:
        try:
            ranked = self.trained.predict(text, TOP)
        except WorkbenchError as error:
            self.app.call_from_thread(self._failed, str(error))
            return
        if not get_current_worker().is_cancelled:  # a newer keystroke has its own answer coming
            self.app.call_from_thread(self._show_predictions, ranked)

    def _show_predictions(self, ranked: list[tuple[str, float]]) -> None:
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, justify="right")
        table.add_column(no_wrap=True)
        for label, probability in ranked:
            bar = Text("█" * max(1, round(probability * 30)), style="green")
            table.add_row(Text(label), format_percent(probability, 1), bar)
        self.query_one("#predictions", Static).update(table)

    # Generating
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "prompt":
            self.action_generate()

    def action_generate(self) -> None:
        if self.trained is None or self.query_one(ContentSwitcher).current != "generate-pane":
            self.notify("Load a run with a generating task first (ctrl+l).", severity="warning")
            return
        try:
            options = {field.param.name: field.value for field in self.query(ParamField)}
        except ConfigError as error:
            self.notify(str(error), title="Cannot generate", severity="error")
            return
        prompt = self.query_one("#prompt", Input).value
        self.generated_text = Text()
        self.unknown = UnknownCharacters()
        self.generated_text.append(prompt, style="bold")
        self.query_one("#generated", Static).update(self.generated_text)
        self._sample(prompt, options)

    @work(thread=True, exclusive=True, group="sample")
    def _sample(self, prompt: str, options: dict[str, Any]) -> None:
        worker = get_current_worker()
        chunk: list[str] = []
        flushed = time.monotonic()
        try:
            for char in self.trained.sample(prompt, options["length"], options["temperature"],
                                            options["top_k"], options["seed"] or None):
                if worker.is_cancelled:
                    return
                chunk.append(char)
                if time.monotonic() - flushed >= FLUSH_SECONDS:
                    self.app.call_from_thread(self._append, "".join(chunk))
                    chunk, flushed = [], time.monotonic()
        except WorkbenchError as error:
            self.app.call_from_thread(self._failed, str(error))
            return
        self.app.call_from_thread(self._append, "".join(chunk))

    def _append(self, text: str) -> None:
        self.generated_text.append(text)
        self.query_one("#generated", Static).update(self.generated_text)
        self.query_one("#generated-scroll", VerticalScroll).scroll_end(animate=False)
