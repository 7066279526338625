"""`workbench inspect`: every cell (built-in, third-party, without probes) and both tasks, JSON, SVG,
and `--find` ranking first a unit planted by hand to count the position in the line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from test_probes import PlainCell

from workbench.cli import main
from workbench.engine.checkpoint import load_checkpoint, save_checkpoint
from workbench.testing import registered
from workbench.vocabulary import Vocabulary

EXAMPLE = Path(__file__).resolve().parents[1] / "plugins" / "examples" / "workbench-mgu"
BUILTIN = ("lstm", "gru", "rnn", "lstm-custom", "gru-custom", "rnn-custom")
PROBES = {
    "lstm": {"input_gate", "forget_gate", "candidate", "output_gate", "cell_state"},
    "gru": {"reset_gate", "update_gate", "candidate"},
    "rnn": {"preactivation"},
    "mgu": {"forget_gate", "candidate"},
    "plain": set(),
}
TASKS = {"classify": ("names", "Schmidt"), "generate": ("divina", "Nel mezzo\ndel cammin")}


@pytest.fixture(scope="module")
def mgu_cell() -> Any:
    sys.path.insert(0, str(EXAMPLE))
    try:
        from workbench_mgu import MGU
    finally:
        sys.path.remove(str(EXAMPLE))
    return MGU


def train(runs: Path, dataset: str, cell: str, task: str, *options: str) -> Path:
    code = main(["run", "--dataset", dataset, "--cell", cell, "--task", task, "--steps", "2",
                 "--set", "cell.hidden_size=6", "--set", "cell.layers=2", "--set", "task.embedding_size=4",
                 *options, "--runs-dir", str(runs), "--json"])
    assert code == 0
    (run_dir,) = [path for path in runs.iterdir() if f"-{cell}-{task}" in path.name]
    return run_dir


def inspect_json(capsys, *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["inspect", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("task", sorted(TASKS))
@pytest.mark.parametrize("cell", [*BUILTIN, "mgu", "plain"])
def test_inspect_reads_every_cell_on_both_tasks(cell, task, mgu_cell, tiny_corpora, tmp_path, capsys):
    dataset, text = TASKS[task]
    with registered(mgu_cell, PlainCell):
        run_dir = train(tmp_path / "runs", dataset, cell, task)
        found = inspect_json(capsys, str(run_dir), text)
        probes = PROBES[cell.split("-")[0]]
        assert set(found["probes"]) == {"hidden", *probes}
        assert found["tokens"] == list(text) and len(found["positions"]) == len(text)
        assert found["layers"] == 2 and found["heatmap"]["layer"] == 1
        units = found["heatmap"]["units"]
        assert sorted(unit["unit"] for unit in units) == list(range(6))
        assert all(len(unit["values"]) == len(text) for unit in units)
        if task == "classify":
            assert found["kind"] == "classes" and found["directions"] == 2
            for position in found["positions"]:
                assert sum(position["classes"].values()) == pytest.approx(1.0, abs=1e-4)
            backward = inspect_json(capsys, str(run_dir), text, "--direction", "backward", "--layer", "0")
            assert backward["heatmap"]["direction"] == "backward" and backward["heatmap"]["layer"] == 0
        else:
            assert found["kind"] == "next-token" and found["directions"] == 1
            first = found["positions"][0]
            assert first["bits"] == pytest.approx(-torch.tensor(first["p"]).log2().item(), abs=1e-4)
            assert len(first["alternatives"]) == 5 and len(found["after"]) == 5
        for probe in probes:
            picked = inspect_json(capsys, str(run_dir), text, "--probe", probe, "--units", "2")
            assert picked["heatmap"]["probe"] == probe and len(picked["heatmap"]["units"]) == 2
            if probe.endswith("_gate"):
                values = [v for unit in picked["heatmap"]["units"] for v in unit["values"]]
                assert all(0.0 <= v <= 1.0 for v in values)


def test_a_probe_the_cell_lacks_is_refused_with_the_choices(tiny_corpora, tmp_path, capsys):
    with registered(PlainCell):
        run_dir = train(tmp_path / "runs", "names", "plain", "classify")
        assert main(["inspect", str(run_dir), "Rossi", "--probe", "forget_gate"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "probe 'forget_gate' is not recorded for this cell: choose one of hidden" in err


@pytest.mark.parametrize(("argv", "message"), [
    ([], "Give a TEXT to inspect, or --find FEATURE"),
    (["Rossi", "--layer", "5"], "layer 5 has no recorded values: choose one of 0, 1"),
    (["Rossi", "--units", "-1"], "--units -1 is too small"),
    (["--find", "no_such_feature"], "There is no feature named 'no_such_feature'"),
])
def test_bad_requests_are_one_paragraph_errors(argv, message, tiny_corpora, tmp_path, capsys):
    run_dir = train(tmp_path / "runs", "names", "gru", "classify")
    capsys.readouterr()
    assert main(["inspect", str(run_dir), *argv]) == 2
    captured = capsys.readouterr()
    assert message in " ".join(captured.err.split()) and "Traceback" not in captured.err


def test_the_picture_shows_the_text_and_saves_as_svg(tiny_corpora, tmp_path, capsys):
    run_dir = train(tmp_path / "runs", "divina", "lstm", "generate")
    svg = tmp_path / "inspect.svg"
    capsys.readouterr()
    assert main(["inspect", str(run_dir), "Nel mezzo", "--probe", "forget_gate", "--width", "90",
                 "--svg", str(svg)]) == 0
    out = capsys.readouterr().out
    assert "bits per character" in out and "top 5 alternatives" in out
    assert "layer 1 · forward · forget_gate · all 6 units, most varying first" in out
    picture = svg.read_text(encoding="utf-8")
    assert picture.startswith("<svg") and "forget_gate" in picture and "Nel" in picture


def plant_line_counter(run_dir: Path) -> None:
    """Make unit 0 of a one-layer ReLU RNN count the characters since the last line break.

    h0_t = relu(h0_{t-1} + 1 - 1000 * [x_t is a line break]): the embedding's first coordinate is
    -1000 for the break and 0 for every other token, and no other unit reads unit 0.
    """
    path = run_dir / "best.safetensors"
    tensors, metadata = load_checkpoint(path)
    vocabulary = Vocabulary.from_json(metadata["task"]["vocabulary"])
    embedding = tensors["model.embedding.weight"]
    embedding[:, 0] = 0.0
    embedding[vocabulary.ids["\n"], 0] = -1000.0
    rnn = {name: tensors[f"model.recurrent.module.{name}_l0"]
           for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    rnn["weight_ih"][0], rnn["weight_hh"][0], rnn["weight_hh"][:, 0] = 0.0, 0.0, 0.0
    rnn["weight_ih"][0, 0], rnn["weight_hh"][0, 0] = 1.0, 1.0
    rnn["bias_ih"][0], rnn["bias_hh"][0] = 1.0, 0.0
    save_checkpoint(path, tensors, metadata)


def test_find_ranks_first_a_unit_planted_to_track_the_line_position(tiny_corpora, tmp_path, capsys):
    run_dir = train(tmp_path / "runs", "divina", "rnn", "generate", "--set", "cell.nonlinearity=relu",
                    "--set", "cell.layers=1")
    plant_line_counter(run_dir)
    found = inspect_json(capsys, str(run_dir), "--find", "line_position", "--find", "vowel")
    line, vowel = found["find"]
    assert line["feature"] == "line_position" and line["characters"] > 100
    best = line["units"][0]
    assert (best["layer"], best["direction"], best["unit"]) == (0, "forward", 0)
    assert best["correlation"] > 0.99 and abs(line["units"][1]["correlation"]) < 0.99
    assert len(line["example"]["activation"]) == len(line["example"]["tokens"])
    assert vowel["feature"] == "vowel" and vowel["units"][0]["unit"] != 0


def test_find_class_scores_each_class_of_a_classifier(tiny_corpora, tmp_path, capsys):
    run_dir = train(tmp_path / "runs", "names", "gru", "classify")
    found = inspect_json(capsys, str(run_dir), "--find", "class", "--best", "2")
    titles = [finding["feature"] for finding in found["find"]]
    assert titles == ["class English", "class Italian", "class Russian"]
    assert all(len(finding["units"]) == 2 for finding in found["find"])
    assert all(-1.0 <= unit["correlation"] <= 1.0 for finding in found["find"] for unit in finding["units"])
