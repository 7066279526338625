"""Compare tables: every validation number of a row from the run's best evaluation, in the CLI and
the app alike, each row a run's summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from workbench import events as ev
from workbench.app.compare_table import compare_rows, row_cells
from workbench.app.tracking import Board
from workbench.cli import main
from workbench.commands.run_report import compare_table
from workbench.runs.directory import read_run
from workbench.summary import RunSummary

BEST = {"loss": 0.9123, "accuracy": 0.8123}
LAST = {"loss": 0.7456, "accuracy": 0.7456}


def summary(run_id: str) -> dict:
    return {"run_id": run_id, "status": "completed", "dataset": "names", "cell": "gru", "task": "classify",
            "metric": "accuracy", "higher_is_better": True, "steps": 60, "wall_time": 12.0,
            "parameters": 1234, "tokens_per_second": 5000.0, "best_validation": BEST, "best_step": 40,
            "final_validation": LAST}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    path = tmp_path / "runs" / "20250101-000000-names-gru-classify"
    path.mkdir(parents=True)
    (path / "summary.json").write_text(json.dumps(summary(path.name)))
    return path


def test_a_row_takes_metric_loss_and_step_from_the_best_evaluation() -> None:
    row = RunSummary.from_json(summary("r"))
    assert (row.metric, row.loss, row.best.step) == (0.8123, 0.9123, 40)


def test_run_records_read_metric_and_loss_from_the_same_evaluation(run_dir: Path) -> None:
    record = read_run(run_dir)
    assert (record.summary.metric, record.summary.loss) == (0.8123, 0.9123)


def test_the_cli_compare_shows_the_best_evaluation_and_says_so(
        run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["runs", "compare", str(run_dir)]) == 0
    shown = capsys.readouterr().out
    assert "best evaluation" in shown and "best accuracy" in shown and "at step" in shown
    assert "0.8123" in shown and "0.9123" in shown and "0.7456" not in shown
    console = Console(width=150, record=True)
    console.print(compare_table([read_run(run_dir)]))  # the table that ends a compare in `run`
    assert "0.9123" in console.export_text() and "0.7456" not in console.export_text()


def test_the_app_table_shows_the_same_cells_as_the_cli(run_dir: Path) -> None:
    board = Board()
    track = board.add("gru", metric="accuracy", higher_is_better=True)
    track.apply(ev.RunFinished("r", "completed", RunSummary.from_json(summary("r"))))
    rows = compare_rows([track])
    cells = [str(cell) for cell in row_cells(track, rows, rows[0])]
    assert cells[2:5] == ["0.8123", "0.9123", "40"]


def test_a_training_run_shows_its_best_evaluation_so_far() -> None:
    track = Board().add("gru", metric="accuracy", higher_is_better=True)
    for step, accuracy, loss in ((2, 0.5, 1.0), (4, 0.7, 1.2), (6, 0.6, 0.9)):
        track.apply(ev.Evaluated("r", step, "validation", {"loss": loss, "accuracy": accuracy}))
    rows = compare_rows([track])
    assert [str(cell) for cell in row_cells(track, rows, rows[0])][2:5] == ["0.7", "1.2", "4"]
    lower = Board().add("gru", metric="bpc", higher_is_better=False)
    for step, bpc in ((2, 3.0), (4, 2.5), (6, 2.7)):
        lower.apply(ev.Evaluated("r", step, "validation", {"loss": bpc * 0.69, "bpc": bpc}))
    assert lower.standing().best.step == 4
