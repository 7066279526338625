"""`workbench run` headless: JSON output, compares, exit codes, resumption and signals."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_support import logged_steps, registry_with_faults, workbench_process

from workbench import registry as registry_module
from workbench.cli import build_parser, main
from workbench.commands.run_command import build_config
from workbench.engine.state import saved_step
from workbench.runs.directory import BEST_FILE, CHECKPOINT_FILE, METRICS_FILE, list_runs

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
    statuses = {record.summary.cell: record.summary.status for record in list_runs(tmp_path / "runs")}
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
    assert not (tmp_path / "runs").exists(), "bad input creates no run directory"


def test_bad_input_files_and_values_exit_2_and_create_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    binary = tmp_path / "run.toml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    assert main(["run", "--config", str(binary)]) == 2
    error = capsys.readouterr().err
    assert "is not a UTF-8 text file" in error and "Traceback" not in error
    one_language = tmp_path / "corpora" / "names"
    one_language.mkdir(parents=True)
    (one_language / "Scottish.txt").write_text("Smith\nBrown\nWilson\nCampbell\nStewart\nRobertson\n"
                                               "Thomson\nAnderson\nMacdonald\nScott\nReid\n")
    monkeypatch.setenv("WORKBENCH_CORPORA", str(tmp_path / "corpora"))
    assert run_cli(tmp_path, "--cell", "gru", "--steps", "2") == 2
    assert "only 'Scottish' has training examples" in capsys.readouterr().err
    assert run_cli(tmp_path, "--cell", "gru", "--steps", "2", "--learning-rate", "nan") == 2
    assert "train.learning_rate = nan is not a finite number" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_text_in_errors_is_never_read_as_markup(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    assert run_cli(tmp_path, "--cell", "[red]gr[/red]u", "--steps", "2") == 2
    assert "There is no cell named '[red]gr[/red]u'" in capsys.readouterr().err
    assert run_cli(tmp_path, "--cell", "x[/]", "--steps", "2") == 2
    assert "There is no cell named 'x[/]'" in capsys.readouterr().err
    assert run_cli(tmp_path, "--cell", "gru", "--steps", "2", "--eval-every", "2") == 0
    (run,) = list_runs(tmp_path / "runs")
    capsys.readouterr()
    assert main(["run", "--resume", str(run.run_dir), "--set", "cell.hidden_size=32"]) == 2
    assert "Only [train] settings may change on resume" in capsys.readouterr().err


def test_resume_from_the_command_line(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert run_cli(tmp_path, "--cell", "gru", "--steps", "3", "--eval-every", "3") == 0
    (run,) = list_runs(tmp_path / "runs")
    assert main(["run", "--resume", str(run.run_dir), "--steps", "5", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert events[0]["resumed_from_step"] == 3
    assert [e["step"] for e in events if e["event"] == "step"] == [4, 5]
    assert main(["run", "--resume", str(run.run_dir), "--cell", "lstm", "--steps", "6"]) == 2
    assert "trained with cell 'gru'" in capsys.readouterr().err


def test_steps_are_not_cut_short_by_the_tasks_default_epochs(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = ["run", "--dataset", "divina", "--task", "generate", "--cell", "gru", "--runs-dir",
            str(tmp_path / "runs"), "--set", "cell.hidden_size=8", "--set", "cell.layers=1",
            "--set", "generate.embedding_size=4", "--set", "generate.sample_length=5", "--set",
            "generate.seq_len=128"]
    # At 128-character windows the tiny poem is one step per epoch, so generate's default of 8 epochs
    # would end at 8.
    assert main([*args, "--steps", "30", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["total_steps"] == 30
    assert events[-1]["summary"]["steps"] == 30 and events[-1]["summary"]["ended_by"] == "steps"
    assert main([*args, "--epochs", "2", "--steps", "30"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "completed after 2 steps" in out and "ended by its epoch limit (train.epochs = 2)" in out


def test_a_generate_run_given_only_a_bound_trains_the_default_recipe(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["run", "--dataset", "divina", "--task", "generate", "--cell", "gru", "--steps", "1",
                 "--set", "generate.sample_length=5", "--runs-dir", str(tmp_path / "runs"), "--json"]) == 0
    started = json.loads(capsys.readouterr().out.splitlines()[0])
    gru, generate = started["config"]["gru"], started["config"]["generate"]
    assert gru == {"hidden_size": 384, "layers": 2, "dropout": 0.25, "bidirectional": False}
    assert generate["seq_len"] == 64 and generate["stateful"] is True
    gru_weights = 3 * 384 * (64 + 384 + 2) + 3 * 384 * (384 + 384 + 2)  # two layers, 64-wide input
    embedding_and_head = started["parameters"] - gru_weights  # vocabulary × (64 + 384 weights + 1 bias)
    assert embedding_and_head > 0 and embedding_and_head % (64 + 384 + 1) == 0


def test_resuming_with_a_new_bound_replaces_the_recorded_ones(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.toml").write_text(
        'dataset = "divina"\ncell = "gru"\ntask = "generate"\n[train]\nepochs = 12\nsteps = 0\n'
        'time_budget = 0.0\nbatch_size = 8\n', encoding="utf-8")
    args = build_parser().parse_args(["run", "--resume", str(run_dir), "--steps", "500"])
    (resolved,) = build_config(args).resolve(registry_module.default_registry())
    train = resolved.train
    assert (train["epochs"], train["steps"], train["batch_size"]) == (0, 500, 8)
    args = build_parser().parse_args(["run", "--resume", str(run_dir), "--batch-size", "16"])
    (resolved,) = build_config(args).resolve(registry_module.default_registry())
    assert resolved.train["epochs"] == 12


def test_run_help_shows_the_defaults_runs_really_get(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines anywhere
    assert "--learning-rate FLOAT peak learning rate (>= 0.0; default 0.003)" in text
    assert "--batch-size INT examples (or windows) per step (>= 1; default 64)" in text
    assert 'default "cosine")' in text and "default 0.002" not in text
    assert "default: classify 6, generate 8)" in text
    assert "(0 to 1024; default 0)" in text  # every task leaves the thread count to the policy
    assert "replaces the task's default bounds" in text


def test_resume_takes_a_run_id_says_where_it_resumed_and_leaves_a_complete_run_alone(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    runs = str(tmp_path / "runs")
    assert run_cli(tmp_path, "--cell", "gru", "--steps", "3", "--eval-every", "3") == 0
    (run,) = list_runs(tmp_path / "runs")
    capsys.readouterr()
    assert main(["run", "--resume", run.summary.run_id, "--runs-dir", runs, "--steps", "5"]) == 0
    assert "resumed from step 3" in capsys.readouterr().out
    log = (run.run_dir / METRICS_FILE).read_text()
    complete = f"{run.summary.run_id} is already complete (completed after 5 steps): nothing to do"
    for resumed in ([], ["--steps", "5"], ["--steps", "4", "--learning-rate", "0.1"]):
        assert main(["run", "--resume", run.summary.run_id, "--runs-dir", runs, *resumed]) == 0
        assert capsys.readouterr().out.startswith(complete)
        assert (run.run_dir / METRICS_FILE).read_text() == log, "a complete run is not run again"
    assert main(["run", "--resume", run.summary.run_id, "--runs-dir", runs, "--json"]) == 0
    output = capsys.readouterr()
    assert output.out == "" and output.err.startswith(complete)


def test_a_stopped_run_says_where_its_checkpoint_is_and_the_command_that_resumes_it(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    process = workbench_process(
        tiny_corpora, "run", "--dataset", "names", "--cell", "gru", "--task", "classify", "--runs-dir",
        str(tmp_path / "runs"), "--steps", "1000000", "--epochs", "0", "--eval-every", "1", *TINY,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "validation:" in line:
                break
        process.send_signal(signal.SIGINT)
        rest = process.stdout.read()
        assert process.wait(timeout=30) == 130
    finally:
        process.kill()
    (run,) = list_runs(tmp_path / "runs")
    assert f"checkpoint: {run.run_dir / CHECKPOINT_FILE}" in rest
    resume = next(line for line in rest.splitlines() if line.startswith("resume with: "))
    command = shlex.split(resume.removeprefix("resume with: "))
    assert command[:3] == ["workbench", "run", "--resume"]
    step = saved_step(run.run_dir)
    assert main([*command[1:], "--steps", str(step + 2)]) == 0  # the command works as printed
    assert f"resumed from step {step}" in capsys.readouterr().out


def test_a_closed_standard_output_stops_the_run_cleanly(tiny_corpora: Path, tmp_path: Path) -> None:
    process = workbench_process(
        tiny_corpora, "run", "--dataset", "names", "--cell", "gru", "--task", "classify", "--runs-dir",
        str(tmp_path / "runs"), "--steps", "1000000", "--epochs", "0", *TINY, "--json",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        head = [json.loads(process.stdout.readline()) for _ in range(2)]
        process.stdout.close()  # what `| head -2` does
        error = process.stderr.read()
        assert process.wait(timeout=30) == 130, error
    finally:
        process.kill()
    assert [event["event"] for event in head] == ["run_started", "step"]
    assert error == "", "the output ends quietly"
    (run,) = list_runs(tmp_path / "runs")
    assert run.summary.status == "stopped", "a reader going away is not a failure of the run"
    assert (run.run_dir / CHECKPOINT_FILE).is_file()

    listing = workbench_process(tiny_corpora, "runs", "--runs-dir", str(tmp_path / "runs"), "--json",
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.close()
    assert listing.wait(timeout=30) == 141 and listing.stderr.read() == ""


def test_ctrl_c_while_torch_imports_ends_with_one_line(tiny_corpora: Path, tmp_path: Path) -> None:
    process = workbench_process(
        tiny_corpora, "run", "--dataset", "names", "--cell", "gru", "--task", "classify", "--runs-dir",
        str(tmp_path / "runs"), "--steps", "5", *TINY, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        maps = Path(f"/proc/{process.pid}/maps")
        deadline = time.monotonic() + 60
        while process.poll() is None and "libtorch" not in maps.read_text() and time.monotonic() < deadline:
            time.sleep(0.002)  # torch's shared libraries appear as soon as its import begins
        assert process.poll() is None, "the run ended before its import of torch was seen"
        process.send_signal(signal.SIGINT)
        output, error = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    assert error == "workbench: interrupted\n" and output == ""
    assert not (tmp_path / "runs").exists()


def test_predict_falls_back_to_the_latest_weights_of_a_run_never_evaluated(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    process = workbench_process(
        tiny_corpora, "run", "--dataset", "names", "--cell", "gru", "--task", "classify", "--runs-dir",
        str(tmp_path / "runs"), "--steps", "1000000", "--epochs", "0", "--eval-every", "1000000", *TINY,
        "--json", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if json.loads(line)["event"] == "step":
                break
        process.send_signal(signal.SIGINT)
        process.stdout.read()
        assert process.wait(timeout=30) == 130
    finally:
        process.kill()
    (run,) = list_runs(tmp_path / "runs")
    assert not (run.run_dir / BEST_FILE).exists() and logged_steps(run.run_dir)
    assert main(["predict", run.summary.run_id, "Rossi", "--runs-dir", str(tmp_path / "runs")]) == 0
    output = capsys.readouterr()
    assert f"has no {BEST_FILE} (it was never evaluated): using its latest weights" in output.err
    assert "Italian" in output.out


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
    assert (run.run_dir / CHECKPOINT_FILE).is_file() and run.summary.status == "stopped"


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
