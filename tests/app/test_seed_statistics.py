"""The compare tab summarises runs that differ only by seed: mean, interval, difference, verdict."""

from __future__ import annotations

from pathlib import Path

from app_support import pilot_test, ready, wait_for
from engine_support import tiny_config
from rich.console import Console

from workbench.app.seed_statistics import SeedStatistics, seed_statistics_view
from workbench.engine.run import Run


def train_seeds(corpora: Path, runs_dir: Path) -> list[Path]:
    made = []
    for cell in ("gru", "rnn"):
        for seed in (0, 1):
            run = Run(tiny_config(corpora, runs_dir, cell=cell, steps=4, eval_every=2, seed=seed))
            run.run_sync()
            made.append(run.run_dir)
    return made


def text_of(renderable: object) -> str:
    console = Console(width=120, record=True)
    console.print(renderable)
    return console.export_text()


def test_statistics_appear_only_for_runs_that_differ_by_seed(tiny_corpora: Path, tmp_path: Path) -> None:
    gru_0, gru_1, rnn_0, rnn_1 = train_seeds(tiny_corpora, tmp_path / "runs")
    shown = text_of(seed_statistics_view([gru_0, gru_1, rnn_0, rnn_1]))
    assert "verdict: " in shown and "Welch's t-test" in shown
    assert [line.split()[0] for line in shown.splitlines() if line.split()[:1] in (["gru"], ["rnn"])] in (
        ["gru", "rnn"], ["rnn", "gru"])
    assert seed_statistics_view([gru_0, rnn_0]) is None, "one seed per cell: nothing to summarise"


@pilot_test
async def test_the_compare_tab_shows_statistics_for_seeds_added_from_the_runs_screen(
    app, tiny_corpora: Path  # noqa: ANN001 - the WorkbenchApp fixture
) -> None:
    train_seeds(tiny_corpora, app.runs_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f4")
        runs = app.screen
        for row in range(4):
            await wait_for(pilot, lambda row=row: runs.opened is not None
                           and runs.opened.run_id == runs.records[row].summary.run_id, "the run to open")
            await pilot.press("a", "down")
        assert len(app.board.tracks) == 4
        await pilot.press("f3", "t")
        statistics = app.screen.query_one("#seed-statistics", SeedStatistics)
        await wait_for(pilot, lambda: statistics.display, "the statistics to show")
        shown = text_of(statistics.content)
        assert "verdict: " in shown and "gru" in shown and "rnn" in shown
