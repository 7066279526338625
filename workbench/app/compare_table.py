"""The comparison table: one row per run on the board, filled in from each run's summary."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from workbench.app.tracking import RunTrack, format_number
from workbench.formatting import format_duration

COLUMNS = ("run", "status", "metric", "val loss", "wall time", "parameters", "tokens/s", "steps")


class CompareTable(DataTable):
    """Rows follow the board's order (the order runs joined), so colours and rows stay put."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        for column in COLUMNS:
            self.add_column(column, key=column)

    def show(self, tracks: list[RunTrack]) -> None:
        keys = [str(id(track)) for track in tracks]
        for row_key in list(self.rows):
            if row_key.value not in keys:
                self.remove_row(row_key)
        for key, track in zip(keys, tracks, strict=True):
            cells = compare_row(track)
            if key in self.rows:
                for column, value in zip(COLUMNS, cells, strict=True):
                    self.update_cell(key, column, value, update_width=True)
            else:
                self.add_row(*cells, key=key)


def compare_row(track: RunTrack) -> tuple[Text | str, ...]:
    """The numbers of one run: the summary's once finished, the latest values meanwhile."""
    summary = track.summary or {}
    metric_name = summary.get("metric") or _metric_name(track)
    validation = summary.get("final_validation") or summary.get("best_validation") or track.metrics
    best = summary.get("best_validation") or validation
    metric = best.get(metric_name) if metric_name else None
    return (
        Text("● ", style=track.colour) + Text(track.label),
        track.state,
        f"{metric_name} {format_number(metric)}" if metric_name else "–",
        format_number(validation.get("loss")),
        format_duration(summary.get("wall_time", track.elapsed if track.step else None)),
        format_number(summary.get("parameters", track.parameters)),
        format_number(summary.get("tokens_per_second", track.tokens_per_second)),
        format_number(summary.get("steps", track.step)),
    )


def _metric_name(track: RunTrack) -> str | None:
    for name in ("accuracy", "bpc", "perplexity"):
        if name in track.metrics:
            return name
    others = [name for name in track.metrics if name != "loss"]
    return others[0] if others else None
