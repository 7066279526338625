"""The classify and generate tasks, on tiny in-memory datasets and a small GRU/LSTM test cell."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from tiny_corpora import TINY_NAMES
from torch import nn
from workbench_plugins.tasks.classify import Classify
from workbench_plugins.tasks.generate import Generate
from workbench_plugins.tasks.token_stream import TokenStream, Windows

from workbench.cells import Cell, Recurrent
from workbench.datasets import ClassificationData, Dataset, Document, Example, GenerationData
from workbench.errors import ConfigError
from workbench.recurrent import NativeRecurrent
from workbench.registry import load_registry
from workbench.tasks import evaluating, evaluation_rows
from workbench.testing import assert_task_conforms
from workbench.vocabulary import BOS, EOS, PAD


def make_cell(module: type[nn.RNNBase] = nn.GRU, bidirectional: bool = False, hidden: int = 24) -> Cell:
    """A one-layer torch.nn.GRU or LSTM cell, independent of the cell plugins."""

    class TestCell(Cell):
        name = "test-cell"

        def build(self, input_size: int) -> Recurrent:
            bidirectional = self.options["bidirectional"]
            return NativeRecurrent(module(input_size, hidden, batch_first=True, bidirectional=bidirectional))

    return TestCell({"bidirectional": bidirectional})


# The first surnames of each language of the tiny corpus (before the one it files in two languages),
# unevenly many: 9, 8 and 8.
SURNAMES = {"English": TINY_NAMES["English"][:9], "Italian": TINY_NAMES["Italian"][:8],
            "Russian": TINY_NAMES["Russian"][:8]}
POEM = "nel mezzo del cammin di nostra vita mi ritrovai per una selva oscura\n" * 6


class TinyNames(Dataset):
    """Surnames split by position: the last of each language validates, the one before tests."""

    name = "tiny-names"
    forms = ("classification", "generation")

    def _splits(self) -> dict[str, list[tuple[str, str]]]:
        splits: dict[str, list[tuple[str, str]]] = {"train": [], "validation": [], "test": []}
        for language, names in SURNAMES.items():
            splits["train"] += [(name, language) for name in names[:-2]]
            splits["test"].append((names[-2], language))
            splits["validation"].append((names[-1], language))
        return splits

    def classification(self, seed: int) -> ClassificationData:
        classes = list(SURNAMES)
        splits = self._splits().items()
        parts = {k: [Example(text, classes.index(lang)) for text, lang in v] for k, v in splits}
        return ClassificationData(classes, **parts)

    def generation(self, seed: int) -> GenerationData:
        parts = {k: [Document(text, lang) for text, lang in v] for k, v in self._splits().items()}
        return GenerationData(**parts, conditions=list(SURNAMES))


class TinyPoem(Dataset):
    name = "tiny-poem"
    forms = ("generation",)

    def generation(self, seed: int) -> GenerationData:
        return GenerationData(
            train=[Document(POEM), Document("selva oscura"), Document(POEM[:150])],
            validation=[Document(POEM[:200])],
            test=[Document(POEM[100:180])],
        )


def prepared(task_class: type, dataset: Dataset, **options) -> Classify | Generate:
    task = task_class(options)
    task.prepare(dataset, seed=0)
    return task


def train(task, model: nn.Module, steps: int, batch_size: int = 8, lr: float = 0.02) -> list[float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(0)
    losses: list[float] = []
    while len(losses) < steps:
        for batch in task.batches("train", batch_size, generator):
            loss = task.loss(model, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# classify


def test_builtin_tasks_register_through_entry_points_and_conform():
    registry = load_registry()
    assert registry.get("task", "classify").cls is Classify
    assert registry.get("task", "generate").cls is Generate
    assert_task_conforms(Classify)
    assert_task_conforms(Generate)


def test_classify_batches_are_padded_with_true_lengths_and_cover_the_split():
    task = prepared(Classify, TinyNames())
    seen = []
    for batch in task.batches("train", 4, seeded(0)):
        assert batch.inputs.shape == (len(batch.targets), int(batch.lengths.max()))
        for row, length in zip(batch.inputs, batch.lengths, strict=True):
            assert (row[:length] != PAD).all() and (row[length:] == PAD).all()
        seen += [task.vocabulary.decode(row.tolist()) for row in batch.inputs]
        assert batch.tokens == len(batch.targets)
    train_names = [name for names in SURNAMES.values() for name in names[:-2]]
    assert sorted(seen) == sorted(train_names)
    other_order = [task.vocabulary.decode(b.inputs[0].tolist()) for b in task.batches("train", 4, seeded(1))]
    assert other_order != seen[::4]


def test_classify_loss_falls_and_evaluation_is_well_formed():
    task = prepared(Classify, TinyNames(), embedding_size=8, dropout=0.0)
    torch.manual_seed(0)
    model = task.build_model(make_cell(bidirectional=True))
    losses = train(task, model, steps=40)
    assert all(math.isfinite(loss) for loss in losses)
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
    result = task.evaluate(model, "train", batch_size=5)
    assert result["accuracy"] > 0.9
    assert 0.0 <= result["macro_f1"] <= 1.0 and result["loss"] >= 0.0
    assert result["classes"] == list(SURNAMES)
    assert sum(map(sum, result["confusion"])) == len(task.splits["train"])
    assert set(result["per_class"]) == set(SURNAMES)
    assert all(0.0 <= value <= 1.0 for value in result["per_class"].values())
    json.dumps(result)  # goes into the metrics log as is


def test_classify_predict_sorted_probabilities_and_unknown_characters():
    task = prepared(Classify, TinyNames())
    model = task.build_model(make_cell(bidirectional=True))
    top = task.predict(model, "  Żółw-Q!  ", 2)
    assert len(top) == 2 and top[0][1] >= top[1][1]
    everything = task.predict(model, "Ivanov", 10)
    assert [label for label, _ in everything] != [] and len(everything) == 3
    assert sum(p for _, p in everything) == pytest.approx(1.0, abs=1e-5)
    assert sum(p for _, p in top) <= 1.0 + 1e-6
    with pytest.raises(ConfigError, match="non-empty"):
        task.predict(model, "   ", 3)


@pytest.mark.parametrize("positions_per_pass", [1 << 16, 20, 1])
def test_classify_reading_gives_each_prefix_its_own_prediction_in_bounded_passes(positions_per_pass,
                                                                                 monkeypatch):
    monkeypatch.setattr("workbench_plugins.tasks.classify.READ_POSITIONS_PER_PASS", positions_per_pass)
    task = prepared(Classify, TinyNames(), embedding_size=8)
    model = task.build_model(make_cell(bidirectional=True))
    train(task, model, steps=5)
    text = "Smirnova-Rossi"
    passes: list[tuple[int, ...]] = []
    model.register_forward_pre_hook(lambda module, inputs: passes.append(tuple(inputs[0].shape)))
    reading = task.read(model, text)
    assert all(rows * time <= max(positions_per_pass, len(text)) for rows, time in passes)
    assert sum(rows for rows, _ in passes) == len(text) and passes[0][1] == len(text)
    assert reading.probabilities.shape == (len(text), len(SURNAMES))
    for end in range(1, len(text) + 1):
        expected = dict(task.predict(model, text[:end], len(SURNAMES)))
        row = {label: float(p) for label, p in zip(task.classes, reading.probabilities[end - 1], strict=True)}
        assert row == pytest.approx(expected, abs=1e-5)


def test_classify_restored_from_metadata_predicts_identically():
    task = prepared(Classify, TinyNames(), embedding_size=8)
    model = task.build_model(make_cell(bidirectional=True))
    train(task, model, steps=5)
    metadata = json.loads(json.dumps(task.metadata()))
    restored = Classify.restore(task.options, metadata)
    twin = restored.build_model(make_cell(bidirectional=True))
    twin.load_state_dict(model.state_dict())
    for text in ("Rossi", "Smirnova", "Qx"):
        assert restored.predict(twin, text, 3) == task.predict(model, text, 3)


def test_classify_showcase_marks_right_and_wrong():
    task = prepared(Classify, TinyNames())
    model = task.build_model(make_cell(bidirectional=True))
    lines = task.showcase(model, seeded(0))
    assert len(lines) == 3  # the whole tiny validation split
    assert all(line[0] in "✓✗" and "→" in line and line.endswith("%") for line in lines)


def test_classify_balanced_weights_favour_rare_classes():
    class Unbalanced(TinyNames):
        def classification(self, seed: int) -> ClassificationData:
            data = super().classification(seed)
            return ClassificationData(data.classes, data.train[:-4], data.validation, data.test)

    task = prepared(Classify, Unbalanced(), class_weighting="balanced")
    weights = task.class_weights.tolist()
    assert weights[2] > weights[1] > weights[0]  # 2, 6 and 7 training names


def test_classify_refuses_an_empty_split():
    class NoValidation(TinyNames):
        def classification(self, seed: int) -> ClassificationData:
            data = super().classification(seed)
            return ClassificationData(data.classes, data.train, [], data.test)

    with pytest.raises(ConfigError, match="the validation split is empty"):
        prepared(Classify, NoValidation())


def test_classify_needs_two_classes_with_training_examples():
    class OnlyEnglishTrains(TinyNames):
        def classification(self, seed: int) -> ClassificationData:
            data = super().classification(seed)
            english = [example for example in data.train if example.label == 0]
            return ClassificationData(data.classes, english, data.validation, data.test)

    with pytest.raises(ConfigError, match="only 'English' has training examples: classification needs two"):
        prepared(Classify, OnlyEnglishTrains())

    class OneLanguage(TinyNames):
        name = "one-language"

        def classification(self, seed: int) -> ClassificationData:
            data = super().classification(seed)
            def only(examples: list[Example]) -> list[Example]:
                return [example for example in examples if example.label == 0]
            return ClassificationData(["English"], only(data.train), only(data.validation), only(data.test))

    with pytest.raises(ConfigError, match="'one-language' cannot train .* only 'English' has training"):
        prepared(Classify, OneLanguage())


# generate


def window_tokens(stream: TokenStream, windows: Windows) -> list[list[int]]:
    spans = zip(windows.begins.tolist(), windows.lengths.tolist(), strict=True)
    return [stream.tokens[begin : begin + length].tolist() for begin, length in spans]


def test_windows_never_cross_documents_and_cover_each_target_once():
    documents = [[BOS, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, EOS], [BOS, 30, EOS], [BOS, 40, 41, EOS]]
    sizes = torch.tensor([len(d) for d in documents])
    stream = TokenStream(torch.tensor(sum(documents, [])), torch.cumsum(sizes, 0) - sizes, sizes)
    for shift in range(4):
        windows = stream.windows(4, torch.tensor([shift, 3, 3]))
        assert int(windows.lengths.max()) <= 5
        targets = []
        for tokens in window_tokens(stream, windows):
            owner = [d for d in documents if any(d[i : i + len(tokens)] == tokens for i in range(len(d)))]
            assert len(owner) == 1, f"window {tokens} is not inside one document"
            targets += [(documents.index(owner[0]), token) for token in tokens[1:]]
        expected = [(i, token) for i, d in enumerate(documents) for token in d[1:]]
        assert sorted(targets) == sorted(expected)
    assert [BOS, 30, EOS] in window_tokens(stream, stream.windows(4, torch.tensor([0, 3, 3])))
    names = TokenStream(stream.tokens[13:], torch.tensor([0, 3]), torch.tensor([3, 4]))
    batch = names.batch(names.windows(128, torch.tensor([5, 5])), torch.arange(2))
    assert batch.inputs.tolist() == [[BOS, 30, EOS], [BOS, 40, 41]]  # short documents: right-padded
    assert batch.targets.tolist() == [[30, EOS, PAD], [40, 41, EOS]] and batch.tokens == 5


def test_stateless_batches_shift_targets_by_one_and_move_boundaries_each_epoch():
    task = prepared(Generate, TinyPoem(), seq_len=16, stateful=False)
    firsts = []
    for epoch in range(2):
        batches = list(task.batches("train", 4, seeded(epoch)))
        for batch in batches:
            assert batch.inputs.shape == batch.targets.shape and batch.inputs.shape[1] <= 16
            assert torch.equal(batch.inputs[:, 1:], batch.targets[:, :-1])
            assert batch.tokens == int((batch.targets != PAD).sum())
        firsts.append(sorted(task.vocabulary.decode(b.inputs[i].tolist()) for b in batches for i in range(2)))
        characters_and_ends = sum(len(d.text) + 1 for d in TinyPoem().generation(0).train)
        assert sum(batch.tokens for batch in batches) == characters_and_ends
    assert firsts[0] != firsts[1]


def test_generate_loss_falls_and_evaluation_reports_bpc_and_perplexity():
    task = prepared(Generate, TinyPoem(), seq_len=32, embedding_size=16)
    torch.manual_seed(0)
    model = task.build_model(make_cell(nn.LSTM, hidden=32))
    before = task.evaluate(model, "validation", 8)
    losses = train(task, model, steps=30, lr=0.03)
    assert all(math.isfinite(loss) for loss in losses)
    after = task.evaluate(model, "validation", 8)
    assert after["loss"] < before["loss"] - 0.5
    assert after["bpc"] == pytest.approx(after["loss"] / math.log(2))
    assert after["perplexity"] == pytest.approx(math.exp(after["loss"]))
    assert after["tokens"] == 201  # 200 characters and <eos>: every validation target once


@pytest.mark.parametrize("task_class", [Classify, Generate])
def test_a_share_of_a_split_scores_an_evenly_spread_part_of_it(tiny_corpora, task_class):
    dataset = real("dataset", "names")
    task = prepared(task_class, dataset, embedding_size=8)
    torch.manual_seed(0)
    model = task.build_model(real("cell", "gru", **SMALL_CELL))
    full = task.evaluate(model, "train", 4)
    assert full == task.evaluate(model, "train", 4, share=1.0)
    half = task.evaluate(model, "train", 4, share=0.5)
    if task_class is Generate:
        assert 0.35 * full["tokens"] < half["tokens"] < 0.65 * full["tokens"]
    else:
        assert sum(map(sum, half["confusion"])) * 2 == pytest.approx(sum(map(sum, full["confusion"])), abs=1)
    assert half["loss"] != full["loss"] and math.isfinite(half["loss"])
    assert evaluation_rows(10, 0.5).tolist() == [0, 2, 4, 7, 9]
    assert evaluation_rows(10, 0.01).tolist() == [0] and evaluation_rows(3, 1.0).tolist() == [0, 1, 2]


class Chapters(Dataset):
    """Documents of uneven lengths, a few windows each, so lanes must carry and reset state."""

    name = "chapters"
    forms = ("generation",)

    def generation(self, seed: int) -> GenerationData:
        texts = [POEM[start : start + size] for start, size in ((0, 61), (7, 23), (30, 97), (3, 9), (50, 44))]
        held = [POEM[11:71], POEM[2:19], POEM[40:130]]
        documents = [Document(t) for t in texts]
        return GenerationData(documents, [Document(t) for t in held], [Document(POEM[:33])])


def stateful_steps(task: Generate, split: str = "train", batch_size: int = 3):
    """Each stateful batch with its rows' full token windows (inputs and the last target)."""
    for batch in task.batches(split, batch_size, seeded(0)):
        windows = torch.cat([batch.inputs, batch.targets[:, -1:]], dim=1)
        yield batch, [[token for token in row.tolist() if token != PAD] for row in windows]


def test_a_stateful_row_holds_consecutive_windows_of_one_document():
    task = prepared(Generate, Chapters(), seq_len=8)
    documents = [[BOS, *task.vocabulary.encode(d.text), EOS] for d in Chapters().generation(0).train]
    previous: list[list[int]] = []
    carried_rows, predicted = 0, 0
    for batch, windows in stateful_steps(task):
        assert batch.carry is not None and len(batch.carry) == 3
        for row, window in enumerate(windows):
            if batch.carry[row]:
                carried_rows += 1
                assert window[0] == previous[row][-1]  # picks up at the token the last window ended on
                segment = previous[row] + window[1:]
                assert any(segment == d[i : i + len(segment)] for d in documents for i in range(len(d)))
            elif window:
                assert window[0] == BOS or len(window) == 9  # a document's start, or a lane's cut
        previous = [window if window else [] for window in windows]
        predicted += batch.tokens
    assert carried_rows > 10
    assert predicted == sum(len(d) - 1 for d in documents)  # every target once


@pytest.mark.parametrize("module", [nn.GRU, nn.LSTM])
def test_the_carried_state_equals_running_the_concatenated_text_in_one_pass(module):
    task = prepared(Generate, Chapters(), seq_len=8, embedding_size=8)
    torch.manual_seed(0)
    model = task.build_model(make_cell(module, hidden=12)).eval()
    segments: dict[int, list[int]] = {}
    compared = 0
    with torch.no_grad():
        for batch, windows in stateful_steps(task):
            task.loss(model, batch)
            for row, window in enumerate(windows):
                segments[row] = segments.get(row, []) + window[1:] if batch.carry[row] else window
                if len(window) == 9:  # a full window: the state after it is the row's true state
                    _, whole = model(torch.tensor([segments[row][:-1]]))
                    for carried, alone in zip(task.carried, whole, strict=True):
                        torch.testing.assert_close(carried[:, row], alone[:, 0], rtol=1e-5, atol=1e-6)
                    compared += len(segments[row]) > 9
    assert compared > 5  # states compared after more than one window of a document


def test_stateful_evaluation_runs_each_document_whole_with_its_state_carried():
    task = prepared(Generate, Chapters(), seq_len=8, embedding_size=8)
    torch.manual_seed(0)
    model = task.build_model(make_cell(nn.LSTM, hidden=12))
    train(task, model, steps=6, batch_size=3)
    result = task.evaluate(model, "validation", batch_size=2)  # three documents on two rows
    total, count = 0.0, 0
    with torch.no_grad(), evaluating(model):
        for document in Chapters().generation(0).validation:
            ids = torch.tensor([[BOS, *task.vocabulary.encode(document.text), EOS]])
            logits, _ = model(ids[:, :-1])
            total += float(F.cross_entropy(logits[0], ids[0, 1:], reduction="sum"))
            count += ids.shape[1] - 1
    assert result["tokens"] == count
    assert result["loss"] == pytest.approx(total / count, rel=1e-5)
    stateless = Generate.restore({**task.options, "stateful": False}, task.metadata())
    stateless.streams = task.streams
    assert stateless.evaluate(model, "validation", 2)["loss"] != pytest.approx(result["loss"], rel=1e-5)


def test_a_stateful_share_scores_each_document_from_its_start():
    task = prepared(Generate, Chapters(), seq_len=8, embedding_size=8)
    torch.manual_seed(0)
    model = task.build_model(make_cell(nn.LSTM, hidden=12))
    documents = [[BOS, *task.vocabulary.encode(d.text), EOS] for d in Chapters().generation(0).validation]
    half = task.evaluate(model, "validation", batch_size=2, share=0.5)
    # 8, 3 and 12 windows: cumulative halves 4, 5 and 11 give 4, 1 and 6 opening windows
    scored = [documents[0][: 4 * 8 + 1], documents[1][: 1 * 8 + 1], documents[2][: 6 * 8 + 1]]
    total = 0.0
    with torch.no_grad(), evaluating(model):
        for ids in scored:
            logits, _ = model(torch.tensor([ids[:-1]]))
            total += float(F.cross_entropy(logits[0], torch.tensor(ids[1:]), reduction="sum"))
    assert half["tokens"] == sum(len(ids) - 1 for ids in scored)
    assert half["loss"] == pytest.approx(total / half["tokens"], rel=1e-5)


def test_stateless_training_starts_every_window_from_zeros():
    task = prepared(Generate, Chapters(), seq_len=8, stateful=False)
    model = task.build_model(make_cell(hidden=12))
    for batch in task.batches("train", 3, seeded(0)):
        assert batch.carry is None
        task.loss(model, batch)
    assert task.carried is None and task.carried_tensors() == {}
    assert task.summary_fields() == {"stateful": False}


def test_generate_refuses_a_bidirectional_cell():
    task = prepared(Generate, TinyPoem())
    with pytest.raises(ConfigError, match="bidirectional option to false"):
        task.build_model(make_cell(bidirectional=True))


def test_sampling_is_deterministic_per_seed_and_respects_its_settings():
    task = prepared(Generate, TinyPoem(), seq_len=32, embedding_size=16)
    torch.manual_seed(0)
    model = task.build_model(make_cell(hidden=32))
    train(task, model, steps=10, lr=0.03)

    def sample(seed: int, temperature: float = 1.0, top_k: int = 0, length: int = 60) -> str:
        return "".join(task.sample(model, "nel ", length, temperature, top_k, seeded(seed)))

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)
    assert sample(1, top_k=1) == sample(2, temperature=0.0) == sample(3, temperature=1e-12)
    assert len(sample(1, length=7)) <= 7
    assert set(sample(4, temperature=2.0, length=200)) <= set(task.vocabulary.characters)
    with pytest.raises(ConfigError, match="temperature"):
        sample(1, temperature=-1.0)
    assert model.training  # sampling leaves the training mode as it found it


def test_conditioned_generation_samples_and_restores_identically():
    task = prepared(Generate, TinyNames(), embedding_size=8)
    torch.manual_seed(0)
    model = task.build_model(make_cell(hidden=16))
    train(task, model, steps=20, lr=0.03)
    first_tokens = {int(token) for b in task.batches("train", 4, seeded(0)) for token in b.inputs[:, 0]}
    assert first_tokens - {PAD} == {task.vocabulary.condition_id(language) for language in SURNAMES}
    lines = task.showcase(model, seeded(0))
    assert len(lines) == 3 and all(line.startswith(("<English>", "<Italian>", "<Russian>")) for line in lines)
    restored = Generate.restore(task.options, json.loads(json.dumps(task.metadata())))
    twin = restored.build_model(make_cell(hidden=16))
    twin.load_state_dict(model.state_dict())
    ours = "".join(task.sample(model, "<Russian>Iv", 20, 0.8, 0, seeded(5)))
    theirs = "".join(restored.sample(twin, "<Russian>Iv", 20, 0.8, 0, seeded(5)))
    assert ours == theirs and "<" not in ours


# with the real dataset and cell plugins, on the tiny corpora


def real(kind: str, name: str, **options):
    return load_registry().get(kind, name).cls(options)


SMALL_CELL = {"hidden_size": 16, "layers": 1}


def test_names_classification_end_to_end_with_a_real_cell(tiny_corpora):
    task = prepared(Classify, real("dataset", "names"), embedding_size=8)
    model = task.build_model(real("cell", "gru", bidirectional=True, **SMALL_CELL))
    losses = train(task, model, steps=12)
    assert all(math.isfinite(loss) for loss in losses)
    result = task.evaluate(model, "validation", 16)
    assert result["classes"] == ["English", "Italian", "Russian"] and 0.0 <= result["accuracy"] <= 1.0
    assert [label for label, _ in task.predict(model, "Kuznetsova", 3)][0] in result["classes"]


@pytest.mark.parametrize("cell", ["lstm", "gru-custom"])
def test_divina_generation_end_to_end_with_real_cells(tiny_corpora, cell):
    task = prepared(Generate, real("dataset", "divina"), seq_len=32, embedding_size=8, prompt="Nel mezzo")
    torch.manual_seed(0)
    model = task.build_model(real("cell", cell, **SMALL_CELL))
    before = task.evaluate(model, "validation", 16)["loss"]
    train(task, model, steps=8, batch_size=16)
    assert task.evaluate(model, "validation", 16)["loss"] < before
    (line,) = task.showcase(model, seeded(0))
    assert line.startswith("Nel mezzo") and len(line) <= len("Nel mezzo") + 300


@pytest.mark.parametrize("task_class", [Classify, Generate])
def test_a_task_used_before_it_is_prepared_says_what_to_do(task_class):
    task = task_class()
    with pytest.raises(ConfigError, match="no vocabulary yet: prepare it with a dataset or restore it"):
        task.build_model(make_cell())
    with pytest.raises(ConfigError, match="no prepared split 'train'.*prepare the .* task with a dataset"):
        next(iter(task.batches("train", 4, seeded(0))))
