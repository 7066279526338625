"""Loggers: chosen per run, fed every event, read back by their own tools; failures are named."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from engine_support import tiny_config
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import api_pb2, metadata
from workbench_plugins.loggers.csv_table import CSV_FILE, FIRST_COLUMNS
from workbench_plugins.loggers.tensorboard_events import TensorBoardLogger

from workbench.cli import main
from workbench.config import RunConfig
from workbench.conformance import check_logger, check_plugin, failures
from workbench.engine.run import Run
from workbench.errors import ConfigError
from workbench.events import Evaluated, Event, RunFailed, RunFinished, Sampled, StepDone
from workbench.loggers import Logger
from workbench.registry import default_registry
from workbench.runs.directory import METRICS_FILE, read_run
from workbench.runs.history import read_event_log
from workbench.testing import assert_logger_conforms, registered

INSTALL_TENSORBOARD = 'pip install -e ".[tensorboard]"'


def run_collecting(run: Run) -> tuple[RunFinished | RunFailed, list[Event]]:
    events: list[Event] = []
    run.subscribe(events.append)
    return run.run_sync(), events


def of(kind: type, events: list[Event]) -> list:
    return [event for event in events if isinstance(event, kind)]


def test_tensorboard_scalars_samples_and_settings_read_back_with_tensorboard(
    tiny_corpora: Path, tmp_path: Path
) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs")
    config.loggers = ["tensorboard"]
    result, events = run_collecting(Run(config))
    assert isinstance(result, RunFinished)
    run_dir = Path(events[0].run_dir)

    board = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    board.Reload()
    steps = of(StepDone, events)

    def series(tag: str) -> list[tuple[int, float]]:
        return [(scalar.step, scalar.value) for scalar in board.Scalars(tag)]

    assert series("train/loss") == [(e.step, pytest.approx(e.loss, rel=1e-6)) for e in steps]
    assert series("train/learning_rate") == [
        (e.step, pytest.approx(e.learning_rate, rel=1e-6)) for e in steps
    ]
    assert series("train/tokens_per_second") == [
        (e.step, pytest.approx(e.tokens_per_second, rel=1e-6)) for e in steps
    ]
    validation = [e for e in of(Evaluated, events) if e.split == "validation"]
    for name in ("loss", "accuracy", "macro_f1"):
        assert series(f"validation/{name}") == [(e.step, pytest.approx(e.metrics[name], rel=1e-6))
                                                for e in validation]
    (test,) = [e for e in of(Evaluated, events) if e.split == "test"]
    assert series("test/accuracy") == [(6, pytest.approx(test.metrics["accuracy"], rel=1e-6))]
    language, score = next(iter(validation[-1].metrics["per_class"].items()))
    assert series(f"validation/per_class/{language}")[-1] == (6, pytest.approx(score, rel=1e-6))

    samples = board.Tensors("samples/text_summary")
    shown = [text.decode() for sample in samples for text in sample.tensor_proto.string_val]
    assert [sample.step for sample in samples] == [e.step for e in of(Sampled, events)]
    assert of(Sampled, events)[0].texts[0] in shown[0]

    hparams = board.PluginTagToContent(metadata.PLUGIN_NAME)
    start = metadata.parse_session_start_info_plugin_data(hparams[metadata.SESSION_START_INFO_TAG])
    assert start.hparams["cell"].string_value == "gru"
    assert start.hparams["cell.hidden_size"].number_value == 16
    assert start.hparams["train.batch_size"].number_value == 8
    assert start.hparams["train.loggers"].string_value == "tensorboard"
    assert start.hparams["parameters"].number_value == events[0].parameters
    end = metadata.parse_session_end_info_plugin_data(hparams[metadata.SESSION_END_INFO_TAG])
    assert end.status == api_pb2.STATUS_SUCCESS


def test_a_resumed_run_shows_each_step_once_in_tensorboard(tiny_corpora: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs", steps=6, eval_every=2)
    config.loggers = ["tensorboard"]
    first = Run(config)
    first.subscribe(lambda event: first.stop() if isinstance(event, StepDone) and event.step == 3 else None)
    stopped, _ = run_collecting(first)
    assert isinstance(stopped, RunFinished) and stopped.status == "stopped"
    resumed, _ = run_collecting(Run(config, resume=first.run_dir))
    assert isinstance(resumed, RunFinished) and resumed.status == "completed"

    board = EventAccumulator(str(first.run_dir), size_guidance={"scalars": 0})
    board.Reload()
    logged = [e for e in read_event_log(first.run_dir).events if isinstance(e, StepDone)]
    assert [s.step for s in board.Scalars("train/loss")] == [1, 2, 3, 4, 5, 6]
    assert [s.value for s in board.Scalars("train/loss")] == [pytest.approx(e.loss, rel=1e-6) for e in logged]


def test_csv_has_one_row_per_step_and_per_evaluation(tiny_corpora: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs")
    config.loggers = ["csv"]
    result, events = run_collecting(Run(config))
    assert isinstance(result, RunFinished)
    with open(Path(events[0].run_dir) / CSV_FILE, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        header, rows = reader.fieldnames, list(reader)
    assert header[: len(FIRST_COLUMNS)] == list(FIRST_COLUMNS)
    assert {"accuracy", "macro_f1"} <= set(header)
    per_class = of(Evaluated, events)[0].metrics["per_class"]
    assert {f"per_class/{language}" for language in per_class} <= set(header)
    assert [(row["split"], int(row["step"])) for row in rows] == [
        ("train", 1), ("train", 2), ("train", 3), ("validation", 3),
        ("train", 4), ("train", 5), ("train", 6), ("validation", 6), ("test", 6),
    ]
    steps = of(StepDone, events)
    train_rows = [row for row in rows if row["split"] == "train"]
    assert [float(row["loss"]) for row in train_rows] == [e.loss for e in steps]
    assert [int(row["tokens"]) for row in train_rows] == [e.tokens for e in steps]
    assert all(row["accuracy"] == "" for row in train_rows)  # rows written before the column existed
    evaluations = of(Evaluated, events)
    assert [float(row["accuracy"]) for row in rows if row["split"] != "train"] == [
        e.metrics["accuracy"] for e in evaluations
    ]
    assert rows[3]["elapsed"] == train_rows[2]["elapsed"]  # an evaluation is placed after its step


def test_a_resumed_run_appends_to_its_csv(tiny_corpora: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs")
    config.loggers = ["csv"]
    first = Run(config)
    first.subscribe(lambda event: first.stop() if isinstance(event, StepDone) and event.step == 4 else None)
    run_collecting(first)
    header_before = (first.run_dir / CSV_FILE).read_text(encoding="utf-8").splitlines()[0]
    run_collecting(Run(config, resume=first.run_dir))
    lines = (first.run_dir / CSV_FILE).read_text(encoding="utf-8").splitlines()
    assert lines[0] == header_before and lines.count(header_before) == 1
    rows = list(csv.DictReader(lines))
    assert [int(row["step"]) for row in rows if row["split"] == "train"] == [1, 2, 3, 4, 5, 6]


def test_loggers_are_chosen_on_the_command_line_and_recorded_with_the_run(
    tiny_corpora: Path, tmp_path: Path
) -> None:
    code = main(["run", "--dataset", "names", "--cell", "gru", "--task", "classify", "--steps", "2",
                 "--batch-size", "8", "--set", "cell.hidden_size=8", "--runs-dir", str(tmp_path / "runs"),
                 "--log", "csv", "--log", "jsonl", "--log", "tensorboard"])
    assert code == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / CSV_FILE).is_file() and (run_dir / METRICS_FILE).is_file()
    assert list(run_dir.glob("events.out.tfevents.*"))
    assert read_run(run_dir).summary.status == "completed"
    recorded = RunConfig.from_toml(run_dir / "config.toml")
    assert recorded.loggers == ["csv", "tensorboard"]
    assert recorded.plugin_options["tensorboard"] == {"flush_seconds": 10.0}


def test_choosing_tensorboard_without_it_installed_names_the_install_command(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # what an environment without the extra sees
    code = main(["run", "--dataset", "names", "--cell", "gru", "--task", "classify", "--steps", "2",
                 "--runs-dir", str(tmp_path / "runs"), "--log", "tensorboard"])
    assert code == 2
    error = capsys.readouterr().err
    assert "tensorboard logger" in error and INSTALL_TENSORBOARD in " ".join(error.split())
    assert not (tmp_path / "runs").exists()  # refused before any run directory was made
    results = check_logger(TensorBoardLogger)
    assert [r.name for r in failures(results)] == [
        "its packages are installed", "records a finished run", "records a failed run",
        "records a resumed run",
    ]
    assert INSTALL_TENSORBOARD in results[2].reason


def test_an_unknown_logger_lists_the_installed_ones(tiny_corpora: Path, tmp_path: Path, capsys) -> None:
    code = main(["run", "--dataset", "names", "--cell", "gru", "--task", "classify", "--steps", "2",
                 "--runs-dir", str(tmp_path / "runs"), "--log", "wandb"])  # refused before any data loads
    assert code == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "There is no logger named 'wandb': choose one of csv, jsonl, tensorboard." in error


class Collecting(Logger):
    """A third-party logger that keeps what it is given, in memory."""

    name = "collecting"
    description = "Keeps every event it is given."
    seen: list[Event] = []
    closed = 0

    def log(self, event: Event) -> None:
        Collecting.seen.append(event)

    def close(self) -> None:
        Collecting.closed += 1


class Raising(Logger):
    name = "raising"
    description = "Fails at the second step."

    def log(self, event: Event) -> None:
        if isinstance(event, StepDone) and event.step == 2:
            raise OSError("no space left on [runs]")


def test_a_third_party_logger_gets_every_event_in_order(tiny_corpora: Path, tmp_path: Path) -> None:
    Collecting.seen, Collecting.closed = [], 0
    with registered(Collecting) as registry:
        config = tiny_config(tiny_corpora, tmp_path / "runs")
        config.loggers = ["collecting"]
        result, events = run_collecting(Run(config, registry=registry))
    assert isinstance(result, RunFinished)
    assert Collecting.seen == events and Collecting.closed == 1
    assert [e.kind for e in read_event_log(Path(events[0].run_dir)).events] == [e.kind for e in events]


def test_a_logger_that_raises_fails_the_run_and_is_named(tiny_corpora: Path, tmp_path: Path) -> None:
    with registered(Raising) as registry:
        config = tiny_config(tiny_corpora, tmp_path / "runs")
        config.loggers = ["raising"]
        result, events = run_collecting(Run(config, registry=registry))
    assert isinstance(result, RunFailed)
    assert result.error == "logger 'raising' raised OSError: no space left on [runs]"
    run_dir = Path(events[0].run_dir)
    logged = read_event_log(run_dir).events
    assert logged[-1] == result  # the jsonl logger recorded the failure the other one caused
    assert read_run(run_dir).summary.status == "failed"


def test_the_command_line_names_the_failing_logger_and_exits_1(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with registered(Raising):
        code = main(["run", "--dataset", "names", "--cell", "gru", "--task", "classify", "--steps", "3",
                     "--batch-size", "8", "--set", "cell.hidden_size=8", "--runs-dir", str(tmp_path / "runs"),
                     "--log", "raising"])
    assert code == 1
    output = " ".join(capsys.readouterr().out.split())
    assert "failed at step 2: logger 'raising' raised OSError: no space left on [runs]" in output


def test_every_installed_logger_keeps_the_contract() -> None:
    for name in default_registry().names("logger"):
        assert not failures(check_plugin(name, "logger")), name
    assert_logger_conforms(Collecting)


def test_the_contract_catches_a_logger_that_fails_on_some_events() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_logger_conforms(Raising)
    message = str(caught.value)
    assert "records a finished run: raised OSError: no space left on [runs]" in message
    assert "records a failed run" not in message  # that made-up run stops after its first step


def test_jsonl_is_always_on_even_when_the_plugin_selection_leaves_it_out(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.registry import SELECT_ENV, load_registry

    monkeypatch.setenv(SELECT_ENV, "names,native-cells,classify")
    registry = load_registry()
    assert "jsonl" not in registry.names("logger")
    run = Run(tiny_config(tiny_corpora, tmp_path / "runs", steps=2, eval_every=0), registry=registry)
    result, events = run_collecting(run)
    lines = (run.run_dir / METRICS_FILE).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["event"] for line in lines] == [e.kind for e in events]
    assert isinstance(result, RunFinished)


def test_logger_options_and_names_in_a_config(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    head = 'dataset = "names"\ncell = "gru"\ntask = "classify"\n[train]\n'
    logged = 'loggers = ["tensorboard", "jsonl"]\n[tensorboard]\nflush_seconds = 2\n'
    path.write_text(head + "steps = 5\n" + logged, encoding="utf-8")
    config = RunConfig.from_toml(path)
    assert config.loggers == ["tensorboard"]
    resolved = config.resolve(default_registry())
    assert resolved.logger_options == {"tensorboard": {"flush_seconds": 2.0}}
    written = tmp_path / "written.toml"
    written.write_text(resolved.as_config().to_toml(), encoding="utf-8")
    assert RunConfig.from_toml(written).loggers == ["tensorboard"]
    assert RunConfig.from_toml(written).plugin_options == {"tensorboard": {"flush_seconds": 2.0}}
    assert config.apply_overrides(["train.loggers=csv, tensorboard"]).loggers == ["csv", "tensorboard"]
    faster = config.apply_overrides(["tensorboard.flush_seconds=1"]).resolve(default_registry())
    assert faster.logger_options["tensorboard"]["flush_seconds"] == 1.0
    path.write_text(head + "loggers = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[train\] loggers must be a list of logger names"):
        RunConfig.from_toml(path)
