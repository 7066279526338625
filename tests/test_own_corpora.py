"""A person's own data: the `text` and `labelled` datasets, their splits, options and bad inputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from workbench_plugins.datasets.labelled import LabelledDataset
from workbench_plugins.datasets.plain_text import TextDataset, passages
from workbench_plugins.datasets.text import ascii_fold, strip_punctuation
from workbench_plugins.tasks.classify import Classify
from workbench_plugins.tasks.generate import Generate

from workbench.cli import main
from workbench.conformance import check_plugin, failures
from workbench.datasets import SPLITS, ClassificationData, GenerationData
from workbench.errors import ConfigError, CorpusError

WORDS = " ".join(f"w{index:04d}" for index in range(2000))  # one line; every word says where it stood


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def texts_of(data: GenerationData | ClassificationData) -> dict[str, list[str]]:
    return {split: [item.text for item in data.split(split)] for split in SPLITS}


def assert_no_string_in_two_splits(data: GenerationData | ClassificationData) -> None:
    texts = {split: set(found) for split, found in texts_of(data).items()}
    assert not texts["train"] & texts["validation"]
    assert not texts["train"] & texts["test"]
    assert not texts["validation"] & texts["test"]


def words(text: str) -> list[int]:
    return [int(number) for number in re.findall(r"w(\d{4})", text)]


# text: splits -----------------------------------------------------------------------------------


def test_a_book_on_one_line_holds_out_its_end_cut_at_spaces(tmp_path: Path) -> None:
    path = write(tmp_path / "book.txt", WORDS)
    data = TextDataset({"path": str(path)}).generation(0)
    (train,), (validation,), (test,) = (data.split(split) for split in SPLITS)
    assert train.text + validation.text + test.text == WORDS  # contiguous: nothing lost, nothing shared
    train_words, validation_words, test_words = words(train.text), words(validation.text), words(test.text)
    assert max(train_words) < min(validation_words) <= max(validation_words) < min(test_words)
    assert validation.text.startswith("w") and test.text.startswith("w")  # cut where a word starts
    assert len(validation.text) == pytest.approx(0.05 * len(WORDS), abs=10)
    assert data.conditions is None and train.condition is None


def test_no_training_window_overlaps_held_out_text(tmp_path: Path) -> None:
    path = write(tmp_path / "book.txt", WORDS)
    task = Generate({"seq_len": 32})
    task.prepare(TextDataset({"path": str(path), "validation_fraction": 0.2, "test_fraction": 0.2}), seed=0)
    held_out = words("".join(d.text for d in TextDataset({"path": str(path)}).generation(0).validation))
    seen: list[int] = []
    for stateful in (True, False):
        task.options["stateful"] = stateful
        for batch in task.batches("train", 16, torch.Generator().manual_seed(0)):
            for row in torch.cat([batch.inputs, batch.targets[:, -1:]], dim=1).tolist():
                seen += words(task.vocabulary.decode(row))
    assert seen and max(seen) < 2000 * 0.6 and max(seen) < min(held_out)


def test_each_document_gives_its_end_and_splits_are_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        write(tmp_path / "docs" / f"{name}.txt", f"{name} " + WORDS[: 3000])
    data = TextDataset({"path": str(tmp_path / "docs"), "validation_fraction": 0.1}).generation(3)
    assert [len(data.split(split)) for split in SPLITS] == [3, 3, 3]
    assert [d.text[0] for d in data.train] == ["a", "b", "c"]
    assert data == TextDataset({"path": str(tmp_path / "docs"), "validation_fraction": 0.1}).generation(4)


def test_whole_documents_held_out_by_the_seed(tmp_path: Path) -> None:
    text = "\n\n".join(f"Chapter {index}.\n" + WORDS[index * 50 : index * 50 + 400] for index in range(20))
    path = write(tmp_path / "book.txt", text)
    options = {"path": str(path), "documents": "blank_lines", "held_out": "documents",
               "validation_fraction": 0.1, "test_fraction": 0.1}
    data = TextDataset(options).generation(0)
    assert [len(data.split(split)) for split in SPLITS] == [16, 2, 2]
    assert all(d.text.startswith("Chapter ") for split in SPLITS for d in data.split(split))
    assert_no_string_in_two_splits(data)
    assert TextDataset(options).generation(0) == data
    assert texts_of(TextDataset(options).generation(1)) != texts_of(data)


def test_separator_lines_directories_and_globs_make_documents(tmp_path: Path) -> None:
    write(tmp_path / "corpus" / "one.txt", "first part\n---\nsecond part\n  ---  \nthird part\n")
    write(tmp_path / "corpus" / "deeper" / "two.txt", "another file\n")
    write(tmp_path / "corpus" / ".hidden" / "three.txt", "skipped\n")
    write(tmp_path / "corpus" / "notes.md", "not a .txt file\n")
    by_file = TextDataset({"path": str(tmp_path / "corpus")}).summarise_source()
    assert (by_file.files, by_file.documents) == (2, 2)
    separated = {"path": str(tmp_path / "corpus"), "documents": "separator"}
    by_separator = TextDataset(separated).summarise_source()
    assert by_separator.documents == 4
    assert by_separator.describe() == "2 files · 43 characters · 4 documents"
    globbed = TextDataset({"path": str(tmp_path / "corpus" / "**" / "*.md")}).summarise_source()
    assert (globbed.files, globbed.documents, globbed.characters) == (1, 1, len("not a .txt file"))


def test_relative_paths_start_from_the_corpora_directory_else_the_working_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "corpora" / "book.txt", WORDS)
    assert TextDataset({"path": "book.txt"}, corpus_root=tmp_path / "corpora").summarise_source().files == 1
    monkeypatch.chdir(tmp_path)
    assert TextDataset({"path": "corpora/*.txt"}).summarise_source().characters == len(WORDS)
    with pytest.raises(CorpusError, match=f"relative paths start from {tmp_path}"):
        TextDataset({"path": "book.txt"}).summarise_source()


def test_options_use_the_shared_normalisers(tmp_path: Path) -> None:
    raw = "Élan, vital! Ærø — «Groß» 42\nDéjà-vu.\n" * 40
    path = write(tmp_path / "t.txt", raw)
    options = {"path": str(path), "lowercase": True, "strip_punctuation": True, "ascii_fold": True}
    data = TextDataset(options).generation(0)
    whole = "".join(document.text for split in SPLITS for document in data.split(split))
    assert whole == strip_punctuation(ascii_fold(raw.strip())).lower()
    assert whole.startswith("elan vital aero gross\ndeja vu\n")


def test_labelled_documents_classify_by_file_name_and_condition_generation(tmp_path: Path) -> None:
    write(tmp_path / "poets" / "dante.txt", ("nel mezzo del cammin di nostra vita " * 60).strip())
    write(tmp_path / "poets" / "petrarca.txt", ("voi ch ascoltate in rime sparse il suono " * 60).strip())
    dataset = TextDataset({"path": str(tmp_path / "poets"), "labels": "file", "example_length": 50})
    data = dataset.classification(0)
    assert data.classes == ["dante", "petrarca"]
    assert all(len(e.text) <= 50 for split in SPLITS for e in data.split(split))
    assert {e.label for e in data.train} == {0, 1} and data.validation and data.test
    assert_no_string_in_two_splits(data)
    generation = dataset.generation(0)
    assert generation.conditions == ["dante", "petrarca"]
    assert {d.condition for d in generation.train} == {"dante", "petrarca"}
    folders = TextDataset({"path": str(tmp_path / "poets"), "labels": "folder"}).summarise_source()
    assert folders.classes == 1


def test_passages_cut_at_spaces_and_split_words_longer_than_a_passage() -> None:
    assert passages("one two  three\nfour", 9) == ["one two", "three", "four"]
    assert passages("x" * 25 + " end", 10) == ["x" * 10, "x" * 10, "xxxxx end"]


# text: bad input --------------------------------------------------------------------------------


def test_text_without_labels_refuses_classification(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt", WORDS)
    with pytest.raises(ConfigError, match="text.labels = 'none'.*Set text.labels to file or folder"):
        TextDataset({"path": str(path)}).classification(0)


@pytest.mark.parametrize(("setup", "message"), [
    (lambda tmp: "", "text.path is not set: give the path of a UTF-8 text file"),
    (lambda tmp: str(tmp / "missing.txt"), "missing.txt does not exist"),
    (lambda tmp: str((tmp / "empty_dir").mkdir() or tmp / "empty_dir"), "holds no .txt files"),
    (lambda tmp: str(tmp / "*.nothing"), r"matches no files"),
    (lambda tmp: str(write(tmp / "blank.txt", "\n \n")), r"blank.txt is empty"),
])
def test_bad_paths_say_what_is_wrong(tmp_path: Path, setup, message: str) -> None:  # noqa: ANN001
    with pytest.raises((ConfigError, CorpusError), match=message):
        TextDataset({"path": setup(tmp_path)}).generation(0)


def test_not_utf8_names_the_byte_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("first line\nsecond line\nPerch\xe9 no\n".encode("latin-1"))
    for dataset in (TextDataset({"path": str(path)}), LabelledDataset({"path": str(path)})):
        with pytest.raises(CorpusError) as error:
            dataset.summarise_source()
        assert all(part in str(error.value) for part in (str(path), "0xe9", "offset 28", "line 3", "UTF-8"))


def test_text_shorter_than_one_training_window_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "short.txt", "Nel mezzo del cammin di nostra vita, mi ritrovai.")
    with pytest.raises(ConfigError, match=r"characters of training text, fewer than one training window "
                                          r"\(generate.seq_len = 64\).*lower generate.seq_len"):
        Generate().prepare(TextDataset({"path": str(path)}), seed=0)
    Generate({"seq_len": 16}).prepare(TextDataset({"path": str(path)}), seed=0)


def test_too_few_documents_to_hold_out_whole(tmp_path: Path) -> None:
    path = write(tmp_path / "one.txt", WORDS)
    with pytest.raises(CorpusError, match="has 1 document.*Use text.held_out = end"):
        TextDataset({"path": str(path), "held_out": "documents"}).generation(0)


# labelled --------------------------------------------------------------------------------------


def test_a_folder_of_class_files_splits_by_groups_with_no_string_in_two_splits(tmp_path: Path) -> None:
    folder = tmp_path / "pets"
    cats = ["Tom", "Felix", "Tom", "Salem", "Luna", "Nala", "Simba", "Shared"]
    dogs = ["Rex", "Fido", "Lassie", "Odie", "Snoopy", "Pluto", "Shared", "Rex"]
    write(folder / "cat.txt", "\n".join(cats))
    write(folder / "dog.txt", "\n".join(dogs))
    options = {"path": str(folder), "validation_fraction": 0.25, "test_fraction": 0.25}
    for seed in range(5):
        data = LabelledDataset(options).classification(seed)
        assert data.classes == ["cat", "dog"]
        assert_no_string_in_two_splits(data)
        holding = [split for split in SPLITS if any(e.text == "Shared" for e in data.split(split))]
        assert len(holding) == 1 and sum(e.text == "Shared" for e in data.split(holding[0])) == 2
    assert LabelledDataset(options).classification(1) == LabelledDataset(options).classification(1)
    every = [e.text for split in SPLITS for e in LabelledDataset(options).classification(0).split(split)]
    assert every.count("Tom") == 1 and every.count("Shared") == 2
    kept = LabelledDataset({**options, "drop_duplicates": False, "drop_ambiguous": True}).classification(0)
    kept_texts = [e.text for split in SPLITS for e in kept.split(split)]
    assert kept_texts.count("Tom") == 2 and "Shared" not in kept_texts


def test_csv_and_tsv_with_named_columns(tmp_path: Path) -> None:
    rows = [("positive", "a fine, sunny day"), ("negative", "rain again"), ("positive", "warm and bright"),
            ("negative", "grey, cold, wet"), ("positive", "blue sky"), ("negative", "fog all day")] * 3
    rows = [(label, f"{text} {index}") for index, (label, text) in enumerate(rows)]
    csv_file = write(tmp_path / "reviews.csv", "id,mood,sentence\n" + "".join(
        f'{index},{label},"{text}"\n' for index, (label, text) in enumerate(rows)))
    tsv_file = write(tmp_path / "reviews.tsv", "sentence\tmood\n" + "".join(f"{t}\t{m}\n" for m, t in rows))
    for path in (csv_file, tsv_file):
        dataset = LabelledDataset({"path": str(path), "label_column": "mood", "text_column": "sentence"})
        data = dataset.classification(0)
        assert data.classes == ["negative", "positive"]
        assert "a fine, sunny day 0" in [e.text for split in SPLITS for e in data.split(split)]
        characters = sum(len(text) for _, text in rows)
        found = dataset.summarise_source().describe()
        assert found == f"1 file · {characters:,} characters · 18 examples · 2 classes"
        generation = dataset.generation(0)
        assert generation.conditions == ["negative", "positive"]
        assert {d.condition for d in generation.train} == {"negative", "positive"}


def test_a_csv_without_the_named_columns_names_them_and_the_option(tmp_path: Path) -> None:
    path = write(tmp_path / "data.csv", "category,sentence\nx,hello\n")
    with pytest.raises(CorpusError, match=r"no column 'label': its first line names 'category', 'sentence'\. "
                                          r"Set labelled.label_column"):
        LabelledDataset({"path": str(path)}).classification(0)
    with pytest.raises(CorpusError, match=r"no column 'text'.*Set labelled.text_column"):
        LabelledDataset({"path": str(path), "label_column": "category"}).classification(0)
    short = write(tmp_path / "short.csv", "label,text\nx,hello\ny\n")
    with pytest.raises(CorpusError, match=r"short.csv, line 3: the row has 1 columns"):
        LabelledDataset({"path": str(short)}).classification(0)


@pytest.mark.parametrize("layout", ["csv", "folder"])
def test_a_single_class_is_refused_for_classification(tmp_path: Path, layout: str) -> None:
    if layout == "csv":
        path = write(tmp_path / "one.csv", "label,text\n" + "".join(f"spam,offer {i}\n" for i in range(20)))
    else:
        path = write(tmp_path / "folder" / "spam.txt", "".join(f"offer {i}\n" for i in range(20))).parent
    dataset = LabelledDataset({"path": str(path)})
    with pytest.raises(ConfigError, match=r"'labelled' cannot train and score a classifier: only 'spam' has "
                                          r"training examples: classification needs two classes or more"):
        Classify({"embedding_size": 8}).prepare(dataset, seed=0)
    assert dataset.generation(0).conditions == ["spam"]  # one class can still be written


def test_a_labelled_file_with_no_examples_says_so(tmp_path: Path) -> None:
    path = write(tmp_path / "header.csv", "label,text\n")
    with pytest.raises(CorpusError, match="holds no examples"):
        LabelledDataset({"path": str(path)}).classification(0)
    with pytest.raises(CorpusError, match="is empty: its first line should name the columns"):
        LabelledDataset({"path": str(write(tmp_path / "nothing.csv", ""))}).classification(0)


# first-class: conformance, the CLI, a config file -------------------------------------------------


@pytest.mark.parametrize("name", ["text", "labelled"])
def test_plugins_check_loads_the_tiny_corpus_each_dataset_ships(name: str) -> None:
    results = check_plugin(name, "dataset")
    assert not failures(results)
    names = {result.name for result in results}
    assert {"serves classification (on its check corpus)", "serves generation (on its check corpus)"} <= names


def test_plugins_check_catches_a_dataset_whose_splits_leak() -> None:
    class Leaky(TextDataset):
        name = "leaky"

        def generation(self, seed: int) -> GenerationData:
            data = super().generation(seed)
            return GenerationData(data.train, data.validation, data.train[:1])

    reasons = {r.name: r.reason for r in failures(check_plugin(Leaky))}
    assert "is in both the train and the test split" in reasons["serves generation (on its check corpus)"]


def test_cli_trains_on_a_text_file_and_answers_bad_input_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = write(tmp_path / "book.txt", WORDS)
    common = ["run", "--cell", "gru", "--runs-dir", str(tmp_path / "runs"), "--set", "cell.hidden_size=8",
              "--set", "cell.layers=1", "--set", "generate.seq_len=32", "--steps", "2", "--json"]
    assert main([*common, "--dataset", "text", "--task", "generate", "--set", f"text.path={path}"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["summary"]["stateful"] is True
    missing = f"text.path={tmp_path}/nope"
    assert main([*common, "--dataset", "text", "--task", "generate", "--set", missing]) == 2
    assert "nope does not exist" in " ".join(capsys.readouterr().err.split())


def test_a_config_file_names_a_labelled_csv(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    csv_file = write(tmp_path / "moods.csv", "label,text\n" + "".join(
        f"{'up' if i % 2 else 'down'},{'bright' if i % 2 else 'grey'} day {i}\n" for i in range(40)))
    config = write(tmp_path / "run.toml", f"""dataset = "labelled"
cells = ["gru"]
task = "classify"

[labelled]
path = "{csv_file}"

[cell]
hidden_size = 8
layers = 1

[train]
steps = 2
""")
    assert main(["run", "--config", str(config), "--runs-dir", str(tmp_path / "runs"), "--json"]) == 0
    summary = [json.loads(line) for line in capsys.readouterr().out.splitlines()][-1]["summary"]
    assert summary["test"]["classes"] == ["down", "up"]


def test_corpora_check_lists_what_a_path_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    book = write(tmp_path / "book.txt", "One.\n\nTwo.\n\nThree.\n")
    assert main(["corpora", "check", str(book), "--set", "documents=blank_lines", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["status"], found["files"], found["documents"], found["characters"]) == ("ok", 1, 3, 14)
    assert main(["corpora", "check", str(tmp_path / "absent.csv"), "--as", "labelled"]) == 2
    listing = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert listing[0] == ["labelled", "dataset", "error"] and listing[1][0] == "path"
    assert listing[2][0] == "problem" and "absent.csv does not exist" in " ".join(listing[2])
    assert main(["corpora", "check", str(book), "--as", "names"]) == 2
    assert "reads a corpus of its own" in capsys.readouterr().err
