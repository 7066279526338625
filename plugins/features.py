"""The built-in character features that `workbench inspect --find` scores units against.

Each one reads a whole passage, so context carries: a quotation opened on one line is still open
on the next, and a line's position counts from the last line break.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from workbench.hookspecs import hookimpl
from workbench.inspection.features import Feature, Passage
from workbench.params import Param

QUOTES = {"«": "»", "“": "”", '"': '"'}
BRACKETS = {"(": ")", "[": "]", "{": "}"}


class LinePosition(Feature):
    name = "line_position"
    description = "characters read since the last line break (the break itself is 0)"

    def values(self, passage: Passage) -> list[float]:
        found, count = [], 0
        for char in passage.text:
            count = 0 if char == "\n" else count + 1
            found.append(float(count))
        return found


class LineStart(Feature):
    name = "line_start"
    description = "1 on the first character of a line"

    def values(self, passage: Passage) -> list[float]:
        text = passage.text
        return [float(char != "\n" and (index == 0 or text[index - 1] == "\n"))
                for index, char in enumerate(text)]


class InWord(Feature):
    name = "in_word"
    description = "1 on letters, 0 on spaces, punctuation and line breaks"

    def values(self, passage: Passage) -> list[float]:
        return [float(char.isalpha()) for char in passage.text]


class Vowel(Feature):
    name = "vowel"
    description = "1 on a, e, i, o, u with or without accents, either case"

    def values(self, passage: Passage) -> list[float]:
        return [float(unicodedata.normalize("NFKD", char)[:1].lower() in "aeiou") for char in passage.text]


class AfterSpace(Feature):
    name = "after_space"
    description = "1 on the character that follows a space"

    def values(self, passage: Passage) -> list[float]:
        text = passage.text
        return [float(index > 0 and text[index - 1] == " ") for index in range(len(text))]


def _inside(text: str, pairs: dict[str, str]) -> list[float]:
    """1 from an opening mark through its closing mark (nesting counted), 0 elsewhere."""
    found: list[float] = []
    open_marks: list[str] = []
    for char in text:
        if open_marks and char == pairs[open_marks[-1]]:
            found.append(1.0)
            open_marks.pop()
            continue
        if char in pairs:
            open_marks.append(char)
        found.append(float(bool(open_marks)))
    return found


class InQuotes(Feature):
    name = "in_quotes"
    description = "1 inside a quotation: « », “ ” or straight quotes, marks included"

    def values(self, passage: Passage) -> list[float]:
        return _inside(passage.text, QUOTES)


class InBrackets(Feature):
    name = "in_brackets"
    description = "1 inside round, square or curly brackets, marks included"

    def values(self, passage: Passage) -> list[float]:
        return _inside(passage.text, BRACKETS)


class InClass(Feature):
    name = "class"
    description = "1 on every character of a passage of the given class (a name's language)"
    params = (Param("label", str, "", "the class to track; --find class scores each class in turn"),)

    @classmethod
    def variants(cls, classes: Sequence[str]) -> list[Feature]:
        return [cls({"label": label}) for label in classes]

    @property
    def title(self) -> str:
        return f"class {self.options['label']}"

    def values(self, passage: Passage) -> list[float]:
        return [float(passage.label == self.options["label"])] * len(passage.text)


@hookimpl
def register_features(register):
    for feature in (LinePosition, LineStart, InWord, Vowel, AfterSpace, InQuotes, InBrackets, InClass):
        register(feature)
