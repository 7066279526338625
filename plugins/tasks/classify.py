"""The `classify` task: read a string, name its class (a surname's language, a tercet's cantica).

The network embeds the characters, runs the cell over them (both ways by default) and reads the
class off the final state, so the cell's summary of the whole string is what gets trained.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pad_sequence

from workbench import metrics
from workbench.cells import Cell, Recurrent
from workbench.datasets import SPLITS, Dataset, Example
from workbench.errors import CheckpointError, ConfigError
from workbench.hookspecs import hookimpl
from workbench.inspection.reading import CLASSES, Reading
from workbench.params import Param
from workbench.tasks import (
    Batch,
    Task,
    evaluating,
    evaluation_rows,
    model_device,
    prepared_split,
    prepared_vocabulary,
)
from workbench.vocabulary import PAD, UNK, Vocabulary

SHOWCASE_EXAMPLES = 6
# Character positions one forward pass of `read` may hold: its prefixes go in batches of at most this
# many positions, so reading a long text needs memory in proportion to its length, not its square.
READ_POSITIONS_PER_PASS = 1 << 16


class Classifier(nn.Module):
    """Embedding -> recurrent stack -> final state of each direction -> dropout -> class scores."""

    def __init__(
        self, vocabulary_size: int, embedding_size: int, recurrent: Recurrent, dropout: float, classes: int
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, embedding_size, padding_idx=PAD)
        self.recurrent = recurrent
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(recurrent.output_size, classes)

    def forward(self, inputs: Tensor, lengths: Tensor) -> Tensor:
        """inputs (batch, time) padded ids, lengths (batch,) -> logits (batch, classes)."""
        _, state = self.recurrent(self.embedding(inputs), lengths=lengths)
        return self.head(self.dropout(self.recurrent.summary(state)))


@dataclass(frozen=True)
class EncodedSplit:
    """A split as tensors: padded ids (n, longest), true lengths (n,) and labels (n,)."""

    inputs: Tensor
    lengths: Tensor
    labels: Tensor
    texts: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def batch(self, rows: Tensor) -> Batch:
        lengths = self.lengths[rows]
        longest = int(lengths.max())
        return Batch(self.inputs[rows, :longest], self.labels[rows], lengths, tokens=len(rows))


class Classify(Task):
    name = "classify"
    description = "Name the class of a string (a surname's language): accuracy, macro-F1, confusion."
    form = "classification"
    metric = "accuracy"
    higher_is_better = True
    metric_names = ("loss", "accuracy", "macro_f1")
    cell_defaults = {"bidirectional": True}
    train_defaults = {"learning_rate": 3e-3, "batch_size": 64, "epochs": 6, "schedule": "cosine"}
    params = (
        Param("embedding_size", int, 64, "size of each character's learned vector", min=1, max=4096),
        Param("dropout", float, 0.2, "dropout on the final state before the classifier", min=0.0, max=0.95),
        Param(
            "class_weighting",
            str,
            "none",
            "weigh each class's loss by its rarity in training (balanced) or not (none)",
            choices=("none", "balanced"),
        ),
    )

    def __init__(self, options: dict[str, Any] | None = None):
        super().__init__(options)
        self.vocabulary: Vocabulary | None = None
        self.classes: list[str] = []
        self.splits: dict[str, EncodedSplit] = {}
        self.class_weights: Tensor | None = None

    # Training
    def prepare(self, dataset: Dataset, seed: int) -> None:
        data = dataset.classification(seed)
        problems = data.problems()
        if problems:
            raise ConfigError(
                f"Dataset {dataset.name!r} cannot train and score a classifier: {'; '.join(problems)}. "
                "Use a corpus with more data (for 'names', files for at least two languages), or change "
                "the dataset options that select or hold out examples."
            )
        self.classes = list(data.classes)
        self.vocabulary = Vocabulary.build(example.text for example in data.train)
        for split in SPLITS:
            self.splits[split] = self._encode(data.split(split))
        if self.options["class_weighting"] == "balanced":
            counts = torch.bincount(self.splits["train"].labels, minlength=len(self.classes)).double()
            weights = counts.sum() / (len(self.classes) * counts.clamp(min=1))
            self.class_weights = weights.float()

    def build_model(self, cell: Cell) -> nn.Module:
        vocabulary = self._vocabulary()
        size = self.options["embedding_size"]
        return Classifier(len(vocabulary), size, cell.build(size), self.options["dropout"], len(self.classes))

    def batches(self, split: str, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        encoded = self._split(split)
        order = torch.randperm(len(encoded), generator=generator, device=generator.device).cpu()
        for start in range(0, len(encoded), batch_size):
            yield encoded.batch(order[start : start + batch_size])

    def loss(self, model: nn.Module, batch: Batch) -> Tensor:
        weights = None if self.class_weights is None else self.class_weights.to(batch.targets.device)
        return F.cross_entropy(model(batch.inputs, batch.lengths), batch.targets, weight=weights)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: str, batch_size: int, share: float = 1.0) -> dict[str, Any]:
        encoded = self._split(split)
        rows = evaluation_rows(len(encoded), share)
        device = model_device(model)
        total_loss = 0.0
        predictions = []
        with evaluating(model):
            for start in range(0, len(rows), batch_size):
                batch = encoded.batch(rows[start : start + batch_size]).to(device)
                logits = model(batch.inputs, batch.lengths)
                total_loss += float(F.cross_entropy(logits, batch.targets, reduction="sum"))
                predictions.append(logits.argmax(dim=-1).cpu())
        confusion = metrics.confusion_matrix(torch.cat(predictions), encoded.labels[rows], len(self.classes))
        per_class = zip(self.classes, metrics.per_class_accuracy(confusion), strict=True)
        return {
            "loss": total_loss / len(rows),
            "accuracy": metrics.accuracy(confusion),
            "macro_f1": metrics.macro_f1(confusion),
            "per_class": {name: score for name, score in per_class if score is not None},
            "confusion": confusion.tolist(),
            "classes": list(self.classes),
        }

    @torch.no_grad()
    def showcase(self, model: nn.Module, generator: torch.Generator) -> list[str]:
        encoded = self._split("validation")
        order = torch.randperm(len(encoded), generator=generator, device=generator.device).cpu()
        lines = []
        for row in order[:SHOWCASE_EXAMPLES].tolist():
            text, truth = encoded.texts[row], self.classes[int(encoded.labels[row])]
            label, probability = self.predict(model, text, 1)[0]
            verdict = f"✓ {text} → {label}" if label == truth else f"✗ {text} → {label} (is {truth})"
            lines.append(f"{verdict} {probability:.0%}")
        return lines

    # Using a trained model
    def metadata(self) -> dict[str, Any]:
        return {"vocabulary": self._vocabulary().to_json(), "classes": list(self.classes)}

    @classmethod
    def restore(cls, options: dict[str, Any], metadata: dict[str, Any]) -> Classify:
        task = cls(options)
        classes = metadata.get("classes") if isinstance(metadata, dict) else None
        if not isinstance(classes, list) or not classes or "vocabulary" not in metadata:
            raise CheckpointError(
                "The checkpoint's task metadata lacks the vocabulary or the class names that "
                "'classify' needs: use a checkpoint of a classify run, or train again."
            )
        task.vocabulary = Vocabulary.from_json(metadata["vocabulary"])
        task.classes = [str(name) for name in classes]
        return task

    @torch.no_grad()
    def unknown_characters(self, text: str) -> list[str]:
        return self._vocabulary().unknown_characters(text)

    @torch.no_grad()
    def predict(self, model: nn.Module, text: str, top: int) -> list[tuple[str, float]]:
        """The `top` likeliest classes of `text` (outer spaces ignored), likeliest first."""
        text = text.strip()
        if not text:
            raise ConfigError("There is nothing to classify: type a non-empty string, such as a surname.")
        if top < 1:
            raise ConfigError(f"top = {top} asks for no predictions: give 1 or more.")
        ids = self._vocabulary().encode(text)
        inputs = torch.tensor([ids], device=model_device(model))
        with evaluating(model):
            probabilities = torch.softmax(model(inputs, torch.tensor([len(ids)])), dim=-1)[0]
        best = probabilities.topk(min(top, len(self.classes)))
        return [(self.classes[index], float(p)) for p, index in zip(best.values, best.indices, strict=True)]

    @torch.no_grad()
    def read(self, model: nn.Module, text: str) -> Reading:
        """The probability of every class after each character: each prefix classified.

        Prefixes go through the model longest first, so the whole text is the first sequence of
        the first pass (the one inspection probes record), as many to a pass as
        READ_POSITIONS_PER_PASS allows.
        """
        text = text.strip()
        if not text:
            raise ConfigError("There is nothing to inspect: type a non-empty string, such as a surname.")
        vocabulary = self._vocabulary()
        ids = vocabulary.encode(text)
        whole = torch.tensor([ids], device=model_device(model))
        lengths = torch.arange(len(ids), 0, -1)
        per_pass = max(1, READ_POSITIONS_PER_PASS // len(ids))
        with evaluating(model):
            passes = [torch.softmax(model(whole[:, :int(chunk[0])].expand(len(chunk), -1), chunk), dim=-1)
                      for chunk in lengths.split(per_pass)]
        probabilities = torch.cat(passes).flip(0).cpu()
        return Reading(CLASSES, vocabulary.pieces(text), 0, list(self.classes), probabilities)

    def _encode(self, examples: list[Example]) -> EncodedSplit:
        vocabulary = self._vocabulary()
        encoded = [vocabulary.encode(example.text) or [UNK] for example in examples]
        lengths = torch.tensor([len(ids) for ids in encoded])
        inputs = pad_sequence([torch.tensor(ids) for ids in encoded], batch_first=True, padding_value=PAD)
        labels = torch.tensor([example.label for example in examples])
        return EncodedSplit(inputs, lengths, labels, [example.text for example in examples])

    def _split(self, split: str) -> EncodedSplit:
        return prepared_split(self.name, self.splits, split)

    def _vocabulary(self) -> Vocabulary:
        return prepared_vocabulary(self.name, self.vocabulary)


@hookimpl
def register_tasks(register):
    register(Classify)
