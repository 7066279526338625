"""Reading the Divina Commedia's layout: cantiche, canto headings (`Inferno • Canto I`) and tercets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from workbench_plugins.datasets.text import cached_parse

from workbench.corpora.reading import read_text
from workbench.errors import CorpusError

CORPUS = "divina"
CANTICHE = ("Inferno", "Purgatorio", "Paradiso")
HEADING = re.compile(r"^(Inferno|Purgatorio|Paradiso) • Canto ([IVXLC]+)$")
_STANZA_BREAK = re.compile(r"\n{2,}")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


@dataclass(frozen=True)
class Canto:
    """One canto: its cantica, number, heading line and its stanzas (tercets, and the closing line)."""

    cantica: str
    number: int
    heading: str
    tercets: tuple[str, ...]

    @property
    def text(self) -> str:
        """The canto as it reads in the corpus file: heading, blank line, stanzas."""
        return self.heading + "\n\n" + "\n\n".join(self.tercets) + "\n"


def roman_to_int(numeral: str) -> int:
    values = [_ROMAN[char] for char in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def read_poem(path: Path) -> tuple[Canto, ...]:
    """Every canto of the poem file, parsed once per process while the file is unchanged."""
    return cached_parse("divina", [path], lambda: parse_poem(read_text(path, CORPUS), path))


def parse_poem(text: str, path: Path) -> tuple[Canto, ...]:
    """Split the poem into cantos; a CorpusError names the file and line if the layout is wrong."""
    cantos: list[Canto] = []
    heading: re.Match[str] | None = None
    heading_line = 0
    body: list[str] = []

    def close() -> None:
        if heading is None:
            return
        stanzas = tuple(s for s in _STANZA_BREAK.split("\n".join(body).strip("\n")) if s)
        if not stanzas:
            raise CorpusError(
                f"{path}, line {heading_line}: canto heading {heading.group(0)!r} has no verses after "
                f"it. Restore the file with `workbench corpora pull {CORPUS}`."
            )
        cantica, numeral = heading.groups()
        cantos.append(Canto(cantica, roman_to_int(numeral), heading.group(0), stanzas))

    for number, line in enumerate(text.splitlines(), start=1):
        match = HEADING.match(line.strip())
        if match:
            close()
            heading, heading_line, body = match, number, []
        elif line.strip().title() in CANTICHE and line.strip().isupper():
            close()
            heading, body = None, []
        elif heading is not None:
            body.append(line.strip())
    close()
    if not cantos:
        raise CorpusError(
            f"{path} has no canto headings (lines such as 'Inferno • Canto I'), so it is not the "
            f"poem in the expected layout. Run `workbench corpora pull {CORPUS}`, or set "
            "WORKBENCH_CORPORA to a directory holding the right divina_commedia.txt."
        )
    return tuple(cantos)
