"""Workers on a shared PostgreSQL study, as on separate machines: each with its own runs directory,
pulling trials until the study is done, and taking over the trial of a worker that died."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from study_support import summary_of, workbench_process, write_study

from workbench.cli import main
from workbench.runs.directory import list_runs
from workbench.studies.storage import connect


def show(name: str, url: str, capsys: pytest.CaptureFixture) -> dict:
    capsys.readouterr()
    assert main(["study", "show", name, "--storage", url, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def worker(name: str, url: str, runs: Path, corpora: Path) -> subprocess.Popen:
    return workbench_process("study", "worker", "--study", name, "--storage", url, "--runs-dir", str(runs),
                             "--threads", "1", corpora=corpora, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)


def test_two_workers_with_their_own_runs_directories_share_one_study(
    tiny_corpora: Path, tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture
) -> None:
    study = write_study(tmp_path / "shared.toml", '[study]\nname = "shared"\nseeds = 2\n',
                        cells=("gru", "rnn"), steps=1000000)
    budget = ["--set", "train.time_budget=1.5"]  # each trial trains 1.5 s: long enough for both to join
    assert main(["study", "create", str(study), "--storage", postgres_url, *budget]) == 0
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    workers = [worker("shared", postgres_url, runs, tiny_corpora) for runs in machines]
    outputs = [process.communicate(timeout=300)[0] for process in workers]
    assert [process.returncode for process in workers] == [0, 0], outputs
    shown = show("shared", postgres_url, capsys)
    assert sorted(trial["slot"] for trial in shown["trials"]) == [0, 1, 2, 3]
    assert {trial["state"] for trial in shown["trials"]} == {"complete"}
    by_machine = [{str(record.run_dir.resolve()) for record in list_runs(runs)} for runs in machines]
    assert all(by_machine), f"both workers should have trained: {outputs}"
    assert {trial["run"]["run_dir"] for trial in shown["trials"]} == by_machine[0] | by_machine[1]
    for trial in shown["trials"]:
        summary = summary_of(Path(trial["run"]["run_dir"]))
        expected = {"study": "shared", "trial": trial["number"], "host": trial["run"]["host"]}
        assert summary["labels"] == expected
    assert {row["label"] for row in shown["statistics"]["groups"]} == {"gru", "rnn"}


def test_a_killed_workers_trial_is_retried_and_counted_once(
    tiny_corpora: Path, tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture
) -> None:
    study = write_study(tmp_path / "retry.toml", '[study]\nname = "retry"\nseeds = 2\nheartbeat = 1\n',
                        steps=1000000)
    assert main(["study", "create", str(study), "--storage", postgres_url,
                 "--set", "train.time_budget=8"]) == 0  # mid-trial when killed
    doomed_runs, survivor_runs = tmp_path / "doomed", tmp_path / "survivor"
    doomed = worker("retry", postgres_url, doomed_runs, tiny_corpora)
    try:
        deadline = time.monotonic() + 120
        while not any('"event": "step"' in path.read_text() for path in doomed_runs.glob("*/metrics.jsonl")):
            assert doomed.poll() is None and time.monotonic() < deadline, "the first worker should train"
            time.sleep(0.1)
        doomed.send_signal(signal.SIGKILL)  # mid-trial: no checkpoint, no goodbye, the heartbeat stops
        doomed.wait(timeout=30)
    finally:
        doomed.kill()
    (lost,) = list_runs(doomed_runs)
    assert lost.summary.status == "interrupted", "the killed worker's run is shown as interrupted"
    survivor = worker("retry", postgres_url, survivor_runs, tiny_corpora)
    output = survivor.communicate(timeout=300)[0]
    assert survivor.returncode == 0, output
    shown = show("retry", postgres_url, capsys)
    assert sorted(trial["slot"] for trial in shown["trials"]) == [0, 1]
    assert {trial["state"] for trial in shown["trials"]} == {"complete"}
    assert sorted(trial["retries"] for trial in shown["trials"]) == [0, 1]
    retried = next(trial for trial in shown["trials"] if trial["retries"])
    assert retried["run"]["run_dir"].startswith(str(survivor_runs.resolve()))
    study_handle, _ = connect(postgres_url, "retry")
    states = sorted(trial.state.name for trial in study_handle.get_trials())
    assert states == ["COMPLETE", "COMPLETE", "FAIL"], "the dead attempt failed; its retry counts"
    assert len(list_runs(survivor_runs)) == 2
