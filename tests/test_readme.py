"""The README's promises: its config example is valid and CI runs exactly its test command."""

import re
import shlex
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.config import Compare
from workbench.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_config_example_resolves_against_the_installed_plugins(tmp_path):
    block = next(block for block in fenced_blocks("toml") if "[study]" not in block)
    path = tmp_path / "run.toml"
    path.write_text(block, encoding="utf-8")
    compare = Compare.from_toml(path)
    assert compare.cells == ("rnn", "lstm", "gru")
    for single in compare.configs():
        resolved = single.resolve(default_registry())
        assert resolved.dataset_options["lowercase"] is True
        assert resolved.cell_options["hidden_size"] == 256
        assert resolved.train["time_budget"] == 300


def test_ci_runs_the_test_command_the_readme_gives():
    test_command = next(block.strip() for block in fenced_blocks("bash") if "pytest" in block)
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines


def test_the_study_example_declares_a_valid_study(tmp_path):
    from workbench.studies.spec import build_spec, read_study_file

    (block,) = [block for block in fenced_blocks("toml") if "[study]" in block]
    path = tmp_path / "study.toml"
    path.write_text(block, encoding="utf-8")
    config, request = read_study_file(path)
    spec = build_spec(default_registry(), config, request)
    assert (spec.name, spec.trials, spec.pruner) == ("gru-divina-search", 20, "median")
    assert spec.direction == "minimize" and spec.grid == {"train.batch_size": [32, 64]}
    assert [(d.key, d.log, d.choices) for d in spec.space] == [
        ("train.learning_rate", True, None), ("cell.hidden_size", False, (128, 256, 512))]


OWN_DATA = [line.split("  #")[0].strip() for block in fenced_blocks("bash") for line in block.splitlines()
            if "check_corpus/" in line]


def test_the_own_data_examples_name_the_shipped_corpora():
    assert len(OWN_DATA) == 4 and sum("--dataset labelled" in line for line in OWN_DATA) == 1


@pytest.mark.parametrize("command", OWN_DATA)
def test_the_own_data_examples_run_as_written(command, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the sample paths are relative to a clone
    arguments = shlex.split(command)[1:]
    if arguments[0] == "run":
        arguments += ["--steps", "2", "--set", "cell.hidden_size=8", "--set", "cell.layers=1",
                      "--runs-dir", str(tmp_path / "runs"), "--json"]
    assert main(arguments) == 0, command
