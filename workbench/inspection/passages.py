"""Validation text to score units on: the run's own validation split, read again from its dataset.

Each document comes with the text the model reads before it (a condition token such as `<Russian>`
for conditioned names) so the model sees it as it saw its training documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.engine.trained import Trained
from workbench.inspection.features import Passage
from workbench.registry import Registry, default_registry
from workbench.vocabulary import condition_token


@dataclass(frozen=True)
class Document:
    """A validation passage and what the model reads first, unscored."""

    passage: Passage
    opening: str = ""


def validation_documents(
    trained: Trained, registry: Registry | None = None
) -> tuple[list[Document], list[str]]:
    """The run's validation documents and its class names (none for generation without conditions).

    Raises CorpusError when the run's corpus cannot be found (the error says where to put it).
    """
    resolved = trained.config.resolve(registry or default_registry())
    dataset = resolved.dataset.cls(resolved.dataset_options, corpus_root=trained.config.corpora)
    seed = resolved.train["seed"]
    if trained.task.form == "classification":
        data = dataset.classification(seed)
        # The classifier reads a string without its outer spaces; so do its features.
        documents = [Document(Passage(example.text.strip(), data.classes[example.label]))
                     for example in data.validation if example.text.strip()]
        return documents, list(data.classes)
    generation = dataset.generation(seed)
    documents = [Document(Passage(document.text, document.condition),
                          condition_token(document.condition) if document.condition else "")
                 for document in generation.validation if document.text]
    return documents, list(generation.conditions or [])
