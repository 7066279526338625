"""What a model predicts along a text, position by position: the part of an inspection a task gives.

A classifier's reading holds, after each character, the probability of every class (how "Schmi…"
turns German). A character model's holds, for each character, the distribution it was predicted
from: the probability the model gave it, the bits it cost and the alternatives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import Tensor

CLASSES = "classes"  # a row is the prediction after reading the position's token
NEXT_TOKEN = "next-token"  # a row is the prediction the position's token was drawn against


@dataclass(frozen=True)
class Reading:
    """`Task.read`'s answer for one text.

    `tokens` are the text's pieces as the model reads them, one per shown position; `offset` is
    where the first of them sits in the model's input (1 when a <bos> the text does not show comes
    first). `probabilities` has a row per token over `labels` (classes or vocabulary tokens), NaN
    where nothing was predicted. For next-token readings `token_ids` index each token in `labels`
    and `after` is the prediction for what follows the text.
    """

    kind: str
    tokens: list[str]
    offset: int
    labels: list[str]
    probabilities: Tensor
    token_ids: list[int] | None = None
    after: Tensor | None = None

    def __len__(self) -> int:
        return len(self.tokens)

    def chance(self, position: int) -> float | None:
        """The probability the model gave the token at `position` (next-token readings)."""
        if self.token_ids is None:
            return None
        value = float(self.probabilities[position, self.token_ids[position]])
        return None if math.isnan(value) else value

    def surprisal(self, position: int) -> float | None:
        """Bits the token at `position` cost: -log2 of its probability."""
        chance = self.chance(position)
        if chance is None:
            return None
        return math.inf if chance <= 0 else -math.log2(chance)

    def top(self, position: int, count: int) -> list[tuple[str, float]]:
        """The `count` likeliest labels at `position`, likeliest first (none where nothing was predicted)."""
        return self._best(self.probabilities[position], count)

    def following(self, count: int) -> list[tuple[str, float]]:
        """The `count` likeliest tokens after the text (next-token readings; none otherwise)."""
        return [] if self.after is None else self._best(self.after, count)

    def _best(self, row: Tensor, count: int) -> list[tuple[str, float]]:
        if bool(row.isnan().any()):
            return []
        best = row.topk(min(count, len(self.labels)))
        return [(self.labels[int(i)], float(p)) for p, i in zip(best.values, best.indices, strict=True)]
