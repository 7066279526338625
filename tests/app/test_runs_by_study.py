"""The runs screen grouped by study: a heading row above each study's runs, its summary beside
the table when highlighted, and `a` on it adds all of the study's runs to the comparison."""

from __future__ import annotations

import json
from pathlib import Path

from app_support import pilot_test, ready, wait_for, write_synthetic_runs
from rich.console import Console

from workbench.app.study_headings import OUTSIDE, StudyHeading, heading_cells, with_headings
from workbench.runs.directory import SUMMARY_FILE, list_runs


def label_runs(run_dirs: list[Path], study: str) -> None:
    for trial, run_dir in enumerate(run_dirs):
        summary = json.loads((run_dir / SUMMARY_FILE).read_text())
        summary["labels"] = {"study": study, "trial": trial, "host": "here"}
        (run_dir / SUMMARY_FILE).write_text(json.dumps(summary))


def test_each_study_gets_a_heading_over_its_runs_and_other_runs_come_last(tmp_path: Path) -> None:
    from workbench.app.runs_screen import sort_records

    runs = tmp_path / "runs"
    made = write_synthetic_runs(runs, cells=("gru", "lstm", "rnn"))
    label_runs(made[:2], "seeds")
    records = sort_records(list_runs(runs), "study")
    rows = with_headings(records)
    assert [row.title if isinstance(row, StudyHeading) else row.summary.cell for row in rows] == [
        "study seeds", "gru", "lstm", OUTSIDE, "rnn"]
    heading = rows[0]
    assert isinstance(heading, StudyHeading) and heading.statuses() == "2 completed"
    cells = heading_cells(heading)
    assert str(cells[0]) == "▾ study seeds" and cells[1] == "2 runs" and cells[2].startswith("best accuracy")
    assert with_headings(sort_records(list_runs(runs), "study")[2:]) == records[2:], "no study: no heading"


@pilot_test
async def test_a_studys_heading_is_a_row_of_its_own_and_adds_all_its_runs(app) -> None:  # noqa: ANN001
    label_runs(write_synthetic_runs(app.runs_dir, cells=("gru", "lstm")), "seeds")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f4")
        runs = app.screen
        await wait_for(pilot, lambda: len(runs.records) == 2, "the runs")
        while runs.order != "study":
            await pilot.press("o")
        table = runs.query_one("#runs-table")
        assert table.row_count == 3 and str(table.get_row_at(0)[0]) == "▾ study seeds"
        assert str(table.get_row_at(1)[0]) == f"  {runs.records[0].summary.run_id}"
        await pilot.press("up", "up")
        await wait_for(pilot, lambda: isinstance(runs.highlighted, StudyHeading), "the heading")
        await pilot.pause()
        console = Console(width=60, record=True)
        console.print(runs.query_one("#run-summary").content)
        shown = console.export_text()
        assert "seeds" in shown and "2 completed" in shown and "gru, lstm" in shown
        await pilot.press("a")
        assert sorted(track.cell for track in app.board.tracks) == ["gru", "lstm"]
        await pilot.press("u")  # a heading is no model to use
        assert app.screen.id == "runs"
