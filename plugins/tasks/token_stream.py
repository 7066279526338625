"""A split's documents as one tensor of token ids, cut into windows, and windows laid out in lanes.

Every document becomes `[<bos> or its condition token] + characters + [<eos>]`, end to end in one
tensor made once. Windows of up to `seq_len + 1` tokens never cross documents; consecutive windows
of a document share one token (the last input of one is the first of the next), so every token is
predicted exactly once. A window is only a start and a length until a batch gathers its tokens, so
memory stays linear in the corpus.

Two ways to batch windows:
- independent windows: any order, every window starts from a zero state;
- lanes (stateful): a grid of steps by batch rows in which a row's windows at consecutive steps
  are consecutive windows of one document, so the hidden state one step leaves in a row is the
  state the next window of that row starts from (`StreamBatch.carry` says where that holds).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from workbench.tasks import Batch
from workbench.vocabulary import EOS, PAD, Vocabulary


@dataclass
class StreamBatch(Batch):
    """A batch of windows; `carry` (rows,) marks the rows whose window continues the one the same
    row held in the batch before (None: every row starts from a zero state)."""

    carry: Tensor | None = None

    def to(self, device: torch.device | str) -> StreamBatch:
        moved = super().to(device)
        return StreamBatch(moved.inputs, moved.targets, moved.lengths, moved.tokens, self.carry)


@dataclass(frozen=True)
class Windows:
    """Every window of a split: where it begins in the stream, how many tokens it has, and whether
    it follows the window before it (False for the first window of each document).

    Windows are numbered document by document, in stream order: document d owns the ids
    first[d] .. first[d] + counts[d] - 1.
    """

    begins: Tensor
    lengths: Tensor
    follows: Tensor
    first: Tensor
    counts: Tensor

    def opening(self, share: float) -> Windows:
        """About `share` of the windows, as an opening run of each document's own: documents get
        windows in proportion to their length, spread evenly, so a short document is taken every so
        often (every other one for a share of 0.5) and a long one is scored from its start."""
        if share >= 1.0:
            return self
        allotted = torch.floor(torch.cumsum(self.counts, 0).double() * share).long()
        counts = torch.diff(allotted, prepend=torch.zeros(1, dtype=torch.long))
        if not int(counts.sum()):
            counts[0] = 1
        return Windows(self.begins, self.lengths, self.follows, self.first, counts)

    def in_document_order(self, documents: Tensor) -> Tensor:
        """The ids of every window of `documents` (a permutation of them), document after document."""
        counts = self.counts[documents]
        starts = torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
        return torch.repeat_interleave(self.first[documents], counts) + torch.arange(len(starts)) - starts


def code_points(text: str) -> Tensor:
    """The Unicode code point of every character of `text`, as int32, converted in C."""
    return torch.frombuffer(bytearray(text.encode("utf-32-le")), dtype=torch.int32)


def distinct_characters(text: str) -> list[str]:
    """Every character that occurs in `text`: a count per code point, not a set of str objects,
    so tens of megabytes take a fraction of a second."""
    if not text:
        return []
    return [chr(code) for code in torch.bincount(code_points(text)).nonzero().flatten().tolist()]


def character_ids(vocabulary: Vocabulary, text: str) -> Tensor:
    """The ids (int32) of every character of `text`, read as characters only (a literal `<eos>` in
    a corpus is five characters). Each distinct character is looked up once, so the cost is linear
    in the text and spent in torch."""
    if not text:
        return torch.zeros(0, dtype=torch.int32)
    codes = code_points(text)
    table = torch.zeros(int(codes.max()) + 1, dtype=torch.int32)
    for code in torch.bincount(codes).nonzero().flatten().tolist():
        table[code] = vocabulary.character_id(chr(code))
    return table[codes]


@dataclass(frozen=True)
class TokenStream:
    """A split's documents end to end in one tensor; `starts` and `sizes` mark each document."""

    tokens: Tensor
    starts: Tensor
    sizes: Tensor

    @classmethod
    def encode(cls, vocabulary: Vocabulary, openings: Sequence[int], texts: Sequence[str]) -> TokenStream:
        """Documents `texts`, each opened by its token in `openings` and closed by <eos>."""
        sizes = torch.tensor([len(text) + 2 for text in texts], dtype=torch.long)
        starts = torch.cumsum(sizes, 0) - sizes
        tokens = torch.full((int(sizes.sum()),), EOS, dtype=torch.int32)
        characters = torch.ones(len(tokens), dtype=torch.bool)
        characters[starts] = False
        characters[starts + sizes - 1] = False
        tokens[characters] = character_ids(vocabulary, "".join(texts))
        tokens[starts] = torch.tensor(list(openings), dtype=torch.int32)
        return cls(tokens, starts, sizes)

    def windows(self, seq_len: int, shifts: Tensor) -> Windows:
        """Every window of the split, numbered document by document.

        A document longer than one window with shift s > 0 starts with a head window of s + 1
        tokens, then windows start at s, s + seq_len, ...; with shift 0 they start at 0, seq_len, ...
        """
        shifts = torch.where(self.sizes > seq_len + 1, shifts, torch.zeros_like(shifts))
        head = (shifts > 0).long()
        counts = head + torch.div(self.sizes - 1 - shifts + seq_len - 1, seq_len, rounding_mode="floor")
        document = torch.repeat_interleave(torch.arange(len(counts)), counts)
        first = torch.cumsum(counts, 0) - counts
        index = torch.arange(len(document)) - first[document]
        shift, size = shifts[document], self.sizes[document]
        begin = (shift + (index - head[document]) * seq_len).clamp(min=0)
        end = torch.minimum(shift + (index + 1 - head[document]) * seq_len + 1, size)
        return Windows(self.starts[document] + begin, end - begin, index > 0, first, counts)

    def batch(self, windows: Windows, rows: Tensor, carry: Tensor | None = None) -> StreamBatch:
        """The windows `rows` (-1: an empty row) as inputs and targets shifted by one, PAD-padded."""
        present = rows >= 0
        lengths = torch.where(present, windows.lengths[rows.clamp(min=0)], 0)
        longest = int(lengths.max())
        positions = windows.begins[rows.clamp(min=0)].unsqueeze(1) + torch.arange(longest)
        valid = torch.arange(longest) < lengths.unsqueeze(1)
        picked = self.tokens[positions.clamp(max=len(self.tokens) - 1)].long().masked_fill(~valid, PAD)
        targets = picked[:, 1:]
        return StreamBatch(picked[:, :-1], targets, None, int((targets != PAD).sum()), carry)


def shuffled_batches(
    stream: TokenStream, windows: Windows, order: Tensor, size: int
) -> Iterator[StreamBatch]:
    """Independent windows, `size` at a time in `order`."""
    for start in range(0, len(order), size):
        yield stream.batch(windows, order[start : start + size])


def lane_batches(stream: TokenStream, windows: Windows, grid: Tensor) -> Iterator[StreamBatch]:
    """One batch per step of a lane grid, each row marked where it carries on from the step before."""
    for step in range(len(grid)):
        rows = grid[step]
        carry = torch.zeros(len(rows), dtype=torch.bool)
        if step:
            present = rows >= 0
            carry = present & (grid[step - 1] == rows - 1) & windows.follows[rows.clamp(min=0)]
        yield stream.batch(windows, rows, carry)


def split_lanes(sequence: Tensor, rows: int) -> Tensor:
    """A (steps, rows) grid that cuts `sequence` into `rows` contiguous lanes of near-equal length
    (-1 where a lane has ended). A document that straddles a cut goes on in the next row from a
    zero state: at most rows - 1 documents an epoch lose their context that way."""
    rows = max(1, min(rows, len(sequence)))
    steps = -(-len(sequence) // rows)
    grid = torch.full((steps, rows), -1, dtype=torch.long)
    base, extra = divmod(len(sequence), rows)
    start = 0
    for row in range(rows):
        length = base + (row < extra)
        grid[:length, row] = sequence[start : start + length]
        start += length
    return grid


def document_lanes(windows: Windows, rows: int) -> Tensor:
    """A (steps, rows) grid that gives every document whole to one row, longest documents first to
    the least loaded row, each row's documents in stream order: no document's state is cut."""
    counts = windows.counts.tolist()
    scored = [document for document, count in enumerate(counts) if count]
    rows = max(1, min(rows, len(scored)))
    loads = [(0, row) for row in range(rows)]
    owned: list[list[int]] = [[] for _ in range(rows)]
    for document in sorted(scored, key=lambda d: -counts[d]):
        load, row = heapq.heappop(loads)
        owned[row].append(document)
        heapq.heappush(loads, (load + counts[document], row))
    lanes = [windows.in_document_order(torch.tensor(sorted(mine), dtype=torch.long)) for mine in owned]
    grid = torch.full((max(len(lane) for lane in lanes), rows), -1, dtype=torch.long)
    for row, lane in enumerate(lanes):
        grid[: len(lane), row] = lane
    return grid
