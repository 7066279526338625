"""A run's training state (`TrainingState`): everything it needs to continue exactly where it
stopped, built from the run's seed, and saved to and restored from a checkpoint file.

The checkpoint holds the model, the optimiser's tensors, every random state (global torch, CUDA,
data order at the start of the current epoch and now, samples), what the task carries from step to
step (a stateful task's hidden state) and, as JSON, the progress through the run, the optimiser's
hyperparameters, the config and the task's metadata (vocabulary, classes). Its tensor names and
document fields are the ones checkpoints have always had, so every earlier checkpoint resumes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from workbench.cells import Cell
from workbench.config import RunConfig
from workbench.engine.checkpoint import (
    load_checkpoint,
    load_model_tensors,
    model_tensors,
    optimizer_state,
    read_metadata,
    restore_optimizer,
    save_checkpoint,
)
from workbench.engine.training import build_optimizer
from workbench.errors import CheckpointError
from workbench.runs.directory import BEST_FILE, CHECKPOINT_FILE, read_summary
from workbench.tasks import Task

FORMAT = 1
TASK_PREFIX = "task."
ENDED_ON_ITS_OWN = ("completed", "early-stopped")
_ENDING_SETTINGS = ("steps", "epochs", "time_budget", "patience")  # 0 means no limit for each


@dataclass
class Progress:
    """How far a run got: what the loop needs to pick up at the same batch with the same state."""

    step: int = 0
    epoch: int = 0
    position: int = 0  # batches of the current epoch already trained on
    elapsed: float = 0.0  # seconds of the run so far, pauses left out
    tokens: int = 0
    train_time: float = 0.0  # seconds of those spent in training steps, for throughput
    best_metric: float | None = None
    best_step: int | None = None
    best_validation: dict[str, Any] = field(default_factory=dict)
    last_validation: dict[str, Any] = field(default_factory=dict)
    last_eval_step: int | None = None
    stale_evaluations: int = 0
    epoch_rng: Tensor | None = None  # data-order generator state when the current epoch began

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "epoch_rng"}


@dataclass
class TrainingState:
    """Everything training changes as it goes, so everything a resumed run needs back to continue
    exactly: built here, saved to a checkpoint and restored from one, all in this module.

    The learning-rate schedule keeps no state of its own: each step's rate follows from the
    progress and the settings. Besides the generators held here, a checkpoint keeps torch's global
    random states (CPU and CUDA), which dropout draws from.
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    parameters: list[Tensor]  # the optimiser's, in its order: what gradient clipping reads
    data_rng: torch.Generator  # the order of the training batches
    sample_rng: torch.Generator  # the showcase's samples
    progress: Progress
    task: Task  # the prepared task; a stateful one carries its hidden state from step to step

    @classmethod
    def build(cls, task: Task, cell: Cell, train: dict[str, Any], device: torch.device) -> TrainingState:
        """A fresh start from the run's seed: the model's weights, then the two generators."""
        seed = train["seed"]
        torch.manual_seed(seed)
        model = task.build_model(cell).to(device)
        optimizer = build_optimizer(model, train)
        parameters = [p for group in optimizer.param_groups for p in group["params"]]
        return cls(model, optimizer, parameters, torch.Generator().manual_seed(seed),
                   torch.Generator().manual_seed(seed + 1), Progress(), task)

    def save(self, path: Path, metadata: dict[str, Any]) -> None:
        """Write the checkpoint atomically, with `metadata` (run id, config, task) in its document."""
        optimizer_tensors, optimizer_document = optimizer_state(self.optimizer)
        tensors = {**model_tensors(self.model), **optimizer_tensors, **self._rng_tensors()}
        tensors.update({TASK_PREFIX + name: tensor for name, tensor in self.task.carried_tensors().items()})
        if self.progress.epoch_rng is not None:
            tensors["rng.data_epoch"] = self.progress.epoch_rng
        document = {**metadata, "format": FORMAT, "progress": self.progress.to_json(),
                    "optimizer": optimizer_document}
        save_checkpoint(path, tensors, document)

    def restore(self, path: Path) -> None:
        """Load a checkpoint into this freshly built state; the task must have read the same data."""
        tensors, document = load_checkpoint(path)
        if document.get("task") != json.loads(json.dumps(self.task.metadata())):
            raise CheckpointError(
                f"Cannot resume from {path}: the task's vocabulary or classes differ from the saved ones, "
                "so the corpus or the dataset options changed. Resume with the original corpus."
            )
        load_model_tensors(self.model, tensors, path)
        restore_optimizer(self.optimizer, tensors, document["optimizer"])
        torch.set_rng_state(tensors["rng.torch"])
        devices = torch.cuda.device_count()
        cuda_states = [tensors[f"rng.cuda.{i}"] for i in range(devices) if f"rng.cuda.{i}" in tensors]
        if cuda_states and len(cuda_states) == devices:
            torch.cuda.set_rng_state_all(cuda_states)
        self.data_rng.set_state(tensors["rng.data"])
        self.sample_rng.set_state(tensors["rng.sample"])
        carried = {name[len(TASK_PREFIX):]: tensor for name, tensor in tensors.items()
                   if name.startswith(TASK_PREFIX)}
        self.task.restore_carried_tensors(carried)
        known = {f.name for f in fields(Progress)}
        saved = document["progress"]
        self.progress = Progress(**{k: v for k, v in saved.items() if k in known})
        if "train_time" not in saved:  # written before steps were timed apart from evaluations
            self.progress.train_time = self.progress.elapsed
        self.progress.epoch_rng = tensors.get("rng.data_epoch")

    def _rng_tensors(self) -> dict[str, Tensor]:
        tensors = {"rng.torch": torch.get_rng_state(), "rng.data": self.data_rng.get_state(),
                   "rng.sample": self.sample_rng.get_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            for index, state in enumerate(torch.cuda.get_rng_state_all()):
                tensors[f"rng.cuda.{index}"] = state
        return tensors


def save_best(run_dir: Path, model: nn.Module, metadata: dict[str, Any]) -> None:
    save_checkpoint(run_dir / BEST_FILE, model_tensors(model), {**metadata, "format": FORMAT})


def check_resumable(run_dir: Path, config: RunConfig) -> None:
    """Refuse to resume a run with another dataset, cell, task or model-shaping options."""
    path = run_dir / CHECKPOINT_FILE
    if not path.is_file():
        raise CheckpointError(
            f"Cannot resume {run_dir}: it has no {CHECKPOINT_FILE} (the run saved none before it ended)."
        )
    saved = RunConfig.from_dict(read_metadata(path)["config"], source=str(path))
    for kind in ("dataset", "cell", "task"):
        was, now = getattr(saved, kind), getattr(config, kind)
        if was != now:
            raise CheckpointError(
                f"Cannot resume {run_dir} with {kind} {now!r}: it was trained with {kind} {was!r}. "
                f"Resume with the same {kind}, or start a new run."
            )
        was_options, now_options = getattr(saved, f"{kind}_options"), getattr(config, f"{kind}_options")
        if was_options != now_options:
            keys = {*was_options, *now_options}
            changed = sorted(k for k in keys if was_options.get(k) != now_options.get(k))
            raise CheckpointError(
                f"Cannot resume {run_dir}: {kind} option {changed[0]!r} was "
                f"{was_options.get(changed[0])!r} and is now {now_options.get(changed[0])!r}. "
                "Only [train] settings may change on resume."
            )


def saved_step(run_dir: Path) -> int:
    """The step the run's checkpoint holds: where a resumed run continues from."""
    return int(read_metadata(run_dir / CHECKPOINT_FILE)["progress"]["step"])


def already_complete(run_dir: Path, train: dict[str, Any]) -> bool:
    """True when resuming with `train` would train nothing: the run ended on its own (completed, or
    stopped early for want of progress) and none of the settings that ended it was raised."""
    if read_summary(run_dir).status not in ENDED_ON_ITS_OWN:
        return False
    saved = RunConfig.from_dict(read_metadata(run_dir / CHECKPOINT_FILE)["config"]).train
    return not any(_raised(saved.get(name, 0), train[name]) for name in _ENDING_SETTINGS)


def _raised(was: float, now: float) -> bool:
    """Whether a limit moved up: from a value to a larger one, or to 0 (no limit)."""
    return bool(was) and (not now or now > was)
