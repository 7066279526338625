"""One model's inspection of the text on the Inspect screen: the reading and the heatmap around the cursor.

The pane keeps every inspection it was given (one per evaluation while a run trains) and draws the
one the evaluation slider points at. It draws only the columns and unit rows that fit, so moving the
cursor or paging units costs a few hundred cells whatever the text's length or the layer's width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:  # the inspection modules import torch: the app loads them only when first used
    from workbench.inspection.heatmap import Heatmap
    from workbench.inspection.inspector import Inspection

LABEL = 9  # "L1 u255" and a space
CLASS_ROWS = 3


@dataclass
class InspectView:
    """What both panes show: the cursor, the layer (None: the last), direction, probe and units."""

    cursor: int = 0
    layer: int | None = None
    direction: int = 0
    probe: str = "hidden"  # workbench.inspection.probes.HIDDEN, which every cell records
    order: str = "varying"
    first_unit: int = 0


@dataclass(frozen=True)
class Snapshot:
    """An inspection and the weights it was read with ("step 600", "best")."""

    label: str
    inspection: Inspection


class InspectPane(Static):
    """A model's inspections over time, drawn for the current view."""

    def __init__(self, id: str) -> None:  # noqa: A002 - Textual's name for it
        super().__init__("", id=id, classes="inspect-pane")
        self.history: list[Snapshot] = []
        self.chosen: int | None = None  # index into history; None follows the newest
        self.message = ""
        self._heatmaps: dict[tuple[int, int, int, str, str], Heatmap] = {}

    @property
    def current(self) -> Snapshot | None:
        if not self.history:
            return None
        return self.history[-1 if self.chosen is None else self.chosen]

    def clear(self, message: str) -> None:
        self.history, self.chosen, self.message = [], None, message
        self._heatmaps.clear()

    def add(self, snapshot: Snapshot) -> None:
        """Keep a new inspection; the pane shows it unless the slider was moved back."""
        self.history.append(snapshot)
        self.message = ""

    def step(self, by: int) -> None:
        """Move the evaluation slider; reaching the newest follows new evaluations again."""
        if not self.history:
            return
        index = len(self.history) - 1 if self.chosen is None else self.chosen
        index = max(0, min(len(self.history) - 1, index + by))
        self.chosen = None if index == len(self.history) - 1 else index

    def heatmap(self, view: InspectView) -> Heatmap | None:
        """The heatmap for the view; a probe or layer this model lacks falls back to what it has."""
        from workbench.inspection.heatmap import choose_heatmap
        from workbench.inspection.probes import HIDDEN

        snapshot = self.current
        if snapshot is None:
            return None
        inspection = snapshot.inspection
        layers = inspection.layers_recorded()
        layer = layers[-1] if view.layer is None or view.layer not in layers else view.layer
        direction = min(view.direction, inspection.directions - 1)
        probe = view.probe if view.probe in inspection.probes_at(layer, direction) else HIDDEN
        key = (id(inspection), layer, direction, probe, view.order)
        if key not in self._heatmaps:
            self._heatmaps[key] = choose_heatmap(inspection, layer, direction, probe, 0, view.order)
        return self._heatmaps[key]

    def show(self, view: InspectView) -> None:
        self.update(self.picture(view))

    def picture(self, view: InspectView) -> RenderableType:
        from workbench.inspection.heatmap import DIRECTIONS
        from workbench.inspection.reading import NEXT_TOKEN
        from workbench.inspection.render import (
            Scale,
            class_rows,
            header,
            position_detail,
            surprisal_row,
            unit_label,
            value_row,
        )

        snapshot = self.current
        if snapshot is None:
            return Text(self.message or "Nothing inspected yet.", style="dim")
        inspection, reading = snapshot.inspection, snapshot.inspection.reading
        heatmap = self.heatmap(view)
        assert heatmap is not None
        columns = max(4, self.size.width - LABEL)
        cursor = min(view.cursor, len(reading) - 1)
        start = max(0, min(cursor - columns // 2, len(reading) - columns))
        position = len(self.history) - 1 if self.chosen is None else self.chosen
        seen = f" ({position + 1}/{len(self.history)})" if len(self.history) > 1 else ""
        title = Text.assemble((inspection.title, "bold"), (f" · {snapshot.label}{seen}", "dim"))
        lines: list[RenderableType] = [title, header(reading.tokens, start, columns, cursor,
                                                     label_width=LABEL)]
        if reading.kind == NEXT_TOKEN:
            lines.append(surprisal_row(reading, start, columns, cursor, LABEL))
        else:
            scale = Scale(0.0, 1.0, False)
            for label, values in class_rows(reading, CLASS_ROWS):
                lines.append(value_row(label, values, scale, start, columns, cursor, LABEL))
        lines.append(position_detail(reading, cursor))
        if heatmap.key.probe != view.probe:
            lines.append(Text(f"no {view.probe} here: showing hidden", style="yellow"))
        first = min(view.first_unit, max(0, len(heatmap.units) - 1))
        room = max(1, self.size.height - len(lines) - 1)
        rows = range(first, min(len(heatmap.units), first + room))
        key = heatmap.key
        caption = (f"layer {key.layer} · {DIRECTIONS[key.direction]} · {key.probe} · units {first + 1}–"
                   f"{rows.stop} of {heatmap.total} · {heatmap.order}")
        lines.append(Text(caption, style="dim"))
        scale = Scale.of(heatmap.values)
        for row in rows:
            lines.append(value_row(unit_label(heatmap, row), heatmap.values[row].tolist(), scale, start,
                                   columns, cursor, LABEL))
        return Group(*lines)
