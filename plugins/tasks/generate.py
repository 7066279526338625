"""The `generate` task: predict each next character, then write new text one character at a time.

Every split is one stream of token ids made once in `prepare` and cut into windows of up to
`seq_len + 1` tokens that never cross documents (see plugins/tasks/token_stream.py).

Stateful (the default): a batch row's windows at consecutive steps are consecutive windows of one
document and the hidden state one step leaves is the state the next starts from, detached, so
gradients stop at the window (truncated backpropagation through time, as char-rnn does) while the
context reaches back to the document's start. Evaluation runs every held-out document through in
order with its state carried, so bits per character reflect the context the model really uses.
Stateless: every window starts from a zero state and its boundaries move by a random shift each
epoch, so no character is always the first of a window.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from workbench_plugins.tasks.token_stream import (
    StreamBatch,
    TokenStream,
    distinct_characters,
    document_lanes,
    lane_batches,
    shuffled_batches,
    split_lanes,
)

from workbench import metrics
from workbench.cells import Cell, Recurrent, State
from workbench.datasets import SPLITS, Dataset, Document
from workbench.errors import CheckpointError, ConfigError
from workbench.hookspecs import hookimpl
from workbench.inspection.reading import NEXT_TOKEN, Reading
from workbench.params import Param
from workbench.sampling import check_sampling, sample_next
from workbench.sampling_settings import TEMPERATURE, TOP_K
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


class Generate(Task):
    name = "generate"
    description = "Predict the next character; sample new text from a prompt (bits per character)."
    form = "generation"
    metric = "bpc"
    higher_is_better = False
    metric_names = ("loss", "bpc", "perplexity")
    # The recipe that reached the lowest validation loss on the lowercased poem without punctuation
    # for the training a 600 s budget buys on two CPU cores (benchmarks/recipes.py has the commands).
    # Compared step for step at equal training compute: 384 units beat 256 (too small) and 512 (too
    # few steps); 64-character windows beat 128 (twice the updates for the same characters, and the
    # carried state supplies the context); dropout 0.25 costs little at this budget and keeps a
    # longer run from overfitting, where 0.1 overfits. 8 epochs are about what 600 s trains.
    cell_defaults = {"hidden_size": 384, "dropout": 0.25}
    train_defaults = {"learning_rate": 3e-3, "batch_size": 64, "epochs": 8, "schedule": "cosine"}
    params = (
        Param("embedding_size", int, 64, "size of each character's learned vector", min=1, max=4096),
        Param("seq_len", int, 64, "characters per training window (backpropagation span)", min=1, max=4096),
        TEMPERATURE,
        TOP_K,
        Param("sample_length", int, 300, "most characters in each showcase sample", min=1, max=100000),
        Param("prompt", str, "", "text the showcase samples continue, e.g. <Russian> or Nel mezzo"),
        Param("stateful", bool, True, "carry the hidden state from each window to the next of its "
              "document, in training and evaluation; off: every window starts from zeros"),
    )

    def __init__(self, options: dict[str, Any] | None = None):
        super().__init__(options)
        self.vocabulary: Vocabulary | None = None
        self.streams: dict[str, TokenStream] = {}
        self.carried: State | None = None  # the state the last training step left, detached

    # Training
    def prepare(self, dataset: Dataset, seed: int) -> None:
        data = dataset.generation(seed)
        conditions = list(data.conditions or [])
        training_text = "".join(document.text for document in data.train)
        self.vocabulary = Vocabulary(distinct_characters(training_text), conditions)
        for split in SPLITS:
            documents = data.split(split)
            if not documents:
                raise ConfigError(
                    f"Dataset {dataset.name!r} gave no {split} text, so the model cannot be trained "
                    "and scored: use a larger corpus or change the dataset's split options."
                )
            self.streams[split] = self._encode(documents, dataset.name)
        training = int(self.streams["train"].sizes.sum())
        if training <= self.options["seq_len"]:
            raise ConfigError(
                f"Dataset {dataset.name!r} gave {training - 2 * len(data.train)} characters of training "
                f"text, fewer than one training window (generate.seq_len = {self.options['seq_len']}): "
                "give it more text, or lower generate.seq_len."
            )

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
        """Stateful: documents in a seeded order, cut into `batch_size` lanes, one window per lane
        per step. Stateless: every window, boundaries shifted and order drawn by `generator`."""
        stream = self._stream(split)
        seq_len = self.options["seq_len"]
        if self.options["stateful"]:
            windows = stream.windows(seq_len, torch.zeros_like(stream.sizes))
            documents = torch.randperm(len(stream.sizes), generator=generator, device=generator.device).cpu()
            lanes = split_lanes(windows.in_document_order(documents), batch_size)
            yield from lane_batches(stream, windows, lanes)
            return
        shifts = torch.randint(0, seq_len, stream.sizes.shape, generator=generator, device=generator.device)
        windows = stream.windows(seq_len, shifts.cpu())
        order = torch.randperm(len(windows.lengths), generator=generator, device=generator.device).cpu()
        yield from shuffled_batches(stream, windows, order, batch_size)

    def loss(self, model: nn.Module, batch: Batch) -> Tensor:
        """Cross-entropy of the batch; a stateful batch starts from the state the last one left."""
        carry = batch.carry if isinstance(batch, StreamBatch) else None
        logits, state = model(batch.inputs, carried(self.carried, carry, batch.inputs.device))
        if carry is not None:
            self.carried = tuple(tensor.detach() for tensor in state)
        return F.cross_entropy(logits.flatten(0, 1), batch.targets.flatten(), ignore_index=PAD)

    def carried_tensors(self) -> dict[str, Tensor]:
        return {} if self.carried is None else {f"state.{i}": t for i, t in enumerate(self.carried)}

    def restore_carried_tensors(self, tensors: dict[str, Tensor]) -> None:
        count = len([name for name in tensors if name.startswith("state.")])
        self.carried = tuple(tensors[f"state.{i}"] for i in range(count)) if count else None

    def summary_fields(self) -> dict[str, Any]:
        return {"stateful": self.options["stateful"]}

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: str, batch_size: int, share: float = 1.0) -> dict[str, Any]:
        """Stateful: each document whole in one row, its state carried from window to window (a
        share < 1 scores that share of every document's windows, from its start). Stateless:
        independent windows from a zero state (a share < 1 scores an evenly spread part of them)."""
        stream = self._stream(split)
        windows = stream.windows(self.options["seq_len"], torch.zeros_like(stream.sizes))
        if self.options["stateful"]:
            batches = lane_batches(stream, windows, document_lanes(windows.opening(share), batch_size))
        else:
            rows = evaluation_rows(len(windows.lengths), share)
            batches = shuffled_batches(stream, windows, rows, batch_size)
        device = model_device(model)
        total, count = 0.0, 0
        state: State | None = None
        with evaluating(model):
            for batch in batches:
                moved = batch.to(device)
                logits, state = model(moved.inputs, carried(state, batch.carry, device))
                total += float(
                    F.cross_entropy(
                        logits.flatten(0, 1), moved.targets.flatten(), ignore_index=PAD, reduction="sum"
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

    def unknown_characters(self, text: str) -> list[str]:
        return self._vocabulary().unknown_characters(text)

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
        openings = []
        for document in documents:
            if document.condition is None:
                openings.append(BOS)
            elif condition_token(document.condition) in vocabulary.ids:
                openings.append(vocabulary.condition_id(document.condition))
            else:
                raise ConfigError(
                    f"Dataset {dataset!r} gave a document with condition {document.condition!r}, which "
                    "is not among its declared conditions: list it in GenerationData.conditions."
                )
        return TokenStream.encode(vocabulary, openings, [document.text for document in documents])

    def _stream(self, split: str) -> TokenStream:
        return prepared_split(self.name, self.streams, split)

    def _vocabulary(self) -> Vocabulary:
        return prepared_vocabulary(self.name, self.vocabulary)


def carried(state: State | None, carry: Tensor | None, device: torch.device) -> State | None:
    """The state the next batch starts from, on `device`: `state` in the rows `carry` marks,
    zeros elsewhere (None, a zero state, when no row carries on)."""
    if state is None or carry is None or not bool(carry.any()) or state[0].shape[1] != len(carry):
        return None
    keep = carry.to(device, state[0].dtype).view(1, -1, 1)
    return tuple(tensor.to(device) * keep for tensor in state)


@hookimpl
def register_tasks(register):
    register(Generate)
