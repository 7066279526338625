"""The README's promises: its config example is valid and CI runs exactly its test command."""

import re
from pathlib import Path

from workbench.config import RunConfig
from workbench.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_config_example_resolves_against_the_installed_plugins(tmp_path):
    block = next(block for block in fenced_blocks("toml") if "[study]" not in block)
    path = tmp_path / "run.toml"
    path.write_text(block, encoding="utf-8")
    config = RunConfig.from_toml(path)
    assert config.cells == ["rnn", "lstm", "gru"]
    for single in config.per_cell():
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
