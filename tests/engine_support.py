"""Helpers for the engine, run and CLI tests: tiny configs and fake plugins that fail on purpose."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from workbench_plugins.tasks.classify import Classify

from workbench.cells import State, StepCell, StepCellPlugin
from workbench.config import RunConfig
from workbench.engine.state import saved_step
from workbench.hookspecs import hookimpl
from workbench.registry import Registry, load_registry
from workbench.runs.directory import CHECKPOINT_FILE, METRICS_FILE
from workbench.tasks import evaluation_rows

# The tiny run every engine, CLI and app test starts from: trains in well under a second.
TINY_CELL = {"hidden_size": 16, "layers": 1}
TINY_TASK = {"embedding_size": 8}  # classify's and generate's
TINY_TRAIN = {"steps": 6, "batch_size": 8, "eval_every": 3}
TINY_FLAGS = [*(part for name, value in TINY_CELL.items() for part in ("--set", f"cell.{name}={value}")),
              *(part for name, value in TINY_TASK.items() for part in ("--set", f"classify.{name}={value}")),
              "--batch-size", str(TINY_TRAIN["batch_size"])]


def tiny_config(corpora: Path, runs_dir: Path, cell: str = "gru", **train: Any) -> RunConfig:
    """names + classify with the tiny settings; `train` values replace or add to TINY_TRAIN."""
    return RunConfig(
        dataset="names",
        cell=cell,
        task="classify",
        cell_options=dict(TINY_CELL),
        task_options=dict(TINY_TASK),
        train={**TINY_TRAIN, **train},
        runs_dir=runs_dir,
        corpora=corpora,
    )


class ExplodingStep(StepCell):
    """A step cell that works for a while, then raises: a plugin bug met mid-run."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        self.linear = torch.nn.Linear(input_size + hidden_size, hidden_size)
        self.calls = 0

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        self.calls += 1
        if self.calls > 40:
            raise RuntimeError("the broken cell gave up")
        h = torch.tanh(self.linear(torch.cat([x_t, state[0]], dim=-1)))
        return h, (h,)


class BrokenCell(StepCellPlugin):
    name = "broken"
    description = "Raises after a few steps."
    step = ExplodingStep


class NanClassify(Classify):
    """Classify whose training loss turns into NaN from the fourth step on."""

    name = "nan-classify"
    calls = 0

    def loss(self, model: torch.nn.Module, batch: Any) -> Tensor:
        NanClassify.calls += 1
        loss = super().loss(model, batch)
        return loss * math.nan if NanClassify.calls >= 4 else loss


class SimulatedClock:
    """Stands in for workbench.engine.clock.now: time moves only when a test or a timed task moves it, so
    a run's time plan can be checked exactly on any machine, however busy."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


class TimedClassify(Classify):
    """Classify whose training steps and evaluations take a set time on the simulated `clock`, and
    which records how it was asked to evaluate."""

    name = "timed-classify"
    clock = SimulatedClock()
    step_seconds = 1.0
    item_seconds = 0.1  # per evaluated example
    slowdown: dict[str, float] = {}  # split -> how many times item_seconds its examples take
    evaluations: list[dict[str, Any]] = []

    def loss(self, model: torch.nn.Module, batch: Any) -> Tensor:
        TimedClassify.clock.advance(self.step_seconds)
        return super().loss(model, batch)

    def evaluate(self, model: torch.nn.Module, split: str, batch_size: int,
                 share: float = 1.0) -> dict[str, Any]:
        items = len(evaluation_rows(len(self._split(split)), share))
        TimedClassify.evaluations.append({"split": split, "batch_size": batch_size, "share": share,
                                          "items": items, "of": len(self._split(split)),
                                          "inference_mode": torch.is_inference_mode_enabled()})
        TimedClassify.clock.advance(items * self.item_seconds * self.slowdown.get(split, 1.0))
        return super().evaluate(model, split, batch_size, share)


class FaultyPlugins:
    @hookimpl
    def register_cells(self, register: Any) -> None:
        register(BrokenCell)

    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register(NanClassify)
        register(TimedClassify)


def registry_with_faults() -> Registry:
    NanClassify.calls = 0
    return load_registry(extra=[("tests", FaultyPlugins())])


def simulated_time(monkeypatch: Any, step_seconds: float, item_seconds: float) -> SimulatedClock:
    """Put the engine on a fresh simulated clock, on which timed-classify's steps and evaluated
    examples take the given seconds."""
    import workbench.engine.clock

    clock = SimulatedClock()
    monkeypatch.setattr(workbench.engine.clock, "now", clock)
    monkeypatch.setattr(TimedClassify, "clock", clock)
    monkeypatch.setattr(TimedClassify, "step_seconds", step_seconds)
    monkeypatch.setattr(TimedClassify, "item_seconds", item_seconds)
    monkeypatch.setattr(TimedClassify, "evaluations", [])
    monkeypatch.setattr(TimedClassify, "slowdown", {})
    return clock


def workbench_process(corpora: Path, *args: str, **popen: Any) -> subprocess.Popen:
    """`workbench ARGS` in a process of its own (for signals and pipes), on the given corpora."""
    env = {**os.environ, "WORKBENCH_CORPORA": str(corpora), "COLUMNS": "250"}
    return subprocess.Popen([sys.executable, "-m", "workbench", *args], text=True, env=env, **popen)


def logged_steps(run_dir: Path) -> list[int]:
    """The step numbers of the step events in a run's metrics log, in order."""
    events = [json.loads(line) for line in (run_dir / METRICS_FILE).read_text().splitlines() if line.strip()]
    return [event["step"] for event in events if event["event"] == "step"]


def killed_run(runs_dir: Path, corpora: Path, *flags: str) -> Path:
    """A names classifier killed with SIGKILL once it had logged steps past its latest checkpoint:
    what a crash, an out-of-memory kill or a closed laptop leaves behind. Returns its directory."""
    process = workbench_process(
        corpora, "run", "--dataset", "names", "--cell", "gru", "--task", "classify", "--runs-dir",
        str(runs_dir), "--steps", "1000000", "--eval-every", "3", *TINY_FLAGS, *flags, "--json",
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        run_dir = None
        for line in process.stdout:
            event = json.loads(line)
            run_dir = Path(event["run_dir"]) if event["event"] == "run_started" else run_dir
            if run_dir is None or event["event"] != "step" or event["step"] < 5:
                continue
            process.send_signal(signal.SIGSTOP)  # frozen: the files cannot change while we look
            if (run_dir / CHECKPOINT_FILE).is_file() and max(logged_steps(run_dir)) > saved_step(run_dir):
                break
            process.send_signal(signal.SIGCONT)
        process.kill()
        process.wait(timeout=20)
    finally:
        process.kill()
    assert run_dir is not None, "the run never started"
    return run_dir
