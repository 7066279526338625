"""Runs on disk: listing, comparing, and using a trained run without its training data."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from engine_support import killed_run, logged_steps, tiny_config
from workbench_plugins.loggers.csv_table import CSV_FILE

from workbench.cli import main
from workbench.commands.run_report import settings_table
from workbench.config import RunConfig
from workbench.engine.run import Run
from workbench.engine.state import saved_step
from workbench.engine.trained import load_trained
from workbench.errors import CheckpointError
from workbench.runs.directory import (
    SAMPLES_FILE,
    SUMMARY_FILE,
    create_run_dir,
    find_run_dir,
    list_runs,
    read_run,
)
from workbench.runs.history import rewind_logs
from workbench.runs.lock import LOCK_FILE, RunLock


@pytest.fixture
def trained_runs(tiny_corpora: Path, tmp_path: Path) -> Path:
    """Two finished runs: a names classifier and a poem generator."""
    runs = tmp_path / "runs"
    Run(tiny_config(tiny_corpora, runs, steps=4, eval_every=2)).run_sync()
    generate = RunConfig("divina", "lstm", "generate", cell_options={"hidden_size": 16, "layers": 1},
                         task_options={"seq_len": 16, "embedding_size": 8, "sample_length": 20},
                         train={"steps": 3, "batch_size": 8}, runs_dir=runs, corpora=tiny_corpora)
    Run(generate).run_sync()
    return runs


def test_list_and_read_runs(trained_runs: Path) -> None:
    records = list_runs(trained_runs)
    assert sorted((r.summary.dataset, r.summary.cell, r.summary.task, r.summary.status) for r in records) == [
        ("divina", "lstm", "generate", "completed"), ("names", "gru", "classify", "completed")]
    by_task = {record.summary.task: record for record in records}
    assert by_task["classify"].summary.metric_name == "accuracy"
    assert by_task["generate"].summary.metric_name == "bpc"
    assert by_task["generate"].summary.steps == 3 and by_task["generate"].summary.metric > 0
    assert find_run_dir(records[0].summary.run_id, trained_runs) == records[0].run_dir
    with pytest.raises(CheckpointError, match="No run 'nope'"):
        find_run_dir("nope", trained_runs)
    with pytest.raises(CheckpointError, match="not a run directory"):
        read_run(trained_runs)


def test_run_ids_are_unique(tmp_path: Path) -> None:
    made = {create_run_dir(tmp_path, "names", "gru", "classify") for _ in range(3)}
    assert len(made) == 3 and all(path.name.endswith(("classify", "-2", "-3")) for path in made)


def test_trained_models_predict_and_sample_without_data(
    trained_runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKBENCH_CORPORA")
    by_task = {record.summary.task: record for record in list_runs(trained_runs)}
    classifier = load_trained(by_task["classify"].run_dir)
    top = classifier.predict("Smirnov", top=2)
    assert len(top) == 2 and {label for label, _ in top} <= {"English", "Italian", "Russian"}
    assert 0 < top[1][1] <= top[0][1] <= 1
    writer = load_trained(by_task["generate"].run_dir, which="last")
    first = "".join(writer.sample("Nel", 20, temperature=1.0, top_k=5, seed=3))
    assert first == "".join(writer.sample("Nel", 20, temperature=1.0, top_k=5, seed=3))
    with pytest.raises(CheckpointError, match="choose 'best' or 'last'"):
        load_trained(by_task["generate"].run_dir, which="newest")


def test_runs_predict_and_sample_commands(trained_runs: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["runs", "--runs-dir", str(trained_runs), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    ids = {entry["task"]: entry["id"] for entry in listed}
    assert main(["runs", "compare", ids["classify"], ids["generate"], "--runs-dir", str(trained_runs)]) == 0
    table = capsys.readouterr().out
    assert "gru" in table and "lstm" in table and "tokens/s" in table
    assert main(["predict", ids["classify"], "Rossi", "--top", "3", "--runs-dir", str(trained_runs)]) == 0
    assert "Italian" in capsys.readouterr().out
    assert main(["sample", ids["generate"], "--prompt", "Nel mezzo", "--length", "15", "--seed", "1",
                 "--runs-dir", str(trained_runs)]) == 0
    assert capsys.readouterr().out.startswith("Nel mezzo")
    assert main(["predict", ids["generate"], "Rossi", "--runs-dir", str(trained_runs)]) == 2
    assert "does not predict labels" in capsys.readouterr().err


def test_what_a_person_types_is_printed_as_typed(
    trained_runs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    (classifier,) = (record for record in list_runs(trained_runs) if record.summary.task == "classify")
    assert main(["predict", classifier.summary.run_id, "O[/]Neil", "--runs-dir", str(trained_runs)]) == 0
    assert "O[/]Neil" in capsys.readouterr().out
    assert main(["predict", "[bold]nope[/]", "Rossi", "--runs-dir", str(trained_runs)]) == 2
    assert "No run '[bold]nope[/]'" in capsys.readouterr().err


def test_predict_and_sample_name_the_characters_the_model_cannot_read(
    trained_runs: Path, capsys: pytest.CaptureFixture
) -> None:
    ids = {record.summary.task: record.summary.run_id for record in list_runs(trained_runs)}
    assert main(["predict", ids["classify"], "Ro☃ssi", "--runs-dir", str(trained_runs)]) == 0
    assert "Not in this model's vocabulary: '☃'" in " ".join(capsys.readouterr().err.split())
    assert main(["sample", ids["generate"], "--prompt", "Nel ☃", "--length", "3",
                 "--runs-dir", str(trained_runs)]) == 0
    assert "'☃'" in capsys.readouterr().err
    assert main(["predict", ids["classify"], "Rossi", "--runs-dir", str(trained_runs)]) == 0
    assert capsys.readouterr().err == ""


def test_a_killed_run_is_interrupted_and_resumes_without_logging_a_step_twice(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    runs = tmp_path / "runs"
    run_dir = killed_run(runs, tiny_corpora, "--log", "csv")
    assert json.loads((run_dir / SUMMARY_FILE).read_text())["status"] == "running"
    (record,) = list_runs(runs)
    assert record.summary.status == "interrupted", "no process holds its lock any more"
    assert main(["runs", "--runs-dir", str(runs), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "interrupted"
    assert main(["runs", "--runs-dir", str(runs)]) == 0
    assert f"workbench run --resume {record.summary.run_id} --runs-dir {runs}" in capsys.readouterr().out
    (run_dir / LOCK_FILE).write_text(f"{os.getpid()}\n")  # a live pid in the file fools no one
    assert read_run(run_dir).summary.status == "interrupted"

    checkpoint, logged = saved_step(run_dir), logged_steps(run_dir)
    assert max(logged) > checkpoint, "the kill left steps in the log that the checkpoint does not hold"
    end = max(logged) + 3
    assert main(["run", "--resume", record.summary.run_id, "--runs-dir", str(runs), "--steps", str(end)]) == 0
    assert f"resumed from step {checkpoint}" in capsys.readouterr().out
    assert logged_steps(run_dir) == list(range(1, end + 1))
    with open(run_dir / CSV_FILE, newline="") as file:
        trained = [int(row["step"]) for row in csv.DictReader(file) if row["split"] == "train"]
    assert trained == list(range(1, end + 1))
    showcases = [line for line in (run_dir / SAMPLES_FILE).read_text().splitlines() if line.startswith("---")]
    assert len(showcases) == len(set(showcases))
    assert read_run(run_dir).summary.status == "completed"


def test_a_run_being_trained_is_running_and_cannot_be_resumed_twice(
    trained_runs: Path, tiny_corpora: Path
) -> None:
    (record,) = (record for record in list_runs(trained_runs) if record.summary.task == "classify")
    summary = json.loads((record.run_dir / SUMMARY_FILE).read_text())
    (record.run_dir / SUMMARY_FILE).write_text(json.dumps({**summary, "status": "running"}))
    training = RunLock(record.run_dir)  # what the process that trains it holds
    training.acquire()
    try:
        assert read_run(record.run_dir).summary.status == "running"
        with pytest.raises(CheckpointError, match=f"being trained right now by process {os.getpid()}"):
            Run(tiny_config(tiny_corpora, trained_runs, steps=8), resume=record.run_dir)
    finally:
        training.release()
    assert read_run(record.run_dir).summary.status == "interrupted"


def test_rewinding_drops_later_steps_and_a_line_cut_short(tmp_path: Path) -> None:
    events = [{"event": "run_started", "run_id": "r", "resumed_from_step": 0},
              *({"event": "step", "run_id": "r", "step": step} for step in (1, 2, 3, 4)),
              {"event": "checkpoint", "run_id": "r", "step": 2, "path": "x"}]
    lines = "".join(json.dumps(event) + "\n" for event in events)
    (tmp_path / "metrics.jsonl").write_text(lines + '{"event": "step", "run_id": "r", "st')
    (tmp_path / SAMPLES_FILE).write_text("--- step 2\nRossi\n--- step 4\nIvanov\n")
    rewind_logs(tmp_path, 2)
    kept = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [(event["event"], event.get("step")) for event in kept] == [
        ("run_started", None), ("step", 1), ("step", 2), ("checkpoint", 2)]
    assert (tmp_path / SAMPLES_FILE).read_text() == "--- step 2\nRossi\n"


def test_settings_that_differ_between_runs_are_listed_and_shared_ones_are_not(trained_runs: Path) -> None:
    records = sorted(list_runs(trained_runs), key=lambda record: record.summary.task)
    table = settings_table(records)
    assert table is not None
    values = zip(table.columns[1].cells, table.columns[2].cells, strict=True)
    rows = dict(zip(table.columns[0].cells, values, strict=True))
    assert rows["task"] == ('"classify"', '"generate"')
    assert "cell.hidden_size" not in rows  # both runs use 16 units
    assert rows["train.steps"] == ("4", "3")
    assert rows["cell.bidirectional"] == ("true", "false")  # as a config file writes them
    assert settings_table(records[:1]) is None
