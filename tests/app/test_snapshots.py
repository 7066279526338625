"""SVG snapshots of the main screens at 80x24 and 120x40, from fixed data only."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import (
    follow_synthetic_study,
    make_app,
    ready,
    show_synthetic_compare,
    wait_for,
    write_synthetic_runs,
)
from textual.widgets import DataTable

SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_setup_screen(snap_compare, tiny_corpora: Path, tmp_path: Path, size) -> None:
    assert snap_compare(make_app(tmp_path / "runs"), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_live_compare_of_three_cells(snap_compare, tiny_corpora: Path, tmp_path: Path, utc, size) -> None:
    async def compare(pilot) -> None:  # noqa: ANN001 - the snapshot plugin's Pilot
        await ready(pilot)
        show_synthetic_compare(pilot.app)
        await pilot.press("f3", "t")
        await pilot.pause()

    assert snap_compare(make_app(tmp_path / "runs"), terminal_size=size, run_before=compare)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_live_screen_following_a_small_study(snap_compare, tiny_corpora: Path, tmp_path: Path, monkeypatch,
                                             utc, size) -> None:
    """Two cells with two seeds each: three trials done, the fourth half way; each cell's seeds are
    thin lines around their thick mean, and the compare tab lists every trial, then the statistics."""
    monkeypatch.chdir(tmp_path)  # the trials' directories are named as the runs directory is given
    runs_dir = Path("runs")

    async def following(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        follow_synthetic_study(pilot.app, runs_dir)
        await pilot.press("f3", "t")
        statistics = pilot.app.live_screen.statistics
        await wait_for(pilot, lambda: statistics.display, "the statistics over seeds")
        await pilot.pause()

    assert snap_compare(make_app(runs_dir), terminal_size=size, run_before=following)


def test_live_samples_while_training(snap_compare, tiny_corpora: Path, tmp_path: Path, utc) -> None:
    async def training(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        show_synthetic_compare(pilot.app, finished=2)
        await pilot.press("f3", "s")
        await pilot.pause()

    assert snap_compare(make_app(tmp_path / "runs"), terminal_size=(120, 40), run_before=training)


def test_runs_screen(snap_compare, tiny_corpora: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the screen names the runs directory as given: keep it the same
    runs_dir = Path("runs")
    write_synthetic_runs(runs_dir)

    async def opened(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("f4")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.opened is not None, "the first run to open")
        await pilot.app.workers.wait_for_complete()  # a second listing may still be refilling the table
        table = screen.query_one(DataTable)
        # The table measures its rows when it is next idle, which a loaded machine can delay past the
        # screenshot: wait until the run column is as wide as the run ids it holds.
        widest = max(len(record.summary.run_id) for record in screen.records)
        await wait_for(pilot, lambda: table.columns["run"].content_width >= widest, "the columns measured")
        await pilot.pause()

    assert snap_compare(make_app(runs_dir), terminal_size=(120, 40), run_before=opened)


def test_help_screen(snap_compare, tiny_corpora: Path, tmp_path: Path) -> None:
    async def help_open(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        await pilot.press("f1")

    assert snap_compare(make_app(tmp_path / "runs"), terminal_size=(80, 24), run_before=help_open)
