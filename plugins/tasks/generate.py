"""The `generate` task: predict each next character, then write new text one character at a time.

Every document becomes `[<bos> or its condition token] + characters + [<eos>]`. Training items are
windows of up to `seq_len + 1` tokens that never cross documents: a short document (a surname) is
one window, a long one (a canto) is cut into consecutive windows whose boundaries move by a random
shift each epoch, so no character is always the first of a window. Every split is one flat tensor
of token ids made once in `prepare`; an epoch's windows are index arithmetic on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench import metrics
from workbench.cells import Cell, Recurrent, State
from workbench.datasets import SPLITS, Dataset, Document
from workbench.errors import CheckpointError, ConfigError
from workbench.hookspecs import hookimpl
from workbench.inspection.reading import NEXT_TOKEN, Reading
from workbench.params import Param
from workbench.sampling import check_sampling, sample_next
from workbench.tasks import (
    Batch,
    Task,
    evaluating,
    evaluation_rows,
    model_device,
    prepared_split,
    prepared_vocabulary,
)
from workbench.vocabulary import BOS, EOS, PAD, Vocabulary, condition_token

SHOWCASE_CONDITIONS = 4


class LanguageModel(nn.Module):
    """Embedding -> recurrent stack -> a score for every possible next token."""

    def __init__(self, vocabulary_size: int, embedding_size: int, recurrent: Recurrent):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, embedding_size, padding_idx=PAD)
        self.recurrent = recurrent
        self.head = nn.Linear(recurrent.output_size, vocabulary_size)

    def forward(self, inputs: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """inputs (batch, time) ids -> logits (batch, time, vocabulary) and the state after them."""
        outputs, state = self.recurrent(self.embedding(inputs), state)
        return self.head(outputs), state


@dataclass(frozen=True)
class TokenStream:
    """A split's documents end to end in one tensor; `starts` and `sizes` mark each document."""

    tokens: Tensor
    starts: Tensor
    sizes: Tensor

    def windows(self, seq_len: int, shifts: Tensor) -> tuple[Tensor, Tensor]:
        """Every window of the split, padded to (count, span), and each one's true length.

        The span is seq_len + 1, or the longest document when all are shorter (names need no
        129-token rows).

        A document longer than one window with shift s > 0 starts with a head window of s + 1
        tokens, then windows start at s, s + seq_len, ... Consecutive windows share one token: the
        last input of one is the first of the next, so each token is predicted exactly once.
        """
        shifts = torch.where(self.sizes > seq_len + 1, shifts, torch.zeros_like(shifts))
        span = min(seq_len + 1, int(self.sizes.max()))
        head = (shifts > 0).long()
        counts = head + torch.div(self.sizes - 1 - shifts + seq_len - 1, seq_len, rounding_mode="floor")
        document = torch.repeat_interleave(torch.arange(len(counts)), counts)
        first = torch.cumsum(counts, 0) - counts
        index = torch.arange(len(document)) - first[document]
        shift, size = shifts[document], self.sizes[document]
        begin = (shift + (index - head[document]) * seq_len).clamp(min=0)
        end = torch.minimum(shift + (index + 1 - head[document]) * seq_len + 1, size)
        lengths = end - begin
        positions = (self.starts[document] + begin).unsqueeze(1) + torch.arange(span)
        valid = torch.arange(span) < lengths.unsqueeze(1)
        picked = self.tokens[positions.clamp(max=len(self.tokens) - 1)]
        return picked.masked_fill(~valid, PAD), lengths


def window_batch(windows: Tensor, lengths: Tensor, rows: Tensor) -> Batch:
    """Inputs are each window but its last token, targets the window shifted by one."""
    longest = int(lengths[rows].max())
    chosen = windows[rows, :longest]
    targets = chosen[:, 1:]
    return Batch(chosen[:, :-1], targets, None, tokens=int((targets != PAD).sum()))


class Generate(Task):
    name = "generate"
    description = "Predict the next character; sample new text from a prompt (bits per character)."
    form = "generation"
    metric = "bpc"
    higher_is_better = False
    train_defaults = {"learning_rate": 3e-3, "batch_size": 64, "epochs": 12, "schedule": "cosine"}
    params = (
        Param("embedding_size", int, 64, "size of each character's learned vector", min=1, max=4096),
        Param("seq_len", int, 128, "characters per training window (backpropagation span)", min=1, max=4096),
        Param("temperature", float, 0.8, "sampling temperature: 0 always picks the likeliest", min=0, max=10),
        Param("top_k", int, 0, "sample among the k likeliest characters only; 0 for all", min=0, max=100000),
        Param("sample_length", int, 300, "most characters in each showcase sample", min=1, max=100000),
        Param("prompt", str, "", "text the showcase samples continue, e.g. <Russian> or Nel mezzo"),
    )

    def __init__(self, options: dict[str, Any] | None = None):
        super().__init__(options)
        self.vocabulary: Vocabulary | None = None
        self.streams: dict[str, TokenStream] = {}

    # Training
    def prepare(self, dataset: Dataset, seed: int) -> None:
        data = dataset.generation(seed)
        conditions = list(data.conditions or [])
        self.vocabulary = Vocabulary.build((document.text for document in data.train), conditions)
        for split in SPLITS:
            documents = data.split(split)
            if not documents:
                raise ConfigError(
                    f"Dataset {dataset.name!r} gave no {split} text, so the model cannot be trained "
                    "and scored: use a larger corpus or change the dataset's split options."
                )
            self.streams[split] = self._encode(documents, dataset.name)

    def build_model(self, cell: Cell) -> nn.Module:
        vocabulary = self._vocabulary()
        recurrent = cell.build(self.options["embedding_size"])
        if cell.options.get("bidirectional") or recurrent.num_directions > 1:
            raise ConfigError(
                f"Cell {cell.name!r} is bidirectional, but 'generate' predicts each next character "
                "from the ones before it, so the cell must not read ahead: set the cell's "
                "bidirectional option to false."
            )
        return LanguageModel(len(vocabulary), self.options["embedding_size"], recurrent)

    def batches(self, split: str, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        stream = self._stream(split)
        seq_len = self.options["seq_len"]
        shifts = torch.randint(0, seq_len, stream.sizes.shape, generator=generator, device=generator.device)
        windows, lengths = stream.windows(seq_len, shifts.cpu())
        order = torch.randperm(len(lengths), generator=generator, device=generator.device).cpu()
        for start in range(0, len(order), batch_size):
            yield window_batch(windows, lengths, order[start : start + batch_size])

    def loss(self, model: nn.Module, batch: Batch) -> Tensor:
        logits, _ = model(batch.inputs)
        return F.cross_entropy(logits.flatten(0, 1), batch.targets.flatten(), ignore_index=PAD)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: str, batch_size: int, share: float = 1.0) -> dict[str, Any]:
        stream = self._stream(split)
        windows, lengths = stream.windows(self.options["seq_len"], torch.zeros_like(stream.sizes))
        rows = evaluation_rows(len(lengths), share)
        device = model_device(model)
        total, count = 0.0, 0
        with evaluating(model):
            for start in range(0, len(rows), batch_size):
                batch = window_batch(windows, lengths, rows[start : start + batch_size]).to(device)
                logits, _ = model(batch.inputs)
                total += float(
                    F.cross_entropy(
                        logits.flatten(0, 1), batch.targets.flatten(), ignore_index=PAD, reduction="sum"
                    )
                )
                count += batch.tokens
        loss = total / count
        return {
            "loss": loss,
            "bpc": metrics.bits_per_character(loss),
            "perplexity": metrics.perplexity(loss),
            "tokens": count,
        }

    def showcase(self, model: nn.Module, generator: torch.Generator) -> list[str]:
        conditions = self._vocabulary().conditions
        prompts = [self.options["prompt"]]
        if conditions and not self.options["prompt"]:
            order = torch.randperm(len(conditions), generator=generator, device=generator.device).cpu()
            prompts = [condition_token(conditions[index]) for index in order[:SHOWCASE_CONDITIONS].tolist()]
        length, temperature, top_k = (self.options[key] for key in ("sample_length", "temperature", "top_k"))
        return [
            prompt + "".join(self.sample(model, prompt, length, temperature, top_k, generator))
            for prompt in prompts
        ]

    # Using a trained model
    def metadata(self) -> dict[str, Any]:
        return {"vocabulary": self._vocabulary().to_json()}

    @classmethod
    def restore(cls, options: dict[str, Any], metadata: dict[str, Any]) -> Generate:
        if not isinstance(metadata, dict) or "vocabulary" not in metadata:
            raise CheckpointError(
                "The checkpoint's task metadata has no vocabulary, which 'generate' needs to read "
                "prompts and write characters: use a checkpoint of a generate run, or train again."
            )
        task = cls(options)
        task.vocabulary = Vocabulary.from_json(metadata["vocabulary"])
        return task

    def sample(
        self,
        model: nn.Module,
        prompt: str,
        length: int,
        temperature: float,
        top_k: int,
        generator: torch.Generator,
    ) -> Iterator[str]:
        """Characters that continue `prompt` (not repeating it), up to `length`, ending at <eos>.

        The state is warmed on the whole prompt first. A prompt that does not open with <bos> or a
        condition token such as `<Russian>` gets <bos> in front when the training documents all
        began with it; with conditioned documents it starts from a fresh state instead, as every
        window cut from the middle of a long document did (a bare <bos> was never seen there).
        """
        check_sampling(temperature, top_k)
        vocabulary = self._vocabulary()
        ids = vocabulary.encode(prompt)
        if not ids or not (vocabulary.opens_document(ids[0]) or vocabulary.conditions):
            ids = [BOS, *ids]
        banned = torch.zeros(len(vocabulary))
        banned[: vocabulary.first_character] = float("-inf")
        banned[EOS] = 0.0
        device = model_device(model)
        logits, state = self._step(model, torch.tensor([ids], device=device), None)
        for _ in range(length):
            token = int(sample_next(logits.cpu() + banned, temperature, top_k, generator))
            if token == EOS:
                return
            yield vocabulary.tokens[token]
            logits, state = self._step(model, torch.tensor([[token]], device=device), state)

    @torch.no_grad()
    def read(self, model: nn.Module, text: str) -> Reading:
        """For each character of `text`, the distribution the model predicted it from, in one pass.

        The text is read as a prompt is (<bos> in front when `sample` would put it there); a <bos>
        or condition token it opens with is context, not shown.
        """
        if not text:
            raise ConfigError("There is nothing to inspect: type some text, such as a line of the poem.")
        vocabulary = self._vocabulary()
        ids, pieces = vocabulary.encode(text), vocabulary.pieces(text)
        if not (vocabulary.opens_document(ids[0]) or vocabulary.conditions):
            ids, pieces = [BOS, *ids], [vocabulary.tokens[BOS], *pieces]
        offset = 1 if vocabulary.opens_document(ids[0]) and len(ids) > 1 else 0
        with evaluating(model):
            logits, _ = model(torch.tensor([ids], device=model_device(model)))
        predicted = torch.softmax(logits[0].float(), dim=-1).cpu()
        unknown = torch.full((1, predicted.shape[1]), math.nan)
        before = torch.cat([unknown, predicted[:-1]])  # row k: what the model expected at input k
        return Reading(NEXT_TOKEN, pieces[offset:], offset, list(vocabulary.tokens), before[offset:],
                       ids[offset:], predicted[-1])

    @staticmethod
    @torch.no_grad()
    def _step(model: nn.Module, inputs: Tensor, state: State | None) -> tuple[Tensor, State]:
        """The next-token logits after `inputs`; eval mode only while computing, never across a yield."""
        with evaluating(model):
            logits, state = model(inputs, state)
        return logits[0, -1], state

    def _encode(self, documents: list[Document], dataset: str) -> TokenStream:
        vocabulary = self._vocabulary()
        pieces, sizes = [], []
        for document in documents:
            if document.condition is None:
                opening = BOS
            elif condition_token(document.condition) in vocabulary.ids:
                opening = vocabulary.condition_id(document.condition)
            else:
                raise ConfigError(
                    f"Dataset {dataset!r} gave a document with condition {document.condition!r}, which "
                    "is not among its declared conditions: list it in GenerationData.conditions."
                )
            ids = [opening, *vocabulary.encode(document.text), EOS]
            pieces.append(torch.tensor(ids))
            sizes.append(len(ids))
        sizes_tensor = torch.tensor(sizes)
        return TokenStream(torch.cat(pieces), torch.cumsum(sizes_tensor, 0) - sizes_tensor, sizes_tensor)

    def _stream(self, split: str) -> TokenStream:
        return prepared_split(self.name, self.streams, split)

    def _vocabulary(self) -> Vocabulary:
        return prepared_vocabulary(self.name, self.vocabulary)


@hookimpl
def register_tasks(register):
    register(Generate)
