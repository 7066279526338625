"""The comparison table: one row per run on the board, built by `workbench.runs.comparison` like the CLI's.

Every validation number of a row comes from the run's best evaluation (the best so far while it
trains, by the metric and direction its RunStarted event named); the table's caption on the
Compare tab says so.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from workbench.app.tracking import RunTrack
from workbench.runs.comparison import compare_cells, compare_headers
from workbench.summary import RunSummary


def compare_rows(tracks: list[RunTrack]) -> list[RunSummary]:
    return [track.standing() for track in tracks]


def row_cells(track: RunTrack, rows: list[RunSummary], row: RunSummary) -> tuple[Text | str, ...]:
    """The cells of one run: its coloured label, then the shared comparison cells."""
    return (Text("● ", style=track.colour) + Text(track.label), *compare_cells(row, rows))


class CompareTable(DataTable):
    """Rows follow the board's order (the order runs joined), so colours and rows stay put."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.headers: tuple[str, ...] = ()

    def show(self, tracks: list[RunTrack]) -> None:
        rows = compare_rows(tracks)
        headers = ("run", *compare_headers(rows))
        if headers != self.headers:  # a metric's name heads its column only while all runs share it
            self.clear(columns=True)
            for index, header in enumerate(headers):
                self.add_column(header, key=str(index))
            self.headers = headers
        keys = [str(id(track)) for track in tracks]
        for row_key in list(self.rows):
            if row_key.value not in keys:
                self.remove_row(row_key)
        for key, track, row in zip(keys, tracks, rows, strict=True):
            cells = row_cells(track, rows, row)
            if key in self.rows:
                for index, value in enumerate(cells):
                    self.update_cell(key, str(index), value, update_width=True)
            else:
                self.add_row(*cells, key=key)
