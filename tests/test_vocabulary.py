"""The vocabulary: fixed special ids, conditions before characters, unknowns, JSON round trip."""

from __future__ import annotations

import pytest

from workbench.errors import CheckpointError
from workbench.vocabulary import BOS, EOS, PAD, SPECIALS, UNK, Vocabulary


def test_specials_come_first_then_conditions_then_sorted_characters():
    vocabulary = Vocabulary.build(["cab", "ba"], conditions=["Russian", "Italian"])
    assert (PAD, UNK, BOS, EOS) == (0, 1, 2, 3)
    assert vocabulary.tokens[:4] == list(SPECIALS)
    assert vocabulary.tokens[4:6] == ["<Russian>", "<Italian>"]
    assert vocabulary.tokens[6:] == ["a", "b", "c"]
    assert len(vocabulary) == 9
    assert vocabulary.first_character == 6


def test_encode_and_decode_round_trip():
    vocabulary = Vocabulary.build(["hello world"])
    ids = vocabulary.encode("hello")
    assert all(index >= vocabulary.first_character for index in ids)
    assert vocabulary.decode(ids) == "hello"
    assert vocabulary.decode([BOS, *ids, EOS, PAD, PAD]) == "hello"


def test_unknown_characters_become_unk_but_case_and_accents_fall_back():
    vocabulary = Vocabulary.build(["abe"])
    assert vocabulary.encode("z") == [UNK]
    assert vocabulary.encode("A") == vocabulary.encode("a")
    assert vocabulary.encode("é") == vocabulary.encode("e")
    assert vocabulary.encode("É") == vocabulary.encode("e")


def test_condition_tokens_written_in_text_are_one_id():
    vocabulary = Vocabulary.build(["Ab<"], conditions=["Russian"])
    ids = vocabulary.encode("<Russian>Ab")
    assert ids[0] == vocabulary.condition_id("Russian")
    assert len(ids) == 3
    assert vocabulary.decode(ids) == "<Russian>Ab"
    assert vocabulary.encode("<Spanish>")[0] == vocabulary.ids["<"]  # not a condition: characters
    assert vocabulary.opens_document(ids[0]) and vocabulary.opens_document(BOS)
    assert not vocabulary.opens_document(ids[1])


def test_json_round_trip_keeps_every_id():
    vocabulary = Vocabulary.build(["xyz"], conditions=["A", "B"])
    again = Vocabulary.from_json(vocabulary.to_json())
    assert again.tokens == vocabulary.tokens
    assert again.encode("<B>zy") == vocabulary.encode("<B>zy")


def test_unreadable_json_is_a_checkpoint_error():
    with pytest.raises(CheckpointError, match="characters"):
        Vocabulary.from_json({"letters": []})


def test_unknown_characters_are_those_that_encode_to_unk_each_named_once() -> None:
    vocabulary = Vocabulary("abce", ["Russian"])
    text = "<Russian>Abé9😀9"
    assert vocabulary.unknown_characters(text) == ["9", "😀"]  # A and é have known fallbacks
    assert [vocabulary.tokens[token] for token in vocabulary.encode(text)].count("<unk>") == 3
    assert vocabulary.unknown_characters("") == []
