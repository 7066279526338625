"""The dataset contract: a plugin that reads a corpus and serves it in the forms tasks consume.

A dataset serves one or both data forms:
- `classification(seed)`: labelled strings in train/validation/test splits (`ClassificationData`);
- `generation(seed)`: documents to model character by character, optionally each with a condition
  such as a language (`GenerationData`).
Splits are deterministic for a seed and never put the same string in two splits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from workbench.plugin import Plugin

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable  # Python 3.11+; only annotations use it

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Example:
    """A string and its class, given as an index into `ClassificationData.classes` (not as a name)."""

    text: str
    label: int


@dataclass(frozen=True)
class ClassificationData:
    """Labelled strings per split; `classes[example.label]` is an example's class name."""

    classes: list[str]
    train: list[Example]
    validation: list[Example]
    test: list[Example]

    def split(self, name: str) -> list[Example]:
        return getattr(self, name)

    def problems(self) -> list[str]:
        """What breaks the promises a task relies on (empty when none): Examples in every split,
        no string in two splits, labels that index `classes`, and at least two classes to tell
        apart in training."""
        classes = self.classes
        if not isinstance(classes, list) or not all(isinstance(name, str) and name for name in classes):
            return [f"classes is {classes!r}: give a list of class names"]
        problems = _split_problems(self, Example)
        if len(set(classes)) != len(classes):
            problems.append(f"classes {classes} names a class twice")
        labels = {example.label for split in SPLITS for example in self.split(split)
                  if isinstance(example, Example)}
        wrong = sorted((label for label in labels if not _is_index(label, len(classes))), key=repr)
        if wrong:
            problems.append(f"label {wrong[0]!r} is not an index into the {len(classes)} classes "
                            f"(0 to {len(classes) - 1}): an Example's label is its class's position")
        trained = sorted({classes[e.label] for e in self.train if isinstance(e, Example)
                          and _is_index(e.label, len(classes))})
        if len(trained) < 2:
            which = f"only {trained[0]!r} has" if trained else "no class has"
            problems.append(f"{which} training examples: classification needs two classes or more")
        return problems


def _is_index(label: object, count: int) -> bool:
    return isinstance(label, int) and not isinstance(label, bool) and 0 <= label < count


def _split_problems(data: ClassificationData | GenerationData, item: type) -> list[str]:
    """Every split a non-empty list of `item`s with text, and no text in two splits."""
    problems: list[str] = []
    first_split: dict[str, str] = {}
    for split in SPLITS:
        items = data.split(split)
        if not isinstance(items, list):
            problems.append(f"the {split} split is a {type(items).__name__}: give a list of {item.__name__}s")
            continue
        if not items:
            problems.append(f"the {split} split is empty")
        malformed = next((one for one in items if not isinstance(one, item)
                          or not isinstance(one.text, str) or not one.text), None)
        if malformed is not None:
            problems.append(f"the {split} split holds {malformed!r}: "
                            f"give {item.__name__}s with non-empty text")
            continue
        for one in items:
            earlier = first_split.setdefault(one.text, split)
            if earlier != split:
                problems.append(f"{one.text[:40]!r} is in both the {earlier} and the {split} split: "
                                "a string belongs to one split only")
                break
    return problems


@dataclass(frozen=True)
class Document:
    """A text to model; `condition` (e.g. a language) is what generation may be conditioned on."""

    text: str
    condition: str | None = None


@dataclass(frozen=True)
class GenerationData:
    """Documents per split. Long documents (a poem's held-out blocks) are cut into windows by the task.

    `conditions` lists every condition a document may carry (None: documents carry none).
    """

    train: list[Document]
    validation: list[Document]
    test: list[Document]
    conditions: list[str] | None = None

    def split(self, name: str) -> list[Document]:
        return getattr(self, name)

    def problems(self) -> list[str]:
        """What breaks the promises a task relies on (empty when none): Documents in every split,
        no text in two splits, and every document's condition among `conditions`."""
        problems = _split_problems(self, Document)
        if self.conditions is not None and not (
            isinstance(self.conditions, list) and all(isinstance(c, str) for c in self.conditions)
        ):
            return problems + [f"conditions is {self.conditions!r}: give a list of strings, or None"]
        declared = set(self.conditions or ())
        for split in SPLITS:
            documents = self.split(split) if isinstance(self.split(split), list) else []
            stray = sorted({d.condition for d in documents if isinstance(d, Document)} - declared - {None})
            if stray:
                problems.append(f"a {split} document has condition {stray[0]!r}, not listed in conditions")
        return problems


@dataclass(frozen=True)
class SourceSummary:
    """What a dataset found at a path a person gave it: shown as soon as the path is typed."""

    path: str
    files: int
    characters: int
    documents: int | None = None
    examples: int | None = None
    classes: int | None = None

    def describe(self) -> str:
        """`2 files · 1,204,311 characters · 14 documents · 2 classes`."""
        counts = [(self.files, "file"), (self.characters, "character"), (self.documents, "document"),
                  (self.examples, "example"), (self.classes, "class")]
        return " · ".join(
            f"{count:,} {noun}{'' if count == 1 else ('es' if noun == 'class' else 's')}"
            for count, noun in counts if count is not None
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Dataset(Plugin):
    """Base class of dataset plugins.

    `forms` says which of `classification` and `generation` the dataset implements. The workbench
    builds a dataset as `DatasetClass(options, corpus_root=...)`: `options` are checked against
    `params` and stored, with defaults filled in, as `self.options`; `corpus_root` is the corpora
    directory a person gave (`--corpora DIR`), if any (see workbench.corpora.search). Reading happens in
    the form methods, not in `__init__`, so a dataset is cheap to build.

    `check_corpus` is a tiny corpora directory the plugin ships for `workbench plugins check` and
    tests: the checks build the dataset with it as `corpus_root`, so they load real data quickly on
    any machine. Point it at package data with importlib.resources, e.g.
    `check_corpus = resources.files(__package__) / "check_corpus"`. Without one, the checks load the
    corpus the dataset finds. `check_options` are the options the checks build it with: a dataset
    that reads a path a person gives points that path into its check corpus.
    """

    kind: ClassVar[str] = "dataset"
    forms: ClassVar[tuple[str, ...]] = ()
    check_corpus: ClassVar[Traversable | None] = None
    check_options: ClassVar[dict[str, Any]] = {}

    def __init__(self, options: dict[str, Any] | None = None, corpus_root: Path | None = None):
        self.options = self.resolve_options(options)
        self.corpus_root = corpus_root

    def classification(self, seed: int) -> ClassificationData:
        raise NotImplementedError(f"dataset {self.name!r} does not serve classification")

    def generation(self, seed: int) -> GenerationData:
        raise NotImplementedError(f"dataset {self.name!r} does not serve generation")

    def summarise_source(self) -> SourceSummary | None:
        """What the files the options name hold, quickly, or a WorkbenchError saying what is wrong.

        Datasets that read a path a person types implement it, so the app can answer as the path
        is typed and `workbench corpora check` can list it; the others return None.
        """
        return None
