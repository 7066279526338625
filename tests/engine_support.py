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


class FaultyPlugins:
    @hookimpl
    def register_cells(self, register: Any) -> None:
        register(BrokenCell)

    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register(NanClassify)


def registry_with_faults() -> Registry:
    NanClassify.calls = 0
    return load_registry(extra=[("tests", FaultyPlugins())])
