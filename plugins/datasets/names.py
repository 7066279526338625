"""The `names` dataset: surnames by language of origin, for classification and generation.

The languages are the classes of workbench_plugins.datasets.string_classes, which makes the splits:
a name that occurs twice, or in two languages, lands in one split only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from workbench_plugins.datasets.string_classes import StringClassesDataset, read_line_files

from workbench.corpora.reading import read_text
from workbench.corpora.search import locate
from workbench.errors import ConfigError
from workbench.hookspecs import hookimpl
from workbench.params import Param

CORPUS = "names"


def read_names(directory: Path) -> dict[str, list[str]]:
    """Every language's names as written in `directory/<Language>.txt`, blank lines skipped."""
    return read_line_files("names", sorted(directory.glob("*.txt")), lambda path: read_text(path, CORPUS))


class NamesDataset(StringClassesDataset):
    name = "names"
    description = "Surnames by language of origin (18 languages); classify a name or generate new ones."
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

    def strings_by_class(self) -> dict[str, list[str]]:
        return self._selected(read_names(locate(CORPUS, self.corpus_root)))

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


@hookimpl
def register_datasets(register: Callable[[type], None]) -> None:
    register(NamesDataset)
