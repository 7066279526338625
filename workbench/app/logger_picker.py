"""The set-up screen's choice of loggers: the installed ones as a list, picked with space.

The always-on `jsonl` logger is not offered: every run writes metrics.jsonl, which the app reads
back. A third-party logger appears here once installed, with no app change.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, SelectionList, Static

from workbench.app.tick_list import TickList


class LoggerPicker(Vertical):
    """A titled list of logger names; `chosen` is what a run writes to besides metrics.jsonl."""

    def __init__(self, names: Iterable[str], *, id: str | None = None) -> None:
        super().__init__(id=id, classes="param-form")
        self.names = list(names)

    def compose(self) -> ComposeResult:
        yield Label("loggers", classes="form-title")
        yield Static("metrics.jsonl is always written; space picks more", classes="picker-help")
        yield TickList(*((name, name) for name in self.names), id="loggers")

    @property
    def chosen(self) -> list[str]:
        return list(self.query_one("#loggers", SelectionList).selected)

    def choose(self, names: Iterable[str]) -> None:
        chooser = self.query_one("#loggers", SelectionList)
        chooser.deselect_all()
        for name in names:
            chooser.select(name)
