"""Short strings that each belong to a class: what the `names` and `labelled` datasets share.

Both serve classification (which class is this string?) and class-conditioned generation (write a
new string of this class). Splits are made over *groups* of identical strings (after
normalisation), so a string that occurs twice, or in two classes, lands in one split only and can
never leak from training into test. Each class is held out in proportion (stratified).

A subclass says where the strings come from (`strings_by_class`) and declares the options this
module reads: lowercase, ascii_fold, drop_duplicates, drop_ambiguous, validation_fraction and
test_fraction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench_plugins.datasets.text import ascii_fold, cached_parse, held_out_count, seeded_shuffle

from workbench.datasets import ClassificationData, Dataset, Document, Example, GenerationData


@dataclass(frozen=True)
class Entry:
    """One string in one class."""

    text: str
    label: str


@dataclass(frozen=True)
class StringSplits:
    classes: list[str]
    train: list[Entry]
    validation: list[Entry]
    test: list[Entry]


def read_line_files(tag: str, files: Sequence[Path], read: Callable[[Path], str]) -> dict[str, list[str]]:
    """Each file's non-blank lines, stripped, under the file's name without its extension.

    This is the `<class>.txt` layout (`Russian.txt`, one surname a line). `read` decodes a file
    and words the errors; the result is parsed once per process while the files are unchanged.
    """

    def parse() -> dict[str, list[str]]:
        by_class: dict[str, list[str]] = defaultdict(list)
        for path in files:
            by_class[path.stem].extend(line.strip() for line in read(path).splitlines() if line.strip())
        return dict(by_class)

    return cached_parse(tag, files, parse)


class StringClassesDataset(Dataset):
    """Base class of datasets of labelled short strings; see the module docstring."""

    forms = ("classification", "generation")

    def strings_by_class(self) -> dict[str, list[str]]:
        """Every class's raw strings, as the source holds them (duplicates included)."""
        raise NotImplementedError

    def classification(self, seed: int) -> ClassificationData:
        splits = self.splits(seed)
        index = {label: i for i, label in enumerate(splits.classes)}

        def examples(entries: list[Entry]) -> list[Example]:
            return [Example(entry.text, index[entry.label]) for entry in entries]

        return ClassificationData(
            splits.classes, examples(splits.train), examples(splits.validation), examples(splits.test)
        )

    def generation(self, seed: int) -> GenerationData:
        splits = self.splits(seed)

        def documents(entries: list[Entry]) -> list[Document]:
            return [Document(entry.text, entry.label) for entry in entries]

        return GenerationData(
            documents(splits.train), documents(splits.validation), documents(splits.test),
            conditions=list(splits.classes),
        )

    def splits(self, seed: int) -> StringSplits:
        """Train/validation/test entries: stratified by class, no string in two splits."""
        by_class = self.strings_by_class()
        entries = self._entries(by_class)
        groups: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            groups[entry.text].append(entry)
        sizes = {label: len(strings) for label, strings in by_class.items()}
        strata: dict[str, list[str]] = defaultdict(list)
        for text, members in groups.items():
            # A shared string is filed under its rarest class, which needs held-out data most.
            strata[min({m.label for m in members}, key=lambda label: (sizes[label], label))].append(text)
        held: dict[str, list[Entry]] = {"train": [], "validation": [], "test": []}
        for label in sorted(strata):
            texts = seeded_shuffle(sorted(strata[label]), seed, label)
            n_test, n_validation = self._held_out(len(texts))
            parts = {
                "test": texts[:n_test],
                "validation": texts[n_test:n_test + n_validation],
                "train": texts[n_test + n_validation:],
            }
            for split, chosen in parts.items():
                held[split].extend(entry for text in chosen for entry in groups[text])
        return StringSplits(
            sorted(by_class),
            *(seeded_shuffle(held[split], seed, split) for split in ("train", "validation", "test")),
        )

    def _held_out(self, total: int) -> tuple[int, int]:
        n_test = held_out_count(total, self.options["test_fraction"])
        n_validation = held_out_count(total, self.options["validation_fraction"])
        while n_test + n_validation >= total and (n_test or n_validation):
            # Keep at least one group for training: shrink the larger held-out share first.
            if n_validation >= n_test:
                n_validation -= 1
            else:
                n_test -= 1
        return n_test, n_validation

    def _entries(self, by_class: dict[str, list[str]]) -> list[Entry]:
        entries = []
        for label in sorted(by_class):
            for raw in by_class[label]:
                text = self._normalise(raw)
                if text:
                    entries.append(Entry(text, label))
        if self.options["drop_duplicates"]:
            entries = list(dict.fromkeys(entries))
        if self.options["drop_ambiguous"]:
            classes_of: dict[str, set[str]] = defaultdict(set)
            for entry in entries:
                classes_of[entry.text].add(entry.label)
            entries = [entry for entry in entries if len(classes_of[entry.text]) == 1]
        return entries

    def _normalise(self, text: str) -> str:
        if self.options["ascii_fold"]:
            text = ascii_fold(text)
        if self.options["lowercase"]:
            text = text.lower()
        return " ".join(text.split())
