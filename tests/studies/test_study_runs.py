"""Studies end to end on tiny corpora: seeds with statistics, searches with pruning, the storage
as the record, and Ctrl-C across worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from study_support import summary_of, workbench_process

from workbench.cli import main
from workbench.runs.directory import CHECKPOINT_FILE, list_runs
from workbench.studies.storage import STORAGE_FILE

TINY = ["--set", "cell.hidden_size=8", "--set", "cell.layers=1", "--set", "classify.embedding_size=8",
        "--batch-size", "8", "--threads", "1"]


def test_seeds_end_with_statistics_and_each_run_knows_its_study(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    runs = tmp_path / "runs"
    code = main(["run", "--dataset", "names", "--task", "classify", "--cell", "gru", "--cell", "rnn",
                 "--seeds", "2", "--steps", "4", "--eval-every", "2", "--runs-dir", str(runs), *TINY])
    output = capsys.readouterr().out
    assert code == 0
    assert "mean±95% interval over seeds" in output and "verdict: " in output
    assert "between rnn and gru" in output or "between gru and rnn" in output
    records = list_runs(runs)
    assert sorted((record.summary.cell, record.summary.status) for record in records) == [
        ("gru", "completed"), ("gru", "completed"), ("rnn", "completed"), ("rnn", "completed")]
    labels = [summary_of(record.run_dir)["labels"] for record in records]
    assert len({label["study"] for label in labels}) == 1 and sorted(label["trial"] for label in labels) == [
        0, 1, 2, 3]
    assert (runs / STORAGE_FILE).is_file()
    study = labels[0]["study"]
    assert main(["study", "show", study, "--runs-dir", str(runs), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [trial["params"] for trial in shown["trials"]] == [
        {"cell": cell, "train.seed": seed} for cell in ("gru", "rnn") for seed in (0, 1)]
    assert {row["label"]: row["validation"]["count"] for row in shown["statistics"]["groups"]} == {
        "gru": 2, "rnn": 2}
    assert {trial["run"]["run_dir"] for trial in shown["trials"]} == {
        str(record.run_dir.resolve()) for record in records}
    # The same statistics for the runs on disk: runs that differ only by seed are grouped.
    assert main(["runs", "compare", *(one.summary.run_id for one in records), "--runs-dir", str(runs)]) == 0
    compared = capsys.readouterr().out
    assert "mean±95% interval over seeds" in compared
    assert shown["statistics"]["verdict"].split(" (")[0] in " ".join(compared.split())
    assert main(["study", "list", "--runs-dir", str(runs), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == study and listed["trials"] == 4


def test_a_search_prunes_a_run_that_is_not_learning(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A learning rate of zero never improves on the first trial's validation bits per character at
    the same step, so the median pruner (after one finished trial) stops it at its first evaluation."""
    path = tmp_path / "search.toml"
    path.write_text(
        'dataset = "divina"\ncells = ["gru"]\ntask = "generate"\n\n'
        "[train]\nsteps = 6\nbatch_size = 8\neval_every = 2\nthreads = 1\nlearning_rate = 0.03\n\n"
        "[cell]\nhidden_size = 16\nlayers = 1\n\n[generate]\nseq_len = 16\nembedding_size = 8\n"
        "sample_length = 10\n\n"
        '[study]\nname = "search"\ntrials = 2\npruner = "median"\npruner_startup = 1\n'
        "sampler = \"random\"\n\n[study.grid]\ntrain.learning_rate = [0.03, 0.0]\n\n"
        "[study.search]\ncell.hidden_size = { choices = [8, 16] }\n",
        encoding="utf-8",
    )
    runs = tmp_path / "runs"
    assert main(["study", "run", str(path), "--runs-dir", str(runs)]) == 0
    capsys.readouterr()
    assert main(["study", "show", "search", "--runs-dir", str(runs), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    states = {trial["slot"]: trial["state"] for trial in shown["trials"]}
    assert states == {0: "complete", 1: "pruned"}
    pruned = next(trial for trial in shown["trials"] if trial["state"] == "pruned")
    assert pruned["params"]["train.learning_rate"] == 0.0 and pruned["params"]["cell.hidden_size"] in (8, 16)
    run_dir = Path(pruned["run"]["run_dir"])
    summary = summary_of(run_dir)
    assert summary["status"] == "pruned" and summary["steps"] == 2 and summary["test"] == {}
    assert summary["labels"]["study"] == "search" and summary["labels"]["trial"] == pruned["number"]
    assert (run_dir / CHECKPOINT_FILE).is_file()
    events = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "run_finished" and events[-1]["status"] == "pruned"
    hidden = {trial["params"]["cell.hidden_size"]: trial for trial in shown["trials"]}
    for size, trial in hidden.items():  # the searched value reached the run that trained
        config = (Path(trial["run"]["run_dir"]) / "config.toml").read_text()
        assert f"hidden_size = {size}" in config


def test_workers_name_each_trials_run_directory_as_it_starts(tiny_corpora: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    process = workbench_process(
        "run", "--dataset", "names", "--task", "classify", "--cell", "gru", "--seeds", "2", "--workers", "2",
        "--steps", "2", "--eval-every", "0", "--runs-dir", str(runs), *TINY,
        corpora=tiny_corpora, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0
    started = sorted(line.split(" → ")[-1] for line in output.splitlines() if " started: " in line)
    assert started == sorted(str(record.run_dir) for record in list_runs(runs))


def test_ctrl_c_stops_every_worker_with_a_checkpoint(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    runs = tmp_path / "runs"
    process = workbench_process(
        "run", "--dataset", "names", "--task", "classify", "--cell", "gru", "--seeds", "2", "--workers", "2",
        "--steps", "1000000", "--eval-every", "0", "--runs-dir", str(runs), *TINY,
        corpora=tiny_corpora, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=lambda: os.sched_setaffinity(0, {0}),
    )
    try:
        deadline = time.monotonic() + 120
        while len(_training(runs)) < 2:
            assert process.poll() is None and time.monotonic() < deadline, "both workers should be training"
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: the whole group
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.stderr is not None
    error = " ".join(process.stderr.read().split())
    assert "2 workers on 1 CPU cores" in error and "Traceback" not in error
    records = list_runs(runs)
    assert len(records) == 2
    for record in records:
        assert record.summary.status == "stopped" and (record.run_dir / CHECKPOINT_FILE).is_file()
    study = summary_of(records[0].run_dir)["labels"]["study"]
    assert main(["study", "show", study, "--runs-dir", str(runs), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    states = [(trial["slot"], trial["state"]) for trial in shown["trials"]]
    assert states == [(0, "waiting"), (1, "waiting")], "stopped trials are queued again for a later worker"


def _training(runs: Path) -> list[Path]:
    """Run directories whose metrics log already has a training step."""
    if not runs.is_dir():
        return []
    return [path.parent for path in runs.glob("*/metrics.jsonl") if '"event": "step"' in path.read_text()]
