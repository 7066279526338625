"""The feature contract: a number for every character of a passage, that some unit may track.

Features are plugins like datasets, cells and tasks: a package registers its own through the
`register_features` hook, and `workbench inspect RUN --find NAME` scores every unit against them.
The built-in ones (position in the line, inside a word, vowel, ...) live in workbench_plugins.features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from workbench.plugin import Plugin


@dataclass(frozen=True)
class Passage:
    """A piece of validation text; `label` is its class (a name's language) when it has one."""

    text: str
    label: str | None = None


class Feature(Plugin):
    """Base class of feature plugins: `values` gives one number per character of a passage."""

    kind: ClassVar[str] = "feature"

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = self.resolve_options(options)

    @classmethod
    def variants(cls, classes: Sequence[str]) -> list[Feature]:
        """The features to score under this name: one by default (the class feature: one per class)."""
        return [cls()]

    @property
    def title(self) -> str:
        """How results name this feature."""
        return self.name

    def values(self, passage: Passage) -> list[float]:
        """One number per character of `passage.text` (0 or 1 for yes-or-no features)."""
        raise NotImplementedError
