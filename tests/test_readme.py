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
    (block,) = fenced_blocks("toml")
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
