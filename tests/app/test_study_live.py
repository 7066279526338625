"""Studies started from the app: their trials followed on the live screen (in this process or in
worker processes, from their metrics logs), seeds drawn around their mean, statistics at the end,
and stopping that leaves every run with its checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import (
    choose,
    follow_synthetic_study,
    make_app,
    pilot_test,
    press_while_training,
    ready,
    wait_for,
)
from test_seed_statistics import text_of

from workbench.app.seed_lines import faded
from workbench.app.seed_statistics import SeedStatistics
from workbench.app.study_form import StudyForm
from workbench.runs.directory import CHECKPOINT_FILE, read_run
from workbench.studies import pool

WORKERS_START_SECONDS = 300  # two processes loading torch and the data on a busy machine


async def start_study(pilot, seeds: int, workers: int = 1, cells: tuple[str, ...] = ("gru",),  # noqa: ANN001
                      **train: object) -> None:
    setup = pilot.app.setup_screen
    await choose(pilot, cells=cells, **train)
    await wait_for(pilot, lambda: setup.query("#search-space"), "the study section")
    study = setup.query_one(StudyForm)
    study.numbers.field("seeds").control.value = str(seeds)
    study.numbers.field("workers").control.value = str(workers)
    await pilot.pause()
    await press_while_training(pilot, "ctrl+r")
    await wait_for(pilot, lambda: pilot.app.queue.study is not None, "the study to start")


async def study_ends(pilot) -> None:  # noqa: ANN001
    await wait_for(pilot, lambda: pilot.app.queue.study is None, "the study to end")
    await pilot.pause(0.3)  # a repaint of the live screen after the last events


@pilot_test
async def test_a_two_seed_study_shows_seed_lines_around_a_mean_per_cell_and_statistics_at_the_end(
    app, tiny_corpora: Path  # noqa: ANN001 - the WorkbenchApp fixture
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await start_study(pilot, seeds=2, cells=("gru", "rnn"), steps=4, eval_every=2)
        assert app.screen.id == "live"
        name = app.queue.study.spec.name
        await study_ends(pilot)
        notes = [str(note.message) for note in app._notifications]
        assert any(note.startswith(f"Study {name}: 4 complete. ") and "between" in note for note in notes)
        tracks = app.board.tracks
        assert sorted(track.label for track in tracks) == [
            "gru seed 0", "gru seed 1", "rnn seed 0", "rnn seed 1"]
        assert all(track.state == "completed" and len(track.train) == 4 for track in tracks)
        colours = {cell: {track.colour for track in tracks if track.cell == cell} for cell in ("gru", "rnn")}
        assert len(colours["gru"]) == 1 and len(colours["rnn"]) == 1 and colours["gru"] != colours["rnn"]
        loss, metric = app.live_screen.chart.panels[:2]
        assert loss.title == "loss (nats)" and metric.title == "validation accuracy"
        assert {one.label for one in metric.series if one.thick} == {"gru", "rnn"}
        series = loss.series
        for cell in ("gru", "rnn"):
            (colour,) = colours[cell]
            seeds = [one for one in series if one.label.startswith(f"{cell} seed")]
            assert len(seeds) == 2 and all(one.colour == faded(colour) and not one.legend for one in seeds)
            (mean,) = [one for one in series if one.label == cell]
            assert mean.thick and mean.colour == colour and mean.legend
            by_step = [dict(one.points) for one in seeds]
            assert [y for _, y in mean.points] == [(by_step[0][x] + by_step[1][x]) / 2
                                                   for x, _ in mean.points]
        legend = app.live_screen.chart.render().plain.splitlines()[0]
        assert "━ gru" in legend and "━ rnn" in legend and "seed" not in legend
        await press_while_training(pilot, "t")
        statistics = app.live_screen.query_one("#seed-statistics", SeedStatistics)
        await wait_for(pilot, lambda: statistics.display, "the statistics table")
        shown = text_of(statistics.content)
        assert "mean±95% interval over seeds" in shown and "verdict: " in shown
        labels = [read_run(Path(track.run_dir)).summary.labels for track in tracks]
        assert len({label["study"] for label in labels}) == 1


@pilot_test
async def test_trials_in_worker_processes_are_followed_from_their_logs_and_stop_with_checkpoints(
    app, tiny_corpora: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001 - the WorkbenchApp fixture
) -> None:
    monkeypatch.setattr(pool, "cpu_cores", lambda: 1)  # more workers than cores: warned, not refused
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await start_study(pilot, seeds=2, workers=2, steps=100_000, eval_every=20, threads=1)
        session = app.queue.study
        await pilot.pause()
        warnings = [str(note.message) for note in app._notifications if note.severity == "warning"]
        assert any("2 workers on 1 CPU cores" in warning for warning in warnings)
        tracks = app.board.tracks
        await wait_for(pilot, lambda: len(tracks) == 2 and all(track.step > 5 for track in tracks),
                       "both trials to train", limit=WORKERS_START_SECONDS)
        assert sorted(track.label for track in tracks) == ["gru seed 0", "gru seed 1"]
        assert {track.seed_group for track in tracks} == {"gru"} and len({t.colour for t in tracks}) == 1
        assert all(process.poll() is None for process in session.processes), "trained by the workers"
        steps = [track.step for track in tracks]
        await wait_for(pilot, lambda: all(track.step > step
                                          for track, step in zip(tracks, steps, strict=True)),
                       "the followed logs to grow")
        assert all([step for step, _ in track.train] == list(range(1, track.step + 1)) for track in tracks)
        await wait_for(pilot, lambda: all(track.validation for track in tracks), "an evaluation of each")
        assert {one.label for one in app.live_screen.chart.panels[0].series if one.thick} == {"gru"}
        await press_while_training(pilot, "p", "k")  # neither applies to worker processes: each says so
        await pilot.pause()
        warnings = [str(note.message) for note in app._notifications if note.severity == "warning"]
        assert any("do not pause" in warning for warning in warnings)
        assert any("not skipped one by one" in warning for warning in warnings)
        assert all(process.poll() is None for process in session.processes)
        await press_while_training(pilot, "x")
        await study_ends(pilot)
        assert [process.returncode for process in session.processes] == [130, 130]
        for track in tracks:
            assert track.state == "stopped" and read_run(Path(track.run_dir)).summary.status == "stopped"
            assert (Path(track.run_dir) / CHECKPOINT_FILE).is_file()
        text, severity = session.closing
        assert severity == "warning" and f"workbench study worker --study {session.spec.name}" in text
        assert text in [str(note.message) for note in app._notifications]


@pilot_test
async def test_on_a_small_terminal_the_compare_tab_keeps_a_line_per_trial_above_the_statistics(
    tmp_path: Path, tiny_corpora: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(Path("runs"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        follow_synthetic_study(app, Path("runs"))
        await press_while_training(pilot, "f3", "t")
        statistics = app.live_screen.statistics
        await wait_for(pilot, lambda: statistics.display, "the statistics over seeds")
        await pilot.pause()
        table = app.live_screen.table
        assert table.row_count == 4 and table.size.height >= 5  # the header and a line per trial
        assert statistics.region.y >= table.region.bottom  # below it, reached by scrolling
