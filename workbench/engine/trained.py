"""A trained model back from a run directory, ready to classify or to write, without the training data.

The checkpoint's metadata carries the config and the task's vocabulary and classes, so the model is
rebuilt from its plugins and given its weights; nothing else is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from workbench.cells import Cell
from workbench.config import RunConfig
from workbench.engine.checkpoint import load_checkpoint, load_model_tensors
from workbench.errors import CheckpointError
from workbench.registry import Registry, default_registry
from workbench.runs.directory import BEST_FILE, CHECKPOINT_FILE
from workbench.sampling import check_sampling
from workbench.tasks import Task

CHECKPOINTS = {"best": BEST_FILE, "last": CHECKPOINT_FILE}


@dataclass
class Trained:
    """A run's config, its task (restored from metadata), its cell and its model with weights loaded."""

    run_dir: Path
    config: RunConfig
    task: Task
    cell: Cell
    model: nn.Module
    metadata: dict[str, Any]
    note: str = ""  # set when the weights are not the ones asked for, saying which were used

    def unknown_characters(self, text: str) -> list[str]:
        """The characters of `text` the model cannot read: it sees each as `<unk>`."""
        return self.task.unknown_characters(text)

    def unknown_note(self, text: str) -> str:
        """A sentence naming the characters of `text` the model cannot read, or "" when it reads them all."""
        unknown = self.unknown_characters(text)
        if not unknown:
            return ""
        named = ", ".join(repr(char) for char in unknown)
        return (f"Not in this model's vocabulary: {named}. It reads each as unknown, so its answer "
                "cannot take them into account.")

    def predict(self, text: str, top: int = 3) -> list[tuple[str, float]]:
        """The `top` likeliest labels of `text` with their probabilities (classifying tasks)."""
        return self.task.predict(self.model, text, top)

    def sample(
        self, prompt: str, length: int, temperature: float = 0.8, top_k: int = 0, seed: int | None = None
    ) -> Iterator[str]:
        """Continue `prompt` one character at a time (generating tasks).

        The settings are checked here, before the first character is asked for, so a bad value is
        reported before anything is printed.
        """
        check_sampling(temperature, top_k)
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
        return self.task.sample(self.model, prompt, length, temperature, top_k, generator)


def load_trained(
    run_dir: Path | str, device: str = "cpu", which: str = "best", registry: Registry | None = None
) -> Trained:
    """Rebuild a run's model from `best` (weights at the best validation metric) or `last` (latest).

    A run stopped before its first evaluation has no best weights yet; `best` then falls back to
    the latest ones and says so in `Trained.note`.
    """
    run_dir = Path(run_dir)
    if which not in CHECKPOINTS:
        raise CheckpointError(f"which = {which!r} is not a checkpoint: choose 'best' or 'last'.")
    path = run_dir / CHECKPOINTS[which]
    note = ""
    if not path.is_file() and which == "best" and (run_dir / CHECKPOINT_FILE).is_file():
        path = run_dir / CHECKPOINT_FILE
        note = (f"{run_dir.name} has no {BEST_FILE} (it was never evaluated): using its latest weights, "
                f"from {CHECKPOINT_FILE}.")
    if not path.is_file():
        raise CheckpointError(
            f"{run_dir} has no {path.name}: the run saved no weights yet (they are saved at each "
            "evaluation and when it stops). Train longer or pick another run."
        )
    tensors, metadata = load_checkpoint(path)
    registry = registry or default_registry()
    config = RunConfig.from_dict(metadata["config"], source=str(path))
    resolved = config.resolve(registry)
    task = resolved.task.cls.restore(resolved.task_options, metadata["task"])
    cell = resolved.cell.cls(resolved.cell_options)
    model = task.build_model(cell)
    load_model_tensors(model, tensors, path)
    model.to(device).eval()
    return Trained(run_dir, config, task, cell, model, metadata, note)
