"""Characters to token ids and back, with the special and condition tokens every task shares.

The vocabulary is built from the training split only (so validation and test cannot leak into
it) and travels inside checkpoints as JSON, so a trained model can be used without its corpus.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from workbench.errors import CheckpointError

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")


def condition_token(condition: str) -> str:
    """How a condition such as a language is written as one token: `<Russian>`."""
    return f"<{condition}>"


class Vocabulary:
    """Ids: the four specials, then one token per condition, then the sorted characters."""

    def __init__(self, characters: Iterable[str], conditions: Iterable[str] = ()):
        self.characters = sorted(set(characters))
        self.conditions = list(dict.fromkeys(conditions))
        self.tokens = [*SPECIALS, *map(condition_token, self.conditions), *self.characters]
        self.ids = {token: index for index, token in enumerate(self.tokens)}
        named = sorted(self.tokens[: len(SPECIALS) + len(self.conditions)], key=len, reverse=True)
        self._named = re.compile("|".join(re.escape(token) for token in named))

    @classmethod
    def build(cls, texts: Iterable[str], conditions: Iterable[str] = ()) -> Vocabulary:
        """The vocabulary of every character that occurs in `texts` (the training split)."""
        characters: set[str] = set()
        for text in texts:
            characters.update(text)
        return cls(characters, conditions)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def first_character(self) -> int:
        """Ids from here on are characters; below are specials and conditions."""
        return len(SPECIALS) + len(self.conditions)

    def opens_document(self, token: int) -> bool:
        """Whether `token` is one a document starts with: <bos> or a condition."""
        return token == BOS or len(SPECIALS) <= token < self.first_character

    def condition_id(self, condition: str) -> int:
        return self.ids[condition_token(condition)]

    def encode(self, text: str) -> list[int]:
        """Ids of `text`; named tokens written in it (`<Russian>`, `<eos>`) become one id each.

        A character the training text never had falls back to its other case or its unaccented
        letter when those are known (a typed "é" for a lowercased, ASCII-folded corpus), and to
        `<unk>` otherwise.
        """
        pieces = self.pieces(text)
        return [self.ids[piece] if len(piece) > 1 else self.character_id(piece) for piece in pieces]

    def pieces(self, text: str) -> list[str]:
        """`text` cut the way `encode` reads it: named tokens whole, every other character alone."""
        pieces: list[str] = []
        position = 0
        for match in self._named.finditer(text):
            pieces.extend(text[position : match.start()])
            pieces.append(match.group())
            position = match.end()
        pieces.extend(text[position:])
        return pieces

    def unknown_characters(self, text: str) -> list[str]:
        """The characters of `text` that encode to `<unk>` (none of their fallbacks is known
        either), each once, in order: what a model of this vocabulary cannot read."""
        return list(dict.fromkeys(piece for piece in self.pieces(text)
                                  if len(piece) == 1 and self.character_id(piece) == UNK))

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`, leaving out padding and the begin/end markers."""
        hidden = {PAD, BOS, EOS}
        return "".join(self.tokens[index] for index in ids if index not in hidden)

    def to_json(self) -> dict[str, Any]:
        return {"characters": self.characters, "conditions": self.conditions}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Vocabulary:
        try:
            characters: Sequence[str] = data["characters"]
            conditions: Sequence[str] = data.get("conditions", [])
        except (KeyError, TypeError, AttributeError):
            raise CheckpointError(
                "The checkpoint's vocabulary is unreadable: it needs a 'characters' list. "
                "Use a checkpoint written by this version of workbench, or train again."
            ) from None
        return cls(characters, conditions)

    def character_id(self, char: str) -> int:
        """The id of one character, with the fallbacks `encode` describes."""
        for candidate in (char, char.lower(), char.upper(), _unaccented(char), _unaccented(char.lower())):
            found = self.ids.get(candidate)
            if found is not None and found >= self.first_character:
                return found
        return UNK


def _unaccented(char: str) -> str:
    return unicodedata.normalize("NFKD", char)[:1]
