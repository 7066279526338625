"""A classifier's per-class accuracy and confusion matrix, read from its summary.

The test split (scored on the best weights) is shown when the run was tested; otherwise its best
validation. Rows are the true classes and columns the predicted ones, as `workbench.metrics` counts
them; each row's cells are shaded by their share of that class's examples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from workbench.formatting import format_count, format_percent
from workbench.summary import RunSummary

_WIDE = Console(width=1000)  # measures a table's natural width
_NO_REPORT = ("This run has no per-class numbers: they come from a classifying task once the run "
              "has been evaluated.")


def class_evaluation(summary: RunSummary) -> tuple[str, Mapping[str, Any]] | None:
    """(which evaluation, its metrics) holding a confusion matrix, or None when there is none."""
    best = summary.best
    choices = (("test split, best weights", summary.test),
               (f"validation, best evaluation (step {best.step if best.step is not None else '?'})",
                best.metrics))
    for title, metrics in choices:
        if metrics.get("confusion") and metrics.get("classes"):
            return title, metrics
    return None


def class_report(summary: RunSummary) -> tuple[RenderableType, int | None]:
    """Per-class accuracy with its support, beside the confusion matrix, under a title naming the
    evaluation, and the width it needs (the view scrolls sideways rather than crop it); a line of
    explanation, to wrap at any width, for a run that has none."""
    found = class_evaluation(summary)
    if found is None:
        return Text(_NO_REPORT, style="dim"), None
    title, metrics = found
    classes: list[str] = list(metrics["classes"])
    confusion: list[list[int]] = metrics["confusion"]
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), show_edge=False)
    table.add_column("true class", no_wrap=True, style="bold")
    table.add_column("right", justify="right", no_wrap=True)
    table.add_column("of", justify="right", no_wrap=True)
    for name in classes:
        table.add_column(name[:3], justify="right", no_wrap=True)
    for row, name in enumerate(classes):
        counts = confusion[row]
        support = sum(counts)
        table.add_row(name, _accuracy(counts[row], support), format_count(support),
                      *(_count(count, support, column == row) for column, count in enumerate(counts)))
    width = Measurement.get(_WIDE, _WIDE.options, table).maximum
    heading = Text.assemble(("Per class · ", "bold"), (title, "bold"),
                            (f" · accuracy {format_percent(metrics.get('accuracy', 0), 1)}", "dim"))
    legend = Text("right: its examples predicted right, of how many; columns: the predicted class",
                  style="dim")
    return Group(heading, legend, table), width


def _accuracy(right: int, support: int) -> Text:
    if not support:
        return Text("–", style="dim")
    share = right / support
    return Text(format_percent(share), style="green" if share >= 0.5 else "red")


def _count(count: int, support: int, diagonal: bool) -> Text:
    """A cell of the matrix: right answers green, confusions red, brighter the larger their share."""
    if count == 0:
        return Text("·", style="grey30")
    share = count / support if support else 0.0
    colour = "green" if diagonal else "red"
    return Text(format_count(count), style=colour if share >= 0.2 else f"dim {colour}")
