"""Scores for classifiers and language models, in plain torch so they need nothing else.

The classification scores are all read off one confusion matrix (rows are the true classes,
columns the predicted ones), so an evaluation counts its predictions once.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def confusion_matrix(predicted: Tensor, actual: Tensor, num_classes: int) -> Tensor:
    """Counts (num_classes, num_classes): entry [t, p] is how often class t was predicted as p."""
    flat = actual.long().reshape(-1) * num_classes + predicted.long().reshape(-1)
    counts = torch.bincount(flat.cpu(), minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def accuracy(confusion: Tensor) -> float:
    """The share of all examples predicted right (0.0 when there are none)."""
    total = int(confusion.sum())
    return int(confusion.diagonal().sum()) / total if total else 0.0


def per_class_accuracy(confusion: Tensor) -> list[float | None]:
    """Each class's share of its own examples predicted right (its recall); None with no examples."""
    support = confusion.sum(dim=1).tolist()
    right = confusion.diagonal().tolist()
    return [hit / count if count else None for hit, count in zip(right, support, strict=True)]


def macro_f1(confusion: Tensor) -> float:
    """The unweighted mean F1 over classes that occur as truth or prediction.

    Macro averaging gives a rare language the same say as Russian, so it shows what accuracy
    hides on unbalanced data. Classes absent from both sides carry no information and are left out.
    """
    right = confusion.diagonal().double()
    support = confusion.sum(dim=1).double()
    predicted = confusion.sum(dim=0).double()
    present = (support + predicted) > 0
    if not bool(present.any()):
        return 0.0
    f1 = 2 * right / (support + predicted).clamp(min=1)
    return float(f1[present].mean())


def bits_per_character(nats: float) -> float:
    """A loss in nats per character, in bits."""
    return nats / math.log(2)


def perplexity(nats: float) -> float:
    """exp(loss): the effective number of equally likely next characters (inf on overflow)."""
    try:
        return math.exp(nats)
    except OverflowError:
        return math.inf
