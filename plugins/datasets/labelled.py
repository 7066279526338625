"""The `labelled` dataset: a person's own strings and classes, with no code.

`path` is either a directory of `<class>.txt` files with one example a line (the layout of the
names corpus), or a CSV or TSV file whose first line names its columns; `label_column` and
`text_column` say which hold the class and the string. Splitting, de-duplication and both forms
(classification, class-conditioned generation) are those of every labelled-strings dataset: see
workbench_plugins.datasets.string_classes.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from workbench_plugins.datasets.sources import find_files
from workbench_plugins.datasets.string_classes import StringClassesDataset, read_line_files
from workbench_plugins.datasets.text import CHECK_CORPUS, cached_parse

from workbench.corpora.reading import read_utf8
from workbench.datasets import SourceSummary
from workbench.errors import CorpusError
from workbench.hookspecs import hookimpl
from workbench.params import Param

TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_FIX = "Re-save the file as UTF-8 and try again."


def read_table(path: Path, label_column: str, text_column: str) -> dict[str, list[str]]:
    """The strings of a CSV or TSV file by class; rows with an empty text are skipped.

    A CorpusError names the file, the line and the option to change when the named columns are
    missing, a row is short of them or has no label.
    """

    def parse() -> dict[str, list[str]]:
        reader = csv.reader(io.StringIO(read_utf8(path, _FIX), newline=""), delimiter=TABLE_DELIMITERS[
            path.suffix.lower()])
        try:
            header = [name.strip() for name in next(reader, [])]
            if not header:
                raise CorpusError(
                    f"{path} is empty: its first line should name the columns, such as label,text."
                )
            columns = {}
            for option, wanted in (("label_column", label_column), ("text_column", text_column)):
                if wanted not in header:
                    raise CorpusError(
                        f"{path} has no column {wanted!r}: its first line names "
                        f"{', '.join(map(repr, header))}. "
                        f"Set labelled.{option} to the column that holds the "
                        f"{'class' if option == 'label_column' else 'string'}."
                    )
                columns[option] = header.index(wanted)
            by_class: dict[str, list[str]] = defaultdict(list)
            needed = max(columns.values()) + 1
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) < needed:
                    raise CorpusError(
                        f"{path}, line {reader.line_num}: the row has {len(row)} columns, but "
                        f"{label_column!r} and {text_column!r} need {needed}. Fix or remove that line."
                    )
                label, text = row[columns["label_column"]].strip(), row[columns["text_column"]].strip()
                if not label:
                    raise CorpusError(
                        f"{path}, line {reader.line_num}: the {label_column!r} column is empty. "
                        "Give every row a class, or remove that line."
                    )
                if text:
                    by_class[label].append(text)
        except csv.Error as error:
            raise CorpusError(f"{path}, line {reader.line_num}: {error}. Fix that line.") from None
        return dict(by_class)

    return cached_parse(f"labelled:{label_column}:{text_column}", [path], parse)


class LabelledDataset(StringClassesDataset):
    name = "labelled"
    description = "Your own labelled strings: a folder of <class>.txt files, or a CSV/TSV file."
    params = (
        Param("path", str, "",
              "a directory of <class>.txt files (one example a line), or a .csv or .tsv file"),
        Param("label_column", str, "label", "the CSV/TSV column that holds each row's class"),
        Param("text_column", str, "text", "the CSV/TSV column that holds each row's string"),
        Param("lowercase", bool, False, "lowercase every string"),
        Param("ascii_fold", bool, False, "fold accented letters to ASCII (Émile -> Emile)"),
        Param("drop_duplicates", bool, True, "count a string repeated within a class once"),
        Param("drop_ambiguous", bool, False, "leave out strings that occur in several classes"),
        Param("validation_fraction", float, 0.1, "share of each class held out for validation",
              min=0.0, max=0.5),
        Param("test_fraction", float, 0.1, "share of each class held out for testing", min=0.0, max=0.5),
    )
    check_corpus = CHECK_CORPUS
    check_options = {"path": "labelled.csv"}

    def strings_by_class(self) -> dict[str, list[str]]:
        by_class = self._read(self._files())
        if not any(by_class.values()):
            raise CorpusError(
                f"{self.source()} holds no examples: give it one string a line in each <class>.txt "
                "file, or rows with a class and a string in the CSV/TSV file."
            )
        return by_class

    def _files(self) -> list[Path]:
        return find_files(self.options["path"], "labelled.path", self.corpus_root)

    def _read(self, files: list[Path]) -> dict[str, list[str]]:
        if len(files) == 1 and files[0].suffix.lower() in TABLE_DELIMITERS:
            return read_table(files[0], self.options["label_column"], self.options["text_column"])
        tables = [path for path in files if path.suffix.lower() in TABLE_DELIMITERS]
        if tables:
            raise CorpusError(
                f"labelled.path = {self.options['path']!r} names several files, among them the table "
                f"{tables[0]}: give one CSV or TSV file, or a directory of <class>.txt files."
            )
        return read_line_files("labelled", files, lambda path: read_utf8(path, _FIX))

    def source(self) -> str:
        return f"labelled.path = {self.options['path']!r}"

    def summarise_source(self) -> SourceSummary:
        files = self._files()
        by_class = self._read(files)
        return SourceSummary(
            path=self.options["path"],
            files=len(files),
            characters=sum(len(text) for strings in by_class.values() for text in strings),
            examples=sum(len(strings) for strings in by_class.values()),
            classes=len(by_class),
        )


@hookimpl
def register_datasets(register: Callable[[type], None]) -> None:
    register(LabelledDataset)
