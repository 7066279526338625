"""The `divina` dataset: Dante's poem, for character generation and cantica classification.

Held-out text is made of whole cantos, one contiguous block per cantica (validation cantos then
test cantos), so no verse seen in training appears in validation or test and each cantica's style
is represented in every split.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workbench_plugins.datasets.poem import CANTICHE, CORPUS, Canto, read_poem
from workbench_plugins.datasets.text import (
    held_out_count,
    normalise,
    seeded_rng,
    seeded_shuffle,
)

from workbench.corpora.search import locate
from workbench.datasets import ClassificationData, Dataset, Document, Example, GenerationData
from workbench.errors import ConfigError
from workbench.hookspecs import hookimpl
from workbench.params import Param


@dataclass(frozen=True)
class CantoSplits:
    train: list[Canto]
    validation: list[Canto]
    test: list[Canto]


class DivinaDataset(Dataset):
    name = "divina"
    description = "Dante's Divina Commedia (100 cantos): generate verse, or tell a tercet's cantica."
    forms = ("classification", "generation")
    params = (
        Param("lowercase", bool, False, "lowercase the text"),
        Param("strip_punctuation", bool, False,
              "remove punctuation, apostrophes and quotes; keep letters, spaces and newlines"),
        Param("validation_fraction", float, 0.05, "share of each cantica's cantos held out for validation",
              min=0.0, max=0.4),
        Param("test_fraction", float, 0.05, "share of each cantica's cantos held out for testing",
              min=0.0, max=0.4),
    )

    def generation(self, seed: int) -> GenerationData:
        # Unconditioned: a prompt such as "Nel mezzo del cammin" then starts from the same <bos> state
        # the model saw at the start of every canto.
        splits = self.splits(seed)

        def documents(cantos: list[Canto]) -> list[Document]:
            return [Document(normalise(canto.text, self.options)) for canto in cantos]

        return GenerationData(documents(splits.train), documents(splits.validation), documents(splits.test))

    def classification(self, seed: int) -> ClassificationData:
        splits = self.splits(seed)

        def examples(cantos: list[Canto]) -> list[Example]:
            return [
                Example(normalise(tercet, self.options), CANTICHE.index(canto.cantica))
                for canto in cantos
                for tercet in canto.tercets
            ]

        train = examples(splits.train)
        seen = {example.text for example in train}
        # Whole cantos never share text, but a short closing line could repeat once normalised.
        validation = [e for e in examples(splits.validation) if e.text not in seen]
        seen.update(example.text for example in validation)
        test = [e for e in examples(splits.test) if e.text not in seen]
        return ClassificationData(list(CANTICHE), seeded_shuffle(train, seed, "train"), validation, test)

    def splits(self, seed: int) -> CantoSplits:
        """Whole cantos per split: in each cantica one seeded contiguous block is held out."""
        cantos = read_poem(locate(CORPUS, self.corpus_root))
        chosen: dict[str, list[Canto]] = {"train": [], "validation": [], "test": []}
        for cantica in CANTICHE:
            own = [canto for canto in cantos if canto.cantica == cantica]
            n_validation = held_out_count(len(own), self.options["validation_fraction"])
            n_test = held_out_count(len(own), self.options["test_fraction"])
            if own and n_validation + n_test >= len(own):
                raise ConfigError(
                    f"dataset 'divina' would hold out {n_validation + n_test} of the {len(own)} cantos "
                    f"of {cantica}, leaving none to train on: lower validation_fraction or test_fraction."
                )
            start = seeded_rng(seed, cantica).randrange(len(own) - n_validation - n_test + 1) if own else 0
            middle = start + n_validation
            chosen["validation"] += own[start:middle]
            chosen["test"] += own[middle:middle + n_test]
            chosen["train"] += own[:start] + own[middle + n_test:]
        return CantoSplits(chosen["train"], chosen["validation"], chosen["test"])



@hookimpl
def register_datasets(register: Callable[[type], None]) -> None:
    register(DivinaDataset)
