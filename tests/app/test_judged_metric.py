"""What a run is judged on comes from the run itself (its RunStarted event and its summary), never
from a guess: a third-party task judged on a metric no built-in task has, where higher is better,
is compared, listed and sorted by it, in the CLI and the app, also where the task is not installed."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from app_support import make_app, pilot_test, ready, wait_for
from engine_support import tiny_config
from rich.text import Text
from workbench_plugins.tasks.classify import Classify

from workbench import events as ev
from workbench.app.compare_table import compare_rows, row_cells
from workbench.app.runs_screen import sort_records
from workbench.app.tracking import Board
from workbench.cli import main
from workbench.engine.run import Run
from workbench.runs.comparison import compare_headers
from workbench.runs.directory import list_runs
from workbench.testing import registered


class HitRate(Classify):
    """A third-party task judged on `hit_rate`, higher is better. Its validation hit rates are set
    by the test, so the best evaluation is known and differs from the one with the lowest loss."""

    name = "hit-rate"
    description = "Classify, judged on a made-up hit rate."
    metric = "hit_rate"
    higher_is_better = True
    metric_names = ("loss", "hit_rate")
    rates: list[float] = []

    def evaluate(self, model: Any, split: str, batch_size: int, share: float = 1.0) -> dict[str, Any]:
        metrics = super().evaluate(model, split, batch_size, share)
        rate = HitRate.rates.pop(0) if split == "validation" else 0.5
        return {"loss": metrics["loss"], "hit_rate": rate}


def train(corpora: Path, runs_dir: Path, rates: list[float], seed: int,
          interrupted: Path | None = None) -> list[ev.Event]:
    """A six-step run of the hit-rate task, evaluated at steps 2, 4 and 6; with `interrupted`, a
    copy of its directory as a kill right after the evaluation at step 4 would leave it."""
    HitRate.rates = list(rates)
    run = Run(replace(tiny_config(corpora, runs_dir, steps=6, eval_every=2, seed=seed), task="hit-rate"))
    events: list[ev.Event] = []

    def keep(event: ev.Event) -> None:
        events.append(event)
        if interrupted is not None and isinstance(event, ev.Evaluated) and event.step == 4:
            shutil.copytree(run.run_dir, interrupted / run.run_dir.name)

    run.subscribe(keep)
    assert isinstance(run.run_sync(), ev.RunFinished)
    return events


@pytest.fixture
def hit_rate_runs(tiny_corpora: Path, tmp_path: Path) -> tuple[Path, Path, list[list[ev.Event]]]:
    """Two finished runs (best hit rates 0.9 at step 4, and 0.7), and one interrupted at step 4."""
    finished, interrupted = tmp_path / "runs", tmp_path / "interrupted"
    interrupted.mkdir()
    with registered(HitRate):
        logs = [train(tiny_corpora, finished, [0.2, 0.9, 0.5], seed=0, interrupted=interrupted),
                train(tiny_corpora, finished, [0.6, 0.7, 0.65], seed=1)]
    return finished, interrupted, logs


def test_the_compare_table_judges_a_run_by_the_metric_its_events_name(hit_rate_runs) -> None:
    _, _, logs = hit_rate_runs
    board = Board()
    for events in logs:
        track = board.add("gru")  # told nothing about the task, as the app's queue adds a run
        for event in events:
            if not isinstance(event, ev.RunFinished):  # judged while it trains, from its events alone
                track.apply(event)
    rows = compare_rows(board.tracks)
    assert compare_headers(rows)[1] == "best hit_rate"
    tracks = zip(board.tracks, rows, strict=True)
    cells = [[str(cell) for cell in row_cells(track, rows, row)] for track, row in tracks]
    assert [(one[2], one[4]) for one in cells] == [("0.9", "4"), ("0.7", "4")]
    started = logs[0][0]
    assert isinstance(started, ev.RunStarted) and started.metric == "hit_rate" and started.higher_is_better
    assert started.metric_names == ["loss", "hit_rate"]


def test_the_runs_list_sorts_by_the_metric_in_its_direction(hit_rate_runs, capsys) -> None:
    finished, interrupted, _ = hit_rate_runs
    assert main(["runs", "--runs-dir", str(interrupted), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["status"], listed["metric_name"]) == ("interrupted", "hit_rate")
    assert listed["higher_is_better"] is True
    assert main(["runs", "--runs-dir", str(interrupted)]) == 0
    assert "hit_rate –" in capsys.readouterr().out
    ordered = sort_records(list_runs(finished), "best metric")
    assert [record.summary.metric for record in ordered] == [0.9, 0.7], "higher is better: 0.9 first"


@pilot_test
async def test_the_app_compares_an_interrupted_run_of_a_task_it_has_not_installed(hit_rate_runs) -> None:
    _, interrupted, _ = hit_rate_runs
    app = make_app(interrupted)  # the built-in plugins only: no hit-rate task here
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f4")
        runs = app.screen
        await wait_for(pilot, lambda: runs.opened is not None, "the run to open")
        table = runs.query_one("#runs-table")
        assert str(table.get_row_at(0)[2]) == "hit_rate –"
        await pilot.press("a", "f3", "t")
        compare = app.screen.query_one("#compare-table")
        await wait_for(pilot, lambda: compare.row_count == 1, "the run on the compare table")
        assert [str(column.label) for column in compare.ordered_columns][2] == "best hit_rate"
        cells = [cell.plain if isinstance(cell, Text) else str(cell) for cell in compare.get_row_at(0)]
        assert (cells[1], cells[2], cells[4]) == ("interrupted", "0.9", "4")
