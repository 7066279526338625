"""The dataset contract: a plugin that reads a corpus and serves it in the forms tasks consume.

A dataset serves one or both data forms:
- `classification(seed)`: labelled strings in train/validation/test splits (`ClassificationData`);
- `generation(seed)`: documents to model character by character, optionally each with a condition
  such as a language (`GenerationData`).
Splits are deterministic for a seed and never put the same string in two splits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from workbench.plugin import Plugin

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Example:
    """A string and the index of its class."""

    text: str
    label: int


@dataclass(frozen=True)
class ClassificationData:
    classes: list[str]
    train: list[Example]
    validation: list[Example]
    test: list[Example]

    def split(self, name: str) -> list[Example]:
        return getattr(self, name)


@dataclass(frozen=True)
class Document:
    """A text to model; `condition` (e.g. a language) is what generation may be conditioned on."""

    text: str
    condition: str | None = None


@dataclass(frozen=True)
class GenerationData:
    """Documents per split. Long documents (a poem's held-out blocks) are cut into windows by the task."""

    train: list[Document]
    validation: list[Document]
    test: list[Document]
    conditions: list[str] | None = None

    def split(self, name: str) -> list[Document]:
        return getattr(self, name)


class Dataset(Plugin):
    """Base class of dataset plugins.

    `forms` says which of `classification` and `generation` the dataset implements. `corpus_root`
    is the explicit corpora directory a person gave, if any (see workbench.corpora).
    """

    kind: ClassVar[str] = "dataset"
    forms: ClassVar[tuple[str, ...]] = ()

    def __init__(self, options: dict[str, Any] | None = None, corpus_root: Path | None = None):
        self.options = self.resolve_options(options)
        self.corpus_root = corpus_root

    def classification(self, seed: int) -> ClassificationData:
        raise NotImplementedError(f"dataset {self.name!r} does not serve classification")

    def generation(self, seed: int) -> GenerationData:
        raise NotImplementedError(f"dataset {self.name!r} does not serve generation")

    def vocabulary(self, seed: int) -> list[str]:
        """Every character of the training split, sorted: what a model of this data reads.

        Characters that occur only in validation or test are left out on purpose: a model meets
        them as unknown, as it would meet any new text.
        """
        if "generation" in self.forms:
            texts = [document.text for document in self.generation(seed).train]
        else:
            texts = [example.text for example in self.classification(seed).train]
        return sorted(set().union(*texts))
