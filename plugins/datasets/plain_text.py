"""The `text` dataset: any UTF-8 text, for character generation and, when its documents carry
labels, for telling them apart.

`path` names one file, a directory of .txt files or a glob. Each file is a document, or a file is
cut into documents at blank lines or at separator lines; a whole book on one line is one document.
A document's label, when asked for, is its file's or its folder's name.

Held-out text is either the end of every document (validation, then test, cut at a line break or
a space) or whole documents drawn by the seed within each label. Each split's pieces reach the
task as separate documents, so no training window can overlap validation or test text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from workbench_plugins.datasets.sources import find_files
from workbench_plugins.datasets.text import (
    CHECK_CORPUS,
    cached_parse,
    held_out_count,
    normalise,
    seeded_shuffle,
)

from workbench.corpora.reading import read_utf8
from workbench.datasets import (
    SPLITS,
    ClassificationData,
    Dataset,
    Document,
    Example,
    GenerationData,
    SourceSummary,
)
from workbench.errors import ConfigError, CorpusError
from workbench.hookspecs import hookimpl
from workbench.params import Param

BREAK_REACH = 200  # how far back a held-out block's start may move to begin at a line or word
_FIX = "Re-save it as UTF-8 (most editors offer it under 'Save as'), or leave the file out of text.path."
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class SourceDocument:
    """One document as read from disk, before normalisation, with its label (None without labels)."""

    text: str
    label: str | None


@cache
def _passage_pattern(length: int) -> re.Pattern[str]:
    """Runs of at most `length` characters that start at a word and end before a space, or one
    `length`-long piece of a word longer than that."""
    return re.compile(rf"\S.{{0,{length - 1}}}(?!\S)|\S{{{length}}}", re.DOTALL)


def passages(text: str, length: int) -> list[str]:
    """`text` cut at spaces into passages of at most `length` characters, spacing made single."""
    return [" ".join(match.group().split()) for match in _passage_pattern(length).finditer(text)]


def at_break(text: str, position: int) -> int:
    """`position` moved back to just after a line break, else a space, within BREAK_REACH."""
    low = max(0, position - BREAK_REACH)
    for mark in ("\n", " "):
        found = text.rfind(mark, low, position)
        if found >= 0:
            return found + 1
    return position


class TextDataset(Dataset):
    name = "text"
    description = "Your own UTF-8 text (a file, a folder or a glob): write more like it, or tell parts apart."
    forms = ("classification", "generation")
    params = (
        Param("path", str, "", "a UTF-8 text file, a directory of .txt files, or a glob such as books/*.txt"),
        Param("documents", str, "file", "what one document is: a whole file, or the parts of a file "
              "between blank lines or between separator lines", choices=("file", "blank_lines", "separator")),
        Param("separator", str, "---", "the line that separates documents when documents = separator"),
        Param("labels", str, "none", "each document's class, for classification and conditioned "
              "generation: none, its file's name, or its folder's name", choices=("none", "file", "folder")),
        Param("lowercase", bool, False, "lowercase the text"),
        Param("strip_punctuation", bool, False,
              "remove punctuation, digits and symbols; keep letters, spaces and newlines"),
        Param("ascii_fold", bool, False, "fold accented letters to ASCII (é -> e)"),
        Param("held_out", str, "end", "validation and test text: the end of every document, or whole "
              "documents drawn by the seed", choices=("end", "documents")),
        Param("validation_fraction", float, 0.05, "share of the text held out for validation",
              min=0.0, max=0.4),
        Param("test_fraction", float, 0.05, "share of the text held out for testing", min=0.0, max=0.4),
        Param("example_length", int, 200, "longest classification example, in characters: each "
              "split's text is cut into passages at spaces", min=10, max=100_000),
    )
    check_corpus = CHECK_CORPUS
    check_options = {"path": "text", "labels": "file"}

    # Forms
    def generation(self, seed: int) -> GenerationData:
        splits = self.splits(seed)
        labels = self._labels([document for split in SPLITS for document in splits[split]])
        return GenerationData(*(splits[split] for split in SPLITS), conditions=labels or None)

    def classification(self, seed: int) -> ClassificationData:
        if self.options["labels"] == "none":
            raise ConfigError(
                "text.labels = 'none': the documents carry no class, so the text dataset serves "
                "generation only. Set text.labels to file or folder (each file's or folder's name "
                "is then its class), or use the generate task."
            )
        splits = self.splits(seed)
        classes = self._labels([doc for split in SPLITS for doc in splits[split]])
        index = {label: i for i, label in enumerate(classes)}
        seen: set[str] = set()
        examples: dict[str, list[Example]] = {}
        for split in SPLITS:
            # A passage that repeats (a refrain, a heading) is kept in the first split that has it.
            examples[split] = [
                Example(text, index[doc.condition]) for doc in splits[split]
                for text in passages(doc.text, self.options["example_length"]) if text not in seen
            ]
            seen.update(example.text for example in examples[split])
        return ClassificationData(classes, *(examples[split] for split in SPLITS))

    def summarise_source(self) -> SourceSummary:
        files = self._files()
        documents = self._read(files)
        labels = {document.label for document in documents}
        return SourceSummary(
            path=self.options["path"],
            files=len(files),
            characters=sum(len(document.text) for document in documents),
            documents=len(documents),
            classes=len(labels) if self.options["labels"] != "none" else None,
        )

    def source(self) -> str:
        return f"text.path = {self.options['path']!r}"

    # Splits
    def splits(self, seed: int) -> dict[str, list[Document]]:
        """Documents per split; a held-out document never repeats a training one word for word."""
        normalised = ((normalise(raw.text, self.options), raw.label) for raw in self._read(self._files()))
        documents = [Document(text, label) for text, label in normalised if text]
        if not documents:
            raise CorpusError(
                f"{self.source()}: no text is left once normalised (strip_punctuation keeps letters "
                "only). Give text with letters, or turn the normalising options off."
            )
        if self.options["held_out"] == "end":
            splits = self._ends_held_out(documents)
        else:
            splits = self._documents_held_out(documents, seed)
        training = {document.text for document in splits["train"]}
        for split in ("validation", "test"):
            splits[split] = [document for document in splits[split] if document.text not in training]
        fractions = {"validation": self.options["validation_fraction"], "test": self.options["test_fraction"]}
        short = [split for split in SPLITS if not splits[split] and fractions.get(split, 1.0) > 0]
        if short:
            total = sum(len(document.text) for document in documents)
            raise CorpusError(
                f"{self.source()} gives no {short[0]} text: its {len(documents)} document(s) of "
                f"{total:,} characters in all are too little to split. Give more text, or change "
                "text.held_out or the fractions."
            )
        return splits

    def _ends_held_out(self, documents: list[Document]) -> dict[str, list[Document]]:
        """Every document's end is held out: its last test_fraction for test, the validation block
        before it; blocks start at a line break or a space when one is near."""
        splits: dict[str, list[Document]] = {split: [] for split in SPLITS}
        for document in documents:
            text, size = document.text, len(document.text)
            n_validation = held_out_count(size, self.options["validation_fraction"])
            n_test = held_out_count(size, self.options["test_fraction"])
            test_start = at_break(text, size - n_test) if n_test else size
            validation_start = test_start
            if n_validation:
                validation_start = at_break(text, min(size - n_test - n_validation, test_start - 1))
            if validation_start <= 0:  # too short to split: all of it trains
                splits["train"].append(document)
                continue
            pieces = {"train": text[:validation_start], "validation": text[validation_start:test_start],
                      "test": text[test_start:]}
            for split, piece in pieces.items():
                if piece.strip():
                    splits[split].append(Document(piece, document.condition))
        return splits

    def _documents_held_out(self, documents: list[Document], seed: int) -> dict[str, list[Document]]:
        """Whole documents held out, drawn by the seed within each label, kept in reading order."""
        by_label: dict[str | None, list[int]] = defaultdict(list)
        for index, document in enumerate(documents):
            by_label[document.condition].append(index)
        chosen: dict[int, str] = {}
        for label, indices in by_label.items():
            n_validation = held_out_count(len(indices), self.options["validation_fraction"])
            n_test = held_out_count(len(indices), self.options["test_fraction"])
            if n_validation + n_test and n_validation + n_test >= len(indices):
                owner = f"label {label!r}" if label is not None else self.source()
                raise CorpusError(
                    f"text.held_out = 'documents': {owner} has {len(indices)} document(s), too few to "
                    f"hold out {n_validation} for validation and {n_test} for test and train on the rest. "
                    "Use text.held_out = end, cut files into more documents (text.documents = "
                    "blank_lines or separator), or lower the fractions."
                )
            drawn = seeded_shuffle(indices, seed, f"text:{label}")
            chosen.update({index: "validation" for index in drawn[:n_validation]})
            chosen.update({index: "test" for index in drawn[n_validation:n_validation + n_test]})
        splits: dict[str, list[Document]] = {split: [] for split in SPLITS}
        for index, document in enumerate(documents):
            splits[chosen.get(index, "train")].append(document)
        return splits

    # Reading
    def _files(self) -> list[Path]:
        return find_files(self.options["path"], "text.path", self.corpus_root)

    def _read(self, files: list[Path]) -> list[SourceDocument]:
        """The documents of `files`, read once per process while the files are unchanged."""
        documents, separator, labels = (self.options[key] for key in ("documents", "separator", "labels"))
        if documents == "separator" and not separator.strip():
            raise ConfigError("text.separator is empty: give the line that separates documents, such as ---.")

        def parse() -> list[SourceDocument]:
            found = []
            for path in files:
                text = read_utf8(path, _FIX).replace("\r\n", "\n")
                label = None if labels == "none" else (path.stem if labels == "file" else path.parent.name)
                found += [SourceDocument(part, label) for part in self._cut(text) if part.strip()]
            if not found:
                where = f"{files[0]} is" if len(files) == 1 else f"The {len(files)} files it names are"
                raise CorpusError(f"{where} empty: point text.path at a file that holds some text.")
            return found

        return cached_parse(f"text:{documents}:{separator}:{labels}", files, parse)

    def _cut(self, text: str) -> list[str]:
        """One file's text as documents, surrounding blank space removed."""
        if self.options["documents"] == "blank_lines":
            parts = _BLANK_LINES.split(text)
        elif self.options["documents"] == "separator":
            separator = re.escape(self.options["separator"].strip())
            parts = re.split(rf"(?m)^[ \t]*{separator}[ \t]*$", text)
        else:
            parts = [text]
        return [part.strip() for part in parts]

    @staticmethod
    def _labels(documents: list[Document]) -> list[str]:
        return sorted({document.condition for document in documents if document.condition is not None})


@hookimpl
def register_datasets(register: Callable[[type], None]) -> None:
    register(TextDataset)
