"""A line under a dataset's form that says, while the path is typed, what the path holds.

A dataset that reads a path a person gives (`text`, `labelled`) implements
`Dataset.summarise_source`; this widget calls it on a thread (a large corpus takes a moment to
read) and shows either what it found, such as `2 files · 1,204,311 characters · 14 documents`, or
what is wrong, in red.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.widgets import Static
from textual.worker import get_current_worker

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.datasets import Dataset


def summarises_its_source(dataset: type[Dataset]) -> bool:
    """Whether the dataset can say what a path holds (it overrides `Dataset.summarise_source`)."""
    from workbench.datasets import Dataset  # the app starts without the plugin contracts loaded

    return dataset.summarise_source is not Dataset.summarise_source


class SourcePreview(Static):
    """What the dataset's options point at: counts when it reads well, the problem when not."""

    def __init__(self, dataset: type[Dataset]) -> None:
        super().__init__("", classes="source-preview")
        self.dataset = dataset

    @work(thread=True, exclusive=True, group="source-preview")
    def show_for(self, options: dict[str, Any]) -> None:
        """Inspect the source the options name; only the newest request's answer is shown."""
        try:
            summary = self.dataset(options).summarise_source()
            text, good = (f"found {summary.describe()}" if summary else ""), True
        except (WorkbenchError, OSError) as error:
            text, good = str(error), False
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, text, good)

    def _show(self, text: str, good: bool) -> None:
        self.update(Text(text))
        self.set_class(not good, "-invalid")
