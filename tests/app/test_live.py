"""Training from the app with the real engine on tiny corpora: start, watch, steer, compare, quit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_support import (
    choose,
    pilot_test,
    press_while_training,
    ready,
    run_to_end,
    show_synthetic_compare,
    synthetic_run,
    wait_for,
)

from workbench.app.compare_table import compare_rows, row_cells
from workbench.app.metrics_panel import MetricsPanel
from workbench.engine.training import learning_rate_factor


@pilot_test
async def test_a_run_streams_into_chart_metrics_samples_and_matches_its_summary(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",))
        await run_to_end(pilot)
        assert app.screen.id == "live"
        (track,) = app.board.tracks
        assert track.state == "completed"
        assert [step for step, _ in track.train] == [1, 2, 3, 4, 5, 6]
        assert [step for step, _ in track.validation] == [3, 6]
        chart = app.screen.query_one("#loss-chart")
        assert any(series.points for series in chart.series)
        assert any(0x2800 < ord(char) <= 0x28FF for char in chart.render().plain)

        summary = json.loads((Path(track.run_dir) / "summary.json").read_text())
        assert track.summary is not None and track.summary.to_json() == summary
        accuracy = summary["final_validation"]["accuracy"]
        assert f"{accuracy:.4g}" in _plain(app.screen.query_one(MetricsPanel))
        rows = compare_rows([track])
        row = [str(cell) for cell in row_cells(track, rows, rows[0])]
        assert row[1] == "completed"
        assert row[2] == f"{summary['best_validation']['accuracy']:.4g}"
        assert row[4] == str(summary["best_step"])
        samples = app.screen.query_one("#samples-log")
        assert len(samples.lines) >= len(track.samples) > 0


@pilot_test
async def test_pause_resume_and_stop_leave_a_checkpoint(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",), steps=100000, epochs=0, eval_every=0)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.board.tracks[0].step >= 2, "training to start")
        track = app.board.tracks[0]
        await press_while_training(pilot, "p")
        await wait_for(pilot, lambda: track.state == "paused", "the pause")
        paused_at = track.step
        await pilot.pause(0.3)
        assert track.step <= paused_at + 1
        await press_while_training(pilot, "p")
        await wait_for(pilot, lambda: track.step > paused_at + 1, "training to go on")
        await press_while_training(pilot, "x")
        await wait_for(pilot, lambda: track.finished, "the stop")
        assert track.state == "stopped"
        assert (Path(track.run_dir) / "checkpoint.safetensors").is_file()
        assert json.loads((Path(track.run_dir) / "summary.json").read_text())["steps"] == track.step


@pilot_test
async def test_compare_two_cells_on_one_chart_and_table(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru", "lstm-custom"), steps=4, eval_every=2)
        await run_to_end(pilot)
        tracks = app.board.tracks
        assert [t.cell for t in tracks] == ["gru", "lstm-custom"]
        assert all(t.state == "completed" for t in tracks)
        assert len({t.colour for t in tracks}) == 2
        chart = app.screen.query_one("#loss-chart")
        assert {s.label for s in chart.series if s.points} >= {"gru", "lstm-custom"}
        table = app.screen.query_one("#compare-table")
        assert table.row_count == 2
        assert tracks[0].parameters != tracks[1].parameters


@pilot_test
async def test_quit_while_training_asks_then_stops_with_a_checkpoint(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",), steps=100000, epochs=0, eval_every=0)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.board.tracks[0].step >= 1, "training to start")
        track = app.board.tracks[0]
        await press_while_training(pilot, "ctrl+q")
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await press_while_training(pilot, "n")
        assert app.is_running and not track.finished
        await press_while_training(pilot, "ctrl+q", "y")
        await wait_for(pilot, lambda: not app.is_running, "the app to quit")
    assert (Path(track.run_dir) / "checkpoint.safetensors").is_file()
    assert json.loads((Path(track.run_dir) / "summary.json").read_text())["status"] == "stopped"


def _plain(widget) -> str:  # noqa: ANN001 - any Static
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(widget.content)
    return console.export_text()


@pilot_test
async def test_a_run_that_fails_is_reported_and_the_app_goes_on(app, tmp_path, monkeypatch) -> None:
    empty = tmp_path / "no-corpora"
    empty.mkdir()
    monkeypatch.setenv("WORKBENCH_CORPORA", str(empty))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",))
        await run_to_end(pilot)
        (track,) = app.board.tracks
        assert track.state == "failed" and "names" in track.error
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "gru failed" in errors[-1].message
        assert app.is_running
        await pilot.press("f2")
        assert app.screen.id == "setup"


@pilot_test
async def test_the_live_chart_keeps_tasks_apart_and_switches_its_x_axis(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        show_synthetic_compare(app)
        writer = app.board.add("lstm-gen", metric="bpc")
        for event in synthetic_run("20250101-000009-divina-lstm-generate", "lstm", 90, 4.4, 0.7, 9_000,
                                   task="generate"):
            writer.apply(event)
        await pilot.press("f3")
        chart = app.live_screen.chart
        assert [panel.title for panel in chart.panels] == [
            "classify · loss (nats)", "generate · loss (nats)", "validation accuracy", "validation bpc",
            "learning rate"]
        shown = chart.render().plain
        assert "classify · loss (nats)" in shown and "generate · loss (nats)" in shown
        steps = max(x for series in chart.series for x, _ in series.points)
        for axis in ("tokens", "seconds"):
            await pilot.press("a")
            assert chart.x_label == axis and axis in chart.render().plain
        assert max(x for series in chart.series for x, _ in series.points) == 12.0  # 120 steps of 0.1 s
        await pilot.press("a")
        assert chart.x_label == "steps"
        assert max(x for series in chart.series for x, _ in series.points) == steps


@pilot_test
async def test_the_learning_rate_panel_draws_the_schedule_the_run_followed(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",), steps=8, eval_every=4, schedule="cosine", warmup_steps=3,
                     learning_rate=0.01)
        await run_to_end(pilot)
        (track,) = app.board.tracks
        expected = [(step, 0.01 * learning_rate_factor("cosine", 3, step - 1, (step - 4) / 5))
                    for step in range(1, 9)]
        chart = app.live_screen.chart
        assert "+2 panels (v)" in chart.render().plain.split("\n")[0]  # 80x24: the loss alone fits
        await pilot.press("v", "v", "v")
        assert [panel.title for panel in chart.panels] == ["learning rate"]
        ((steps, rates),) = [tuple(zip(*series.points, strict=True)) for series in chart.series]
        assert steps == tuple(step for step, _ in expected)
        assert rates == pytest.approx([rate for _, rate in expected])
        lines = chart.render().plain.split("\n")
        assert lines[0].startswith("learning rate") and lines[-1].split()[0] == "steps"
        y_labels = [float(line.split("┤")[0]) for line in lines if "┤" in line]
        assert len(y_labels) >= 3 and max(y_labels) <= 0.01 + 1e-12 and min(y_labels) >= 0.0
        assert sum("┤" in line or "│" in line for line in lines) >= 9  # the whole height, readable
        await pilot.press("v")
        assert [panel.title for panel in chart.panels] == ["loss (nats)", "validation accuracy",
                                                           "learning rate"]
