"""The task contract: what a model learns from a dataset, how it is scored and how it is used.

The training engine drives a task and knows nothing of its data: it asks for batches, a loss,
an evaluation, a few showcase texts (samples or example predictions) and the metadata that lets a
checkpoint be used later without the training data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import torch
from torch import Tensor, nn

from workbench.cells import Cell
from workbench.datasets import SPLITS, Dataset
from workbench.errors import ConfigError
from workbench.inspection.reading import Reading
from workbench.plugin import Plugin
from workbench.vocabulary import Vocabulary


@dataclass
class Batch:
    """Model inputs and targets. `tokens` counts predicted items, for throughput."""

    inputs: Tensor
    targets: Tensor
    lengths: Tensor | None
    tokens: int

    def to(self, device: torch.device | str) -> Batch:
        lengths = self.lengths  # pack_padded_sequence wants lengths on the CPU
        return Batch(self.inputs.to(device), self.targets.to(device), lengths, self.tokens)


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """Run `model` in eval mode (no dropout) and give it back in the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def model_device(model: nn.Module) -> torch.device:
    """Where the model's weights live, so inputs can be put beside them."""
    return next(model.parameters()).device


class Task(Plugin):
    """Base class of task plugins.

    `form` is the dataset form it consumes ("classification" or "generation"). `metric` names the
    validation metric that early stopping and comparisons use; `higher_is_better` its direction.
    `metric_names` lists the metrics `evaluate` reports (loss and `metric` are always among them),
    so the event that starts a run can say what its evaluations will hold.
    `cell_defaults` and `train_defaults` override cell and training parameter defaults with values
    that suit this task (a person's own values still win).
    """

    kind: ClassVar[str] = "task"
    form: ClassVar[str] = ""
    metric: ClassVar[str] = "loss"
    higher_is_better: ClassVar[bool] = False
    metric_names: ClassVar[tuple[str, ...]] = ()
    cell_defaults: ClassVar[dict[str, Any]] = {}
    train_defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = self.resolve_options(options)

    # Training
    def prepare(self, dataset: Dataset, seed: int) -> None:
        """Read the dataset's splits and build the vocabulary (and classes)."""
        raise NotImplementedError

    def build_model(self, cell: Cell) -> nn.Module:
        """The whole network: embedding, the cell's Recurrent, and the task's output head."""
        raise NotImplementedError

    def batches(self, split: str, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        """One epoch of `split` in an order drawn from `generator`."""
        raise NotImplementedError

    def loss(self, model: nn.Module, batch: Batch) -> Tensor:
        """Mean loss over the batch's predicted items (nats)."""
        raise NotImplementedError

    def carried_tensors(self) -> dict[str, Tensor]:
        """Tensors the task carries from one training step to the next (a stateful task's hidden
        state). Checkpoints save them, so a run resumed mid-epoch continues exactly."""
        return {}

    def restore_carried_tensors(self, tensors: dict[str, Tensor]) -> None:
        """Take back, from a checkpoint, what `carried_tensors` gave."""

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: str, batch_size: int, share: float = 1.0) -> dict[str, Any]:
        """Metrics on a split: always "loss" and `metric`; floats, plus nested details.

        `share` (0 < share <= 1) asks for a part of the split only, when a time budget has no room
        for a full pass: score the items `evaluation_rows` picks, an evenly spread selection that
        is the same for the same share.
        """
        raise NotImplementedError

    @classmethod
    def reported_metrics(cls) -> list[str]:
        """The metrics `evaluate` reports: loss, `metric`, then the rest of `metric_names`."""
        return list(dict.fromkeys(("loss", cls.metric, *cls.metric_names)))

    def summary_fields(self) -> dict[str, Any]:
        """How this task trained and scored, in its own words, added to the run's summary.json
        (the generate task says whether it carried state)."""
        return {}

    @torch.no_grad()
    def showcase(self, model: nn.Module, generator: torch.Generator) -> list[str]:
        """A few lines a person can read to judge progress: samples or example predictions."""
        raise NotImplementedError

    # Using a trained model
    def metadata(self) -> dict[str, Any]:
        """JSON-ready state (vocabulary, classes) that `restore` needs to rebuild the task."""
        raise NotImplementedError

    @classmethod
    def restore(cls, options: dict[str, Any], metadata: dict[str, Any]) -> Task:
        """A task ready to build a model and use it, without its dataset."""
        raise NotImplementedError

    def unknown_characters(self, text: str) -> list[str]:
        """The characters of `text` the model cannot read (its vocabulary lacks them), each once,
        so an interface can point them out. A task without a vocabulary reads everything."""
        return []

    def predict(self, model: nn.Module, text: str, top: int) -> list[tuple[str, float]]:
        """The `top` most likely labels of `text` with their probabilities (classifying tasks)."""
        raise ConfigError(f"task {self.name!r} does not predict labels: use a classifying task")

    def sample(
        self,
        model: nn.Module,
        prompt: str,
        length: int,
        temperature: float,
        top_k: int,
        generator: torch.Generator,
    ) -> Iterator[str]:
        """Continue `prompt`, yielding one character at a time (generating tasks)."""
        raise ConfigError(f"task {self.name!r} does not generate text: use a generating task")

    def read(self, model: nn.Module, text: str) -> Reading:
        """What `model` predicts at each position of `text`, for inspection.

        The model's first pass must read the whole of `text` as the first sequence of its batch:
        inspection records the cells' probes from that sequence.
        """
        raise ConfigError(f"task {self.name!r} cannot be inspected: it does not define `read`")


def evaluation_rows(count: int, share: float) -> Tensor:
    """Which of a split's `count` items an evaluation of `share` of it scores: all of them for a
    share of 1, otherwise at least one, evenly spread so every part of the split is represented."""
    if share >= 1.0:
        return torch.arange(count)
    picked = max(1, min(count, round(share * count)))
    return torch.linspace(0, count - 1, picked).round().long().unique()


Prepared = TypeVar("Prepared")


def prepared_split(task: str, prepared: Mapping[str, Prepared], split: str) -> Prepared:
    """The data a task prepared for `split`, or a ConfigError saying what to do first."""
    if split not in prepared:
        raise ConfigError(
            f"There is no prepared split {split!r}: choose one of {', '.join(SPLITS)} "
            f"(and prepare the {task} task with a dataset before training or evaluating)."
        )
    return prepared[split]


def prepared_vocabulary(task: str, vocabulary: Vocabulary | None) -> Vocabulary:
    """The task's vocabulary, or a ConfigError when it was neither prepared nor restored."""
    if vocabulary is None:
        raise ConfigError(f"The {task} task has no vocabulary yet: prepare it with a dataset or restore it.")
    return vocabulary
