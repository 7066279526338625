"""The numbers of one run at a glance: progress, losses, task metrics, throughput and ETA.

While a run trains it shows the latest values, its elapsed time and ETA running on between steps;
once it has finished it shows the run's summary, so the final numbers on screen are exactly the
ones written to summary.json.
"""

from __future__ import annotations

import time
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from workbench.app.tracking import RunTrack
from workbench.formatting import format_duration, format_number

_BAR_WIDTH = 12


class MetricsPanel(Static):
    """Shows one RunTrack (or a hint when there is none)."""

    def show(self, track: RunTrack | None, waiting: int = 0, live: bool = False) -> None:
        """`live`: the run is training in this app now, so its clock runs on between events."""
        if track is None:
            self.update(Text("No run yet.\nPress F2 to set one up.", style="dim"))
            return
        self.update(_render(track, waiting, live))


def _render(track: RunTrack, waiting: int, live: bool) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True, min_width=12)
    table.add_column(no_wrap=True, overflow="ellipsis")
    title = Text("● ", style=track.colour) + Text(track.label, style="bold")
    table.add_row(title, Text(track.state, style=_state_style(track.state)))
    table.add_row("task", f"{track.task} on {track.dataset}")
    table.add_row("step", _progress(track))
    table.add_row("epoch", str(track.epoch))
    table.add_row("train loss", format_number(track.loss))
    for name, value in _validation(track).items():
        table.add_row(f"val {name}", format_number(value))
    summary = track.summary
    table.add_row("tokens/s", format_number(_final_or(summary and summary.tokens_per_second,
                                                      track.tokens_per_second)))
    moment = time.monotonic()
    elapsed = track.clock.elapsed_at(moment) if live else track.elapsed
    table.add_row("elapsed", format_duration(_final_or(summary and summary.wall_time, elapsed)))
    if not track.finished:
        table.add_row("ETA", format_duration(track.clock.eta_at(moment) if live else track.eta_seconds))
    table.add_row("parameters", format_number(_final_or(summary and summary.parameters, track.parameters)))
    if waiting:
        table.add_row("queue", f"{waiting} waiting")
    if track.error:
        table.add_row(Text("error", style="red"), Text(track.error, style="red"))
    return table


def _final_or(final: Any, live: Any) -> Any:
    """The summary's number where it has one (a failed run's has few), else the live one."""
    return final if final is not None else live


def _validation(track: RunTrack) -> dict[str, Any]:
    """The summary's final validation numbers once finished, else the latest evaluation."""
    if track.summary is not None and track.summary.final.metrics:
        return {k: v for k, v in track.summary.final.metrics.items() if isinstance(v, (int, float))}
    return track.metrics


def _progress(track: RunTrack) -> Text:
    if not track.total_steps:
        return Text(format_number(track.step))
    done = min(1.0, track.step / track.total_steps)
    filled = round(done * _BAR_WIDTH)
    bar = Text("━" * filled, style=track.colour) + Text("━" * (_BAR_WIDTH - filled), style="grey30")
    return Text(f"{format_number(track.step)}/{format_number(track.total_steps)} ") + bar


def _state_style(state: str) -> str:
    return {"running": "green", "paused": "yellow", "failed": "bold red", "completed": "bold green",
            "stopped": "yellow", "early-stopped": "green"}.get(state, "dim")
