"""How a run fails, whoever drives it: bad input found before training is exit code 2 and leaves no
run directory; a failure while training is exit code 1; both are one paragraph, never a traceback."""

from __future__ import annotations

import gc
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from engine_support import tiny_config
from torch import Tensor, nn
from workbench_plugins.cells.native import NativeGRU

from workbench import registry as registry_module
from workbench.app.runner import RunQueue
from workbench.app.tracking import Board
from workbench.cells import Recurrent, State
from workbench.cli import main
from workbench.config import Compare
from workbench.engine.run import Run
from workbench.errors import ConfigError, CorpusError
from workbench.events import Event, RunFailed
from workbench.hookspecs import hookimpl
from workbench.recurrent import NativeRecurrent
from workbench.registry import Registry, load_registry
from workbench.runs.directory import list_runs

FAILING_STEP = 5
TINY = ["--set", "cell.hidden_size=16", "--set", "cell.layers=1", "--set", "classify.embedding_size=8",
        "--batch-size", "8"]


class FailsAtStep(NativeRecurrent):
    """A GRU stack whose training forward pass number FAILING_STEP raises: a plugin bug that shows
    only once training is under way (evaluations, which run without gradients, do not count)."""

    def __init__(self, module: nn.RNNBase):
        super().__init__(module)
        self.training_passes = 0

    def forward(self, inputs: Tensor, state: State | None = None,
                lengths: Tensor | None = None) -> tuple[Tensor, State]:
        if torch.is_grad_enabled():
            self.training_passes += 1
            if self.training_passes == FAILING_STEP:
                raise RuntimeError(f"made to fail at training step {FAILING_STEP}")
        return super().forward(inputs, state, lengths)


class FailingCell(NativeGRU):
    name = "fails-at-step"
    description = "A GRU that raises at a set training step."

    def build(self, input_size: int) -> Recurrent:
        native = super().build(input_size)
        assert isinstance(native, NativeRecurrent)
        return FailsAtStep(native.module)


class FailingPlugins:
    @hookimpl
    def register_cells(self, register: Any) -> None:
        register(FailingCell)


@pytest.fixture
def failing_registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    registry = load_registry(extra=[("tests", FailingPlugins())])
    monkeypatch.setattr(registry_module, "_default", registry)
    return registry


def run_cli(runs: Path, *args: str) -> int:
    return main(["run", "--dataset", "names", "--task", "classify", "--runs-dir", str(runs), *TINY, *args])


def one_paragraph(text: str) -> str:
    """`text` once it is checked to be one paragraph (a terminal may wrap it) with no traceback."""
    assert "Traceback" not in text
    assert text.strip() and "\n\n" not in text.strip(), f"not one paragraph: {text!r}"
    return " ".join(text.split())


def no_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A corpora directory with nothing in it, the only place names may come from."""
    monkeypatch.delenv("WORKBENCH_CORPORA", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "nowhere"


@pytest.mark.parametrize("cells", [["gru"], ["gru", "rnn"]], ids=["one run", "a compare"])
def test_bad_input_exits_2_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, cells: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    corpora = no_corpus(tmp_path, monkeypatch)
    flags = [flag for cell in cells for flag in ("--cell", cell)]
    assert run_cli(tmp_path / "runs", *flags, "--steps", "2", "--corpora", str(corpora)) == 2
    output = capsys.readouterr()
    message = one_paragraph(output.err)
    assert message.startswith("error:") and "'names'" in message
    assert "failed" not in output.out, "bad input is an error of the command, not a failed run"
    assert not (tmp_path / "runs").exists()


def test_bad_input_exits_2_from_a_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    corpora = no_corpus(tmp_path, monkeypatch)
    assert run_cli(tmp_path / "runs", "--cell", "gru", "--steps", "2", "--seeds", "1",
                   "--corpora", str(corpora)) == 2
    assert "'names'" in one_paragraph(capsys.readouterr().err)
    assert list_runs(tmp_path / "runs") == []


def test_bad_input_is_raised_by_run_sync_and_marked_on_the_event_of_a_started_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two ways to drive a run get ready the same way: the CLI's `run_sync` raises the bad
    input (before, it returned an ordinary failure unless the caller had prepared the data first),
    and the app's `start` ends with a failure event that says it was bad input."""
    config = tiny_config(no_corpus(tmp_path, monkeypatch), tmp_path / "runs")
    events: list[Event] = []
    synchronous = Run(config)
    synchronous.subscribe(events.append)
    with pytest.raises(CorpusError, match="'names'"):
        synchronous.run_sync()
    background = Run(config)
    background.subscribe(events.append)
    background.start()
    assert background.join(timeout=60)
    assert len(events) == 2
    for event in events:
        assert isinstance(event, RunFailed) and event.bad_input and event.step == 0
        assert "'names'" in one_paragraph(event.error)
    assert not (tmp_path / "runs").exists()


def test_the_app_shows_bad_input_on_the_run_and_makes_no_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = RunQueue(Board(), lambda work: threading.Thread(target=work, daemon=True).start())
    (track,) = queue.enqueue(Compare(tiny_config(no_corpus(tmp_path, monkeypatch), tmp_path / "runs")))
    deadline = time.monotonic() + 60
    while not track.finished:
        assert time.monotonic() < deadline, "the run never ended"
        queue.poll()
        time.sleep(0.02)
    assert track.state == "failed" and "'names'" in one_paragraph(track.error)
    assert not (tmp_path / "runs").exists()


def test_a_resume_that_does_not_fit_the_data_is_bad_input_and_leaves_the_run_as_it_was(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A corpus with one more language: the checkpoint is checked before the run directory is
    touched, so exit 2 and the run's summary still says how it ended (it used to be rewritten as
    failed, with exit code 1)."""
    monkeypatch.setenv("COLUMNS", "250")
    runs = tmp_path / "runs"
    assert run_cli(runs, "--cell", "gru", "--steps", "2", "--eval-every", "2") == 0
    (run,) = list_runs(runs)
    summary = (run.run_dir / "summary.json").read_text()
    greek = ["Papadopoulos", "Pappas", "Vlahos", "Angelopoulos", "Nikolaidis", "Georgiou", "Petridis",
             "Athanasiou", "Dimitriou", "Papadakis", "Oikonomou", "Karagiannis", "Vasileiou", "Makris"]
    (tiny_corpora / "names" / "Greek.txt").write_text("\n".join(greek) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["run", "--resume", str(run.run_dir), "--steps", "4"]) == 2
    assert "Cannot resume from" in one_paragraph(capsys.readouterr().err)
    assert (run.run_dir / "summary.json").read_text() == summary


@pytest.mark.parametrize("json_output", [False, True], ids=["terminal", "json"])
def test_a_cell_that_raises_while_training_exits_1(
    tiny_corpora: Path, tmp_path: Path, failing_registry: Registry, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch, json_output: bool
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    flags = ["--json"] if json_output else []
    assert run_cli(tmp_path / "runs", "--cell", "fails-at-step", "--steps", "9", "--eval-every", "2",
                   *flags) == 1
    output = capsys.readouterr()
    assert "Traceback" not in output.err + output.out
    expected = f"cell 'fails-at-step' raised RuntimeError: made to fail at training step {FAILING_STEP}"
    if json_output:
        failure = json.loads(output.out.splitlines()[-1])
        assert failure["event"] == "run_failed" and failure["bad_input"] is False
        assert one_paragraph(failure["error"]) == expected
    else:
        (line,) = [line for line in output.out.splitlines() if "failed" in line]
        assert one_paragraph(line).endswith(f"failed at step {FAILING_STEP - 1}: {expected}")
    (record,) = list_runs(tmp_path / "runs")
    assert record.summary.status == "failed" and record.summary.steps == FAILING_STEP - 1


def test_building_a_run_writes_nothing(tiny_corpora: Path, tmp_path: Path) -> None:
    """A run's directory is made when the run starts: neither a Run refused for bad input nor one
    built and then dropped leaves anything behind."""
    runs = tmp_path / "runs"
    bad = tiny_config(tiny_corpora, runs)
    bad.cell_options["hidden_size"] = 0
    with pytest.raises(ConfigError, match="hidden_size"):
        Run(bad)
    dropped = Run(tiny_config(tiny_corpora, runs))
    assert dropped.run_dir is None
    del dropped
    gc.collect()
    assert not runs.exists()
