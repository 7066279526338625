"""The help screen: every key binding, grouped by where it works, plus how the app is laid out."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "Pick a dataset, a task and one or more cells on Set-up, then start: the runs train one after "
    "another and share the Live chart and the Compare table. Runs lists what is on disk; Model "
    "classifies a typed name or generates text with any trained run. Tab moves between fields."
)


class HelpScreen(ModalScreen[None]):
    """Lists (where, key, action) rows; escape, q or F1 closes it."""

    BINDINGS = [Binding("escape,q,f1", "close", "Close help")]

    def __init__(self, bindings: list[tuple[str, str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_edge=False, pad_edge=False)
        table.add_column("where", style="dim", no_wrap=True)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        for where, key, description in self.bindings:
            table.add_row(where, key, description)
        with VerticalScroll(classes="dialog help-dialog"):
            yield Static("[b]workbench — keys[/b]  (escape closes)", classes="dialog-title")
            yield Static(INTRO, classes="help-intro")
            yield Static(table, classes="help-table")

    def action_close(self) -> None:
        self.dismiss(None)
