"""Under the comparison table: statistics over seeds, when finished runs on the board differ only
by their seed (runs of a seeds study added from the runs screen, for instance)."""

from __future__ import annotations

from pathlib import Path

from rich.console import RenderableType
from rich.text import Text
from textual.widgets import Static

from workbench.app.tracking import FINAL_STATES, RunTrack
from workbench.errors import CheckpointError, WorkbenchError
from workbench.runs.directory import read_run


class SeedStatistics(Static):
    """Hidden until two finished runs on the board differ only by seed; read again only when the
    set of finished runs changes, not on every repaint."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.display = False
        self._finished: tuple[str, ...] = ()

    def show(self, tracks: list[RunTrack]) -> None:
        finished = tuple(sorted(track.run_dir for track in tracks
                                if track.run_dir and track.state in FINAL_STATES))
        if finished == self._finished:
            return
        self._finished = finished
        view = seed_statistics_view([Path(run_dir) for run_dir in finished])
        self.display = view is not None
        if view is not None:
            self.update(view)


def seed_statistics_view(run_dirs: list[Path]) -> RenderableType | None:
    """The statistics table and verdict for these runs, or None when no two differ only by seed."""
    from workbench.studies.grouping import seed_groups
    from workbench.studies.report import statistics_view
    from workbench.studies.statistics import compare_groups

    records = []
    for run_dir in run_dirs:
        try:
            records.append(read_run(run_dir))
        except CheckpointError:
            continue  # gone or damaged: it has no numbers to add
    groups = seed_groups(records)
    if groups is None:
        return None
    try:
        return statistics_view(compare_groups(groups))
    except WorkbenchError as error:  # the studies extra is missing: say how to install it
        return Text(str(error), style="dim")
