"""The pieces of a training loop that the engine and `bench` share: device, optimiser, learning-rate
curve, the single training step, and naming the plugin to blame when something raises."""

from __future__ import annotations

import math
import traceback
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor, nn

from workbench.cells import Recurrent
from workbench.errors import ConfigError, WorkbenchError, describe_error
from workbench.tasks import Batch, Task


def pick_device(name: str) -> torch.device:
    """`auto` is cuda when available; asking for cuda without it is a ConfigError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device = 'cuda' but no CUDA device is available: use --device cpu or auto.")
    return torch.device(name)


def build_optimizer(model: nn.Module, train: dict[str, Any]) -> torch.optim.Optimizer:
    parameters = [p for p in model.parameters() if p.requires_grad]
    if train["optimizer"] == "sgd":
        return torch.optim.SGD(parameters, lr=train["learning_rate"], momentum=train["momentum"],
                               weight_decay=train["weight_decay"])
    return torch.optim.AdamW(parameters, lr=train["learning_rate"], weight_decay=train["weight_decay"])


def learning_rate_factor(schedule: str, warmup_steps: int, step: int, progress: float) -> float:
    """Multiplier of the peak rate at 0-based `step`; `progress` (0..1) spans the steps after warm-up."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(max(progress, 0.0), 1.0)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule == "linear":
        return 1.0 - progress
    return 1.0


def train_step(
    model: nn.Module,
    task: Task,
    optimizer: torch.optim.Optimizer,
    batch: Batch,
    grad_clip: float,
    parameters: list[Tensor],
) -> Tensor:
    """Forward, backward, clip, update: one optimiser step. Returns the loss, detached, on its device.

    This is the whole per-step cost of training; the engine's loop and `bench` both call it.
    """
    loss = task.loss(model, batch)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        nn.utils.clip_grad_norm_(parameters, grad_clip)
    optimizer.step()
    return loss.detach()


class Blame:
    """Finds which plugin's code raised, from the traceback, to name it in the error text.

    The innermost frame that belongs to a plugin's classes wins; the modules inside the cell's
    `Recurrent` (its step cells included) count as the cell's.
    """

    def __init__(self, plugins: Iterable[tuple[str, type]]):
        self._owners: list[tuple[str, type]] = [
            (label, base) for label, cls in plugins for base in cls.__mro__ if _is_plugin_code(base)
        ]

    def add_model(self, label: str, model: nn.Module) -> None:
        """Count every module class inside the model's Recurrent stacks as `label`'s code."""
        for recurrent in (m for m in model.modules() if isinstance(m, Recurrent)):
            for module in recurrent.modules():
                if _is_plugin_code(type(module)):
                    self._owners.append((label, type(module)))

    def describe(self, error: BaseException) -> str:
        """`cell 'x' raised RuntimeError: ...`, or the error alone when no plugin is to blame."""
        text = describe_error(error)
        if isinstance(error, WorkbenchError):
            return text
        owner = self.owner(error)
        return f"{owner} raised {text}" if owner else text

    def owner(self, error: BaseException) -> str | None:
        frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
        for frame in reversed(frames):
            module = frame.f_globals.get("__name__", "")
            qualname = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
            for label, cls in self._owners:
                if cls.__module__ == module and qualname.startswith(cls.__qualname__ + "."):
                    return label
        return None


_CONTRACT_MODULES = ("workbench.plugin", "workbench.datasets", "workbench.cells", "workbench.tasks",
                     "workbench.loggers")


def _is_plugin_code(cls: type) -> bool:
    """Plugin classes and their own bases, not the contracts or torch/builtins they derive from."""
    module = cls.__module__
    return not (module in _CONTRACT_MODULES or module.startswith("torch") or module == "builtins")
