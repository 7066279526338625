"""The `names` dataset: surnames by language of origin, for classification and generation.

Splits are made over *groups* of identical strings (after normalisation), so a name that occurs
twice, or in two languages, lands in one split only and can never leak from training into test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench_plugins.datasets.text import (
    CHECK_CORPUS,
    ascii_fold,
    cached_parse,
    held_out_count,
    seeded_shuffle,
)

from workbench.corpora import locate, read_text
from workbench.datasets import ClassificationData, Dataset, Document, Example, GenerationData
from workbench.errors import ConfigError
from workbench.hookspecs import hookimpl
from workbench.params import Param

CORPUS = "names"


@dataclass(frozen=True)
class Entry:
    """One name in one language."""

    text: str
    language: str


@dataclass(frozen=True)
class NameSplits:
    languages: list[str]
    train: list[Entry]
    validation: list[Entry]
    test: list[Entry]


def read_names(directory: Path) -> dict[str, list[str]]:
    """Every language's names as written in `directory/<Language>.txt`, blank lines skipped."""
    files = sorted(directory.glob("*.txt"))

    def parse() -> dict[str, list[str]]:
        return {
            path.stem: [line.strip() for line in read_text(path, CORPUS).splitlines() if line.strip()]
            for path in files
        }

    return cached_parse("names", files, parse)


class NamesDataset(Dataset):
    name = "names"
    description = "Surnames by language of origin (18 languages); classify a name or generate new ones."
    forms = ("classification", "generation")
    check_corpus = CHECK_CORPUS
    params = (
        Param("lowercase", bool, False, "lowercase every name"),
        Param("ascii_fold", bool, False, "fold accented letters to ASCII (Émile -> Emile)"),
        Param("drop_duplicates", bool, True, "count a name repeated within a language once"),
        Param("drop_ambiguous", bool, False, "leave out names that occur in several languages"),
        Param("languages", str, "", "comma-separated languages to use; empty uses all of them"),
        Param("validation_fraction", float, 0.1, "share of each language held out for validation",
              min=0.0, max=0.5),
        Param("test_fraction", float, 0.1, "share of each language held out for testing",
              min=0.0, max=0.5),
    )

    def classification(self, seed: int) -> ClassificationData:
        splits = self.splits(seed)
        index = {language: i for i, language in enumerate(splits.languages)}

        def examples(entries: list[Entry]) -> list[Example]:
            return [Example(entry.text, index[entry.language]) for entry in entries]

        return ClassificationData(
            splits.languages, examples(splits.train), examples(splits.validation), examples(splits.test)
        )

    def generation(self, seed: int) -> GenerationData:
        splits = self.splits(seed)

        def documents(entries: list[Entry]) -> list[Document]:
            return [Document(entry.text, entry.language) for entry in entries]

        return GenerationData(
            documents(splits.train), documents(splits.validation), documents(splits.test),
            conditions=list(splits.languages),
        )

    def splits(self, seed: int) -> NameSplits:
        """Train/validation/test entries: stratified by language, no string in two splits."""
        by_language = self._selected(read_names(locate(CORPUS, self.corpus_root)))
        entries = self._entries(by_language)
        groups: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            groups[entry.text].append(entry)
        sizes = {language: len(names) for language, names in by_language.items()}
        strata: dict[str, list[str]] = defaultdict(list)
        for text, members in groups.items():
            # A shared name is filed under its rarest language, which needs held-out data most.
            strata[min({m.language for m in members}, key=lambda lang: (sizes[lang], lang))].append(text)
        held = {"train": [], "validation": [], "test": []}
        for language in sorted(strata):
            texts = seeded_shuffle(sorted(strata[language]), seed, language)
            n_test, n_validation = self._held_out(len(texts))
            parts = {
                "test": texts[:n_test],
                "validation": texts[n_test:n_test + n_validation],
                "train": texts[n_test + n_validation:],
            }
            for split, chosen in parts.items():
                held[split].extend(entry for text in chosen for entry in groups[text])
        return NameSplits(
            sorted(by_language),
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

    def _selected(self, by_language: dict[str, list[str]]) -> dict[str, list[str]]:
        wanted = [part.strip() for part in self.options["languages"].split(",") if part.strip()]
        if not wanted:
            return by_language
        canonical = {language.lower(): language for language in by_language}
        unknown = [name for name in wanted if name.lower() not in canonical]
        if unknown:
            raise ConfigError(
                f"dataset 'names'.languages names {unknown[0]!r}, which is not in the corpus: "
                f"choose from {', '.join(sorted(by_language))}."
            )
        return {canonical[name.lower()]: by_language[canonical[name.lower()]] for name in wanted}

    def _entries(self, by_language: dict[str, list[str]]) -> list[Entry]:
        entries = []
        for language in sorted(by_language):
            for raw in by_language[language]:
                text = self._normalise(raw)
                if text:
                    entries.append(Entry(text, language))
        if self.options["drop_duplicates"]:
            entries = list(dict.fromkeys(entries))
        if self.options["drop_ambiguous"]:
            languages_of: dict[str, set[str]] = defaultdict(set)
            for entry in entries:
                languages_of[entry.text].add(entry.language)
            entries = [entry for entry in entries if len(languages_of[entry.text]) == 1]
        return entries

    def _normalise(self, name: str) -> str:
        if self.options["ascii_fold"]:
            name = ascii_fold(name)
        if self.options["lowercase"]:
            name = name.lower()
        return " ".join(name.split())


@hookimpl
def register_datasets(register: Callable[[type], None]) -> None:
    register(NamesDataset)
