"""The built-in `names` and `divina` datasets: options, deterministic splits and no leaks."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_corpora import TINY_NAMES
from workbench_plugins.datasets.divina import DivinaDataset
from workbench_plugins.datasets.names import NamesDataset
from workbench_plugins.datasets.poem import read_poem
from workbench_plugins.datasets.text import ascii_fold, strip_punctuation

from workbench.datasets import SPLITS, ClassificationData
from workbench.errors import ConfigError
from workbench.registry import load_registry


def split_texts(data: ClassificationData) -> dict[str, set[str]]:
    return {split: {example.text for example in data.split(split)} for split in SPLITS}


def assert_no_string_in_two_splits(data: ClassificationData) -> None:
    texts = split_texts(data)
    assert not texts["train"] & texts["validation"]
    assert not texts["train"] & texts["test"]
    assert not texts["validation"] & texts["test"]


def test_datasets_are_registered_by_the_workbench_distribution() -> None:
    registry = load_registry()
    for name in ("names", "divina"):
        info = registry.get("dataset", name)
        assert info.source == "workbench"
        assert set(info.cls.forms) == {"classification", "generation"}


# names -----------------------------------------------------------------------------------------


def test_names_splits_are_deterministic_per_seed(tiny_corpora: Path) -> None:
    dataset = NamesDataset()
    assert dataset.classification(3) == dataset.classification(3)
    assert split_texts(dataset.classification(3)) != split_texts(dataset.classification(4))


def test_names_classes_and_stratification(tiny_corpora: Path) -> None:
    data = NamesDataset({"validation_fraction": 0.2, "test_fraction": 0.2}).classification(0)
    assert data.classes == sorted(TINY_NAMES)
    for split in SPLITS:
        assert {example.label for example in data.split(split)} == {0, 1, 2}
    assert_no_string_in_two_splits(data)


def test_names_shared_across_languages_stay_in_one_split(tiny_corpora: Path) -> None:
    # "Smith" is both English and Russian in the tiny corpus.
    for seed in range(10):
        data = NamesDataset({"validation_fraction": 0.3, "test_fraction": 0.3}).classification(seed)
        holding = [split for split in SPLITS if any(e.text == "Smith" for e in data.split(split))]
        assert len(holding) == 1
        assert sum(e.text == "Smith" for e in data.split(holding[0])) == 2
        assert_no_string_in_two_splits(data)


def test_names_drop_ambiguous_and_duplicates(tiny_corpora: Path) -> None:
    assert "Smith" not in _all_texts(NamesDataset({"drop_ambiguous": True}))
    (tiny_corpora / "names" / "Italian.txt").write_text("Rossi\nRossi\nRusso\nBruno\n", encoding="utf-8")
    assert _all_texts(NamesDataset({"languages": "Italian"})).count("Rossi") == 1
    assert _all_texts(NamesDataset({"languages": "Italian", "drop_duplicates": False})).count("Rossi") == 2


def test_names_lowercase_ascii_fold_and_language_subset(tiny_corpora: Path) -> None:
    (tiny_corpora / "names" / "French.txt").write_text("Émile\nBélanger\nCoté\n", encoding="utf-8")
    dataset = NamesDataset({"lowercase": True, "ascii_fold": True, "languages": "french, Italian"})
    data = dataset.classification(0)
    assert data.classes == ["French", "Italian"]
    texts = _all_texts(dataset)
    assert {"emile", "belanger", "cote", "rossi"} <= set(texts)
    assert all(text == text.lower() and text.isascii() for text in texts)


def test_names_unknown_language_lists_the_valid_ones(tiny_corpora: Path) -> None:
    with pytest.raises(ConfigError, match="'Klingon'.*English, Italian, Russian"):
        NamesDataset({"languages": "English,Klingon"}).classification(0)


def test_names_generation_conditions_on_language(tiny_corpora: Path) -> None:
    data = NamesDataset().generation(0)
    assert data.conditions == sorted(TINY_NAMES)
    assert all(doc.condition in TINY_NAMES and doc.text for split in SPLITS for doc in data.split(split))
    classification = NamesDataset().classification(0)
    assert [d.text for d in data.train] == [e.text for e in classification.train]


def test_names_real_corpus_split_has_no_leaks(real_corpora: Path) -> None:
    data = NamesDataset().classification(7)
    assert len(data.classes) == 18
    assert {example.label for example in data.train} == set(range(18))
    assert_no_string_in_two_splits(data)
    total = sum(len(data.split(split)) for split in SPLITS)
    assert 17_000 < total < 20_074  # duplicates within a language count once
    assert 0.08 < len(data.test) / total < 0.12


def _all_texts(dataset: NamesDataset) -> list[str]:
    data = dataset.generation(0)  # serves one language too, which classification refuses
    return [document.text for split in SPLITS for document in data.split(split)]


def test_ascii_fold_handles_letters_without_decomposition() -> None:
    assert ascii_fold("Émile Łukasz Groß Ñúñez") == "Emile Lukasz Gross Nunez"


# divina ----------------------------------------------------------------------------------------


def test_divina_real_corpus_has_100_cantos(real_corpora: Path) -> None:
    cantos = read_poem(real_corpora / "divina_commedia.txt")
    counts = {name: sum(c.cantica == name for c in cantos) for name in ("Inferno", "Purgatorio", "Paradiso")}
    assert counts == {"Inferno": 34, "Purgatorio": 33, "Paradiso": 33}
    assert cantos[0].heading == "Inferno • Canto I" and cantos[-1].number == 33
    assert cantos[0].tercets[0].startswith("Nel mezzo del cammin di nostra vita\n")
    assert cantos[-1].tercets[-1] == "l’amor che move il sole e l’altre stelle."


def test_divina_splits_hold_out_whole_cantos_from_every_cantica(real_corpora: Path) -> None:
    data = DivinaDataset().generation(11)
    headings = {split: [doc.text.split("\n", 1)[0] for doc in data.split(split)] for split in SPLITS}
    assert sum(len(h) for h in headings.values()) == 100
    assert not set(headings["train"]) & (set(headings["validation"]) | set(headings["test"]))
    for split in ("validation", "test"):
        cantiche = {heading.split(" • ")[0] for heading in headings[split]}
        assert cantiche == {"Inferno", "Purgatorio", "Paradiso"}
    assert all(doc.condition is None for split in SPLITS for doc in data.split(split))
    train_lines = {line for doc in data.train for line in doc.text.splitlines()[1:] if line}
    held_lines = {line for split in ("validation", "test") for doc in data.split(split)
                  for line in doc.text.splitlines()[1:] if line}
    assert not train_lines & held_lines
    assert DivinaDataset().generation(11) == data
    assert DivinaDataset().generation(12) != data


def test_divina_classification_labels_tercets_by_cantica(real_corpora: Path) -> None:
    data = DivinaDataset().classification(0)
    assert data.classes == ["Inferno", "Purgatorio", "Paradiso"]
    first = next(e for e in data.train + data.validation + data.test
                 if e.text.startswith("Nel mezzo del cammin"))
    assert first.label == 0
    assert {e.label for e in data.train} == {0, 1, 2}
    assert sum(len(data.split(split)) for split in SPLITS) > 4_700
    assert_no_string_in_two_splits(data)


def test_divina_options_lowercase_and_strip_punctuation(tiny_corpora: Path) -> None:
    data = DivinaDataset({"lowercase": True, "strip_punctuation": True}).generation(0)
    text = "".join(doc.text for split in SPLITS for doc in data.split(split))
    assert text == text.lower() and "ché la diritta via era smarrita" in text
    assert not set(text) & set(".,;:!?«»’•")
    plain = DivinaDataset().classification(0)
    assert any("oscura," in example.text for example in plain.train)


def test_divina_tiny_splits_and_too_large_fractions(tiny_corpora: Path) -> None:
    data = DivinaDataset().generation(0)
    assert (len(data.train), len(data.validation), len(data.test)) == (6, 3, 3)
    with pytest.raises(ConfigError, match="lower validation_fraction"):
        DivinaDataset({"validation_fraction": 0.4, "test_fraction": 0.4}).generation(0)


def test_strip_punctuation_keeps_letters_spaces_and_newlines() -> None:
    assert strip_punctuation("«Tant’ è amara», disse:—Or\nl’amor.") == "Tant è amara disse Or\nlamor"
