"""Helpers the built-in datasets share: text normalisation, seeded shuffles, a parse cache, and the
tiny made-up corpora (`check_corpus/`: two short texts and a labelled CSV) that the `text` and
`labelled` datasets' conformance checks load. The real corpora are never shipped: `names` and `divina`
are checked on the corpus the search path finds."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CHECK_CORPUS = resources.files(__package__) / "check_corpus"

# Letters that NFKD does not decompose into an ASCII base letter plus marks.
_ASCII_LETTERS = str.maketrans({
    "ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
    "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "ı": "i", "þ": "th", "Þ": "Th",
})


def ascii_fold(text: str) -> str:
    """`Émile Łukasz` -> `Emile Lukasz`: decompose accents and drop what is still not ASCII.

    The letters of _ASCII_LETTERS are translated only when the text has some, with a table that
    covers every distinct character: a character missing from the table costs `str.translate` a
    raised and caught LookupError, which on megabytes of text adds up to seconds.
    """
    characters = set(text)
    if any(ord(char) in _ASCII_LETTERS for char in characters):
        text = text.translate({ord(char): _ASCII_LETTERS.get(ord(char), char) for char in characters})
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def strip_punctuation(text: str) -> str:
    """Keep letters (accented ones too), spaces and newlines; a dash becomes a space.

    Runs of spaces are collapsed and spaces at line ends removed, so `disse:—Or` reads `disse Or`.
    Each distinct character is classified once and the text rewritten by `str.translate`: the
    cost is linear in the text and spent in C, which matters for corpora of tens of megabytes.
    """
    kept = text.translate({ord(char): _kept_as(char) for char in set(text)})
    return "\n".join(" ".join(line.split()) for line in kept.split("\n"))


def normalise(text: str, options: Mapping[str, Any]) -> str:
    """`text` as a dataset's options ask, each when the dataset declares it and it is on: ASCII
    folding, then stripping punctuation, then lowercasing. Every built-in dataset applies them in
    this one order."""
    if options.get("ascii_fold"):
        text = ascii_fold(text)
    if options.get("strip_punctuation"):
        text = strip_punctuation(text)
    if options.get("lowercase"):
        text = text.lower()
    return text


def _kept_as(char: str) -> str | None:
    """What `strip_punctuation` turns one character into: itself, a space, or nothing."""
    category = unicodedata.category(char)
    if char == "\n" or category.startswith("L"):
        return char
    if char == " " or category in ("Pd", "Zs"):
        return " "
    return None


def seeded_rng(seed: int, salt: str) -> random.Random:
    """A generator that depends only on the seed and the salt (not on call order or hash seeds)."""
    return random.Random(f"{seed}:{salt}")


def seeded_shuffle(items: Sequence[T], seed: int, salt: str) -> list[T]:
    """A copy of `items` shuffled by `seeded_rng(seed, salt)`."""
    shuffled = list(items)
    seeded_rng(seed, salt).shuffle(shuffled)
    return shuffled


def held_out_count(total: int, fraction: float) -> int:
    """How many of `total` items a fraction holds out: at least one when the fraction is positive."""
    if fraction <= 0 or total == 0:
        return 0
    return max(1, round(total * fraction))


_cache: dict[tuple, object] = {}


def cached_parse(tag: str, paths: Sequence[Path], parse: Callable[[], T]) -> T:
    """`parse()` once per process per `tag` while the files keep their modification time and size."""
    key = (tag,) + tuple(
        (str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in paths
    )
    if key not in _cache:
        _cache[key] = parse()
    return _cache[key]  # type: ignore[return-value]
