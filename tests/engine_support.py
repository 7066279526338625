"""Helpers for the engine, run and CLI tests: tiny configs and fake plugins that fail on purpose."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from workbench_plugins.tasks.classify import Classify

from workbench.cells import State, StepCell, StepCellPlugin
from workbench.config import RunConfig
from workbench.hookspecs import hookimpl
from workbench.registry import Registry, load_registry
from workbench.tasks import evaluation_rows

TINY_CELL = {"hidden_size": 16, "layers": 1}


def tiny_config(corpora: Path, runs_dir: Path, cell: str = "gru", **train: Any) -> RunConfig:
    """names + classify with a 16-unit, one-layer cell, small batches and a few steps."""
    return RunConfig(
        dataset="names",
        cell=cell,
        task="classify",
        cell_options=dict(TINY_CELL),
        task_options={"embedding_size": 8},
        train={"steps": 6, "batch_size": 8, "eval_every": 3, **train},
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
    """Stands in for workbench.clock.now: time moves only when a test or a timed task moves it, so
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
        TimedClassify.clock.advance(items * self.item_seconds)
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
    import workbench.clock

    clock = SimulatedClock()
    monkeypatch.setattr(workbench.clock, "now", clock)
    monkeypatch.setattr(TimedClassify, "clock", clock)
    monkeypatch.setattr(TimedClassify, "step_seconds", step_seconds)
    monkeypatch.setattr(TimedClassify, "item_seconds", item_seconds)
    monkeypatch.setattr(TimedClassify, "evaluations", [])
    return clock
