"""`workbench run` headless: JSON output, compares, exit codes, resumption and signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from engine_support import registry_with_faults

from workbench import registry as registry_module
from workbench.cli import build_parser, main
from workbench.commands.run_command import build_config
from workbench.runs import CHECKPOINT_FILE, list_runs

TINY = ["--set", "cell.hidden_size=16", "--set", "cell.layers=1", "--set", "classify.embedding_size=8",
        "--batch-size", "8"]


def run_cli(tmp_path: Path, *args: str) -> int:
    return main(["run", "--dataset", "names", "--task", "classify", "--runs-dir", str(tmp_path / "runs"),
                 *TINY, *args])


def test_json_prints_only_event_lines(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert run_cli(tmp_path, "--cell", "gru", "--steps", "4", "--eval-every", "2", "--json") == 0
    lines = capsys.readouterr().out.splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0]["event"] == "run_started" and events[-1]["event"] == "run_finished"
    assert [e["step"] for e in events if e["event"] == "step"] == [1, 2, 3, 4]
    assert events[0]["config"]["train"]["batch_size"] == 8


def test_a_compare_keeps_going_past_a_failing_cell(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(registry_module, "_default", registry_with_faults())
    monkeypatch.setenv("COLUMNS", "250")
    code = run_cli(tmp_path, "--cell", "broken", "--cell", "rnn", "--steps", "8", "--eval-every", "4")
    output = capsys.readouterr().out
    assert code == 1
    assert "cell 'broken' raised RuntimeError" in output
    assert "compare" in output and "rnn" in output
    statuses = {record.cell: record.status for record in list_runs(tmp_path / "runs")}
    assert statuses == {"broken": "failed", "rnn": "completed"}


def test_debug_prints_the_full_traceback_of_a_plugin_that_fails_the_run(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(registry_module, "_default", registry_with_faults())
    assert run_cli(tmp_path, "--cell", "broken", "--steps", "8", "--json") == 1
    assert "Traceback" not in capsys.readouterr().err
    assert run_cli(tmp_path, "--cell", "broken", "--steps", "8", "--json", "--debug") == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "engine_support.py" in err and "in forward" in err  # down to the plugin's own line
    assert "RuntimeError: the broken cell gave up" in err


def test_bad_input_exits_2_before_any_data_loads(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert run_cli(tmp_path, "--cell", "gru", "--cell", "nope", "--steps", "2") == 2
    assert "no cell named 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists(), "nothing may start when one cell of a compare is unknown"
    assert run_cli(tmp_path, "--cell", "gru", "--learning-rate", "fast") == 2
    assert 'learning_rate = "fast" is not a valid float' in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('dataset = "names"\ncell = [\n', encoding="utf-8")
    assert main(["run", "--config", str(bad)]) == 2
    assert "line" in capsys.readouterr().err


def test_a_missing_corpus_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("WORKBENCH_CORPORA", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code = run_cli(tmp_path, "--cell", "gru", "--steps", "2", "--corpora", str(tmp_path / "nowhere"))
    assert code == 2
    assert "'names'" in capsys.readouterr().err


def test_resume_from_the_command_line(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert run_cli(tmp_path, "--cell", "gru", "--steps", "3", "--eval-every", "3") == 0
    (run,) = list_runs(tmp_path / "runs")
    assert main(["run", "--resume", str(run.run_dir), "--steps", "5", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert events[0]["resumed_from_step"] == 3
    assert [e["step"] for e in events if e["event"] == "step"] == [4, 5]
    assert main(["run", "--resume", str(run.run_dir), "--json"]) == 0  # its config.toml now says 5 steps
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert not [e for e in events if e["event"] == "step"] and events[-1]["summary"]["steps"] == 5
    assert main(["run", "--resume", str(run.run_dir), "--cell", "lstm", "--steps", "6"]) == 2
    assert "trained with cell 'gru'" in capsys.readouterr().err


def test_steps_are_not_cut_short_by_the_tasks_default_epochs(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = ["run", "--dataset", "divina", "--task", "generate", "--cell", "gru", "--runs-dir",
            str(tmp_path / "runs"), "--set", "cell.hidden_size=8", "--set", "cell.layers=1",
            "--set", "generate.embedding_size=4", "--set", "generate.sample_length=5"]
    # The tiny poem is one step per epoch, so generate's default of 12 epochs would end at 12.
    assert main([*args, "--steps", "30", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["total_steps"] == 30
    assert events[-1]["summary"]["steps"] == 30 and events[-1]["summary"]["ended_by"] == "steps"
    assert main([*args, "--epochs", "2", "--steps", "30"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "completed after 2 steps" in out and "ended by its epoch limit (train.epochs = 2)" in out


def test_resuming_with_a_new_bound_replaces_the_recorded_ones(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.toml").write_text(
        'dataset = "divina"\ncell = "gru"\ntask = "generate"\n[train]\nepochs = 12\nsteps = 0\n'
        'time_budget = 0.0\nbatch_size = 8\n', encoding="utf-8")
    args = build_parser().parse_args(["run", "--resume", str(run_dir), "--steps", "500"])
    train = build_config(args).resolve(registry_module.default_registry()).train
    assert (train["epochs"], train["steps"], train["batch_size"]) == (0, 500, 8)
    args = build_parser().parse_args(["run", "--resume", str(run_dir), "--batch-size", "16"])
    assert build_config(args).resolve(registry_module.default_registry()).train["epochs"] == 12


def test_run_help_shows_the_defaults_runs_really_get(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines anywhere
    assert "--learning-rate FLOAT peak learning rate (>= 0.0; default 0.003)" in text
    assert "--batch-size INT examples (or windows) per step (>= 1; default 64)" in text
    assert 'default "cosine")' in text and "default 0.002" not in text
    assert "default: classify 6, generate 12)" in text
    assert "default: classify 1, generate 0)" in text
    assert "replaces the task's default bounds" in text


def test_sigint_stops_cleanly_with_a_checkpoint(tiny_corpora: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "workbench", "run", "--dataset", "names", "--cell", "gru",
               "--task", "classify", "--runs-dir", str(tmp_path / "runs"), "--steps", "1000000",
               "--eval-every", "0", *TINY, "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "WORKBENCH_CORPORA": str(tiny_corpora)})
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if json.loads(line)["event"] == "step":
                break
        process.send_signal(signal.SIGINT)
        rest = process.stdout.read()
        assert process.wait(timeout=20) == 130
    finally:
        process.kill()
    last = json.loads(rest.splitlines()[-1])
    assert last["event"] == "run_finished" and last["status"] == "stopped"
    (run,) = list_runs(tmp_path / "runs")
    assert (run.run_dir / CHECKPOINT_FILE).is_file() and run.status == "stopped"


def test_bench_reports_engine_and_plain_speeds(capsys: pytest.CaptureFixture) -> None:
    args = ["bench", "--cell", "gru", "--cell", "gru-custom", "--hidden", "8", "--batch", "2", "--seq", "4",
            "--embedding", "4", "--repeats", "1", "--steps", "1", "--device", "cpu", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    gru, custom = report["results"]
    assert (gru["cell"], gru["native"], custom["native"]) == ("gru", "gru", "gru")
    assert gru["engine_tokens_per_second"] > 0 and gru["plain_tokens_per_second"] > 0
    assert custom["custom_time_over_native"] == pytest.approx(
        gru["engine_tokens_per_second"] / custom["engine_tokens_per_second"])
    assert gru["engine_time_over_plain"] == pytest.approx(
        gru["plain_tokens_per_second"] / gru["engine_tokens_per_second"])
    assert main(["bench", "--cell", "nope", "--json"]) == 2


def test_error_messages_keep_their_square_brackets(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = tmp_path / "run.toml"
    config.write_text('dataset = "names"\ncell = "gru"\ntask = "classify"\nsteps = 3\n', encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "tables [train], [dataset], [cell], [task] or one named after a chosen plugin" in error
