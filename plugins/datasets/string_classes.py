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
from pathlib import Path

from workbench_plugins.datasets.text import cached_parse, held_out_count, normalise, seeded_shuffle

from workbench.datasets import SPLITS, ClassificationData, Dataset, Document, Example, GenerationData


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
        """Train/validation/test examples: stratified by class, no string in two splits."""
        by_class = self.strings_by_class()
        classes = sorted(by_class)
        examples = self._examples(by_class, classes)
        groups: dict[str, list[Example]] = defaultdict(list)
        for example in examples:
            groups[example.text].append(example)
        sizes = [len(by_class[name]) for name in classes]
        strata: dict[int, list[str]] = defaultdict(list)
        for text, members in groups.items():
            # A shared string is filed under its rarest class, which needs held-out data most
            # (labels index the sorted class names, so a tie goes to the first name).
            strata[min({m.label for m in members}, key=lambda label: (sizes[label], label))].append(text)
        held: dict[str, list[Example]] = {split: [] for split in SPLITS}
        for label in sorted(strata):
            texts = seeded_shuffle(sorted(strata[label]), seed, classes[label])
            n_test, n_validation = self._held_out(len(texts))
            parts = {
                "test": texts[:n_test],
                "validation": texts[n_test:n_test + n_validation],
                "train": texts[n_test + n_validation:],
            }
            for split, chosen in parts.items():
                held[split].extend(example for text in chosen for example in groups[text])
        return ClassificationData(classes, *(seeded_shuffle(held[split], seed, split) for split in SPLITS))

    def generation(self, seed: int) -> GenerationData:
        """The same splits, each string conditioned on its class."""
        data = self.classification(seed)

        def documents(examples: list[Example]) -> list[Document]:
            return [Document(example.text, data.classes[example.label]) for example in examples]

        return GenerationData(*(documents(data.split(split)) for split in SPLITS),
                              conditions=list(data.classes))

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

    def _examples(self, by_class: dict[str, list[str]], classes: list[str]) -> list[Example]:
        examples = []
        for label, name in enumerate(classes):
            for raw in by_class[name]:
                text = " ".join(normalise(raw, self.options).split())
                if text:
                    examples.append(Example(text, label))
        if self.options["drop_duplicates"]:
            examples = list(dict.fromkeys(examples))
        if self.options["drop_ambiguous"]:
            classes_of: dict[str, set[int]] = defaultdict(set)
            for example in examples:
                classes_of[example.text].add(example.label)
            examples = [example for example in examples if len(classes_of[example.text]) == 1]
        return examples
