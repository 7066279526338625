"""Run configs: TOML in and out, overrides, and validation before any data loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workbench.config import TRAIN_PARAMS, Compare, RunConfig
from workbench.datasets import Dataset
from workbench.errors import ConfigError
from workbench.hookspecs import hookimpl
from workbench.params import declaration_problems
from workbench.registry import default_registry, load_registry

GOOD = """
dataset = "names"
cells = ["gru", "lstm"]
task = "classify"

[train]
steps = 50
learning_rate = 0.01

[cell]
hidden_size = 32

[gru]
layers = 1

[names]
lowercase = true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_train_params_are_well_declared() -> None:
    assert declaration_problems(TRAIN_PARAMS) == []
    names = {param.name for param in TRAIN_PARAMS}
    assert {"seed", "device", "optimizer", "schedule", "grad_clip", "epochs", "steps", "time_budget",
            "eval_every", "sample_every", "patience", "warmup_steps", "momentum"} <= names


def test_toml_layout_reads_and_writes_back(tmp_path: Path) -> None:
    compare = Compare.from_toml(write(tmp_path, GOOD))
    assert compare.cells == ("gru", "lstm") and compare.base.cell == "gru"
    assert compare.base.cell_options == {"hidden_size": 32}
    assert compare.base.plugin_options == {"gru": {"layers": 1}}
    assert compare.base.dataset_options == {"lowercase": True}
    assert Compare.from_toml(write(tmp_path, compare.to_toml())) == compare


def test_a_compare_yields_one_config_per_cell_and_is_no_single_run(tmp_path: Path) -> None:
    compare = Compare.from_toml(write(tmp_path, GOOD))
    assert [config.cell for config in compare.configs()] == ["gru", "lstm"]
    assert {config.dataset for config in compare.configs()} == {"names"}
    assert Compare(RunConfig("names", "gru", "classify"), ("lstm", "rnn")).base.cell == "lstm"
    assert Compare(RunConfig("names", "gru", "classify")).cells == ("gru",)
    with pytest.raises(ConfigError, match="compares the cells gru, lstm, but one run has one cell"):
        RunConfig.from_toml(write(tmp_path, GOOD))
    one = Compare.from_toml(write(tmp_path, 'dataset = "names"\ncells = ["gru"]\ntask = "classify"\n'))
    assert RunConfig.from_toml(write(tmp_path, one.to_toml())) == one.base
    lstm = compare.apply_overrides(["lstm.layers=3"]).configs()[1]
    assert lstm.resolve(default_registry()).cell_options["layers"] == 3


def test_a_written_config_reads_back_equal_whatever_its_values_hold(tmp_path: Path) -> None:
    config = RunConfig(
        "text", "rnn.v2", "generate",  # a name that is no bare TOML key
        dataset_options={"path": 'C:\\corpora\\"Dante"\n«Inferno» \t ☃', "lowercase": True},
        cell_options={"hidden_size": 8, "dropout": 0.25, "nonlinearity": "relu"},
        task_options={"temperature": 1e-05, "prompt": "nel mezzo # not a comment"},
        train={"steps": 3, "time_budget": float("inf"), "learning_rate": 3e-3},
        loggers=["csv", "tensorboard"],
    )
    text = config.to_toml()
    assert RunConfig.from_toml(write(tmp_path, text)) == config


def test_resolve_applies_task_defaults_under_the_persons_values(tmp_path: Path) -> None:
    registry = default_registry()
    gru, lstm = Compare.from_toml(write(tmp_path, GOOD)).configs()
    resolved = gru.resolve(registry)
    assert resolved.cell_options["hidden_size"] == 32 and resolved.cell_options["layers"] == 1
    assert resolved.cell_options["bidirectional"] is True  # classify's cell default
    assert resolved.train["learning_rate"] == 0.01  # the person's value beats the task default
    assert resolved.train["batch_size"] == registry.get("task", "classify").cls.train_defaults["batch_size"]
    assert lstm.resolve(registry).cell_options["layers"] == 2  # gru.layers is gru's only
    written = resolved.as_config()
    assert RunConfig.from_dict(written.to_dict()).resolve(registry) == written.resolve(registry)


def test_every_cell_gets_the_generate_recipe_unless_the_person_sets_it() -> None:
    """The measured recipe: 2 × 384 units, dropout 0.25, 64-character stateful windows, 3e-3 cosine."""
    registry = default_registry()
    for cell in ("rnn", "lstm", "gru", "rnn-custom", "lstm-custom", "gru-custom"):
        config = RunConfig(dataset="divina", cell=cell, task="generate", train={"time_budget": 600})
        resolved = config.resolve(registry)
        size = (resolved.cell_options[name] for name in ("hidden_size", "layers", "dropout"))
        assert tuple(size) == (384, 2, 0.25)
        assert (resolved.task_options["seq_len"], resolved.task_options["stateful"]) == (64, True)
        train = resolved.train
        assert (train["learning_rate"], train["batch_size"], train["schedule"]) == (3e-3, 64, "cosine")
    own = RunConfig(dataset="divina", cell="gru", task="generate", cell_options={"hidden_size": 128},
                    task_options={"seq_len": 128}).resolve(registry)
    assert (own.cell_options["hidden_size"], own.cell_options["dropout"], own.task_options["seq_len"]) == (
        128, 0.25, 128)
    classify = RunConfig(dataset="names", cell="gru", task="classify").resolve(registry)
    assert (classify.cell_options["hidden_size"], classify.cell_options["dropout"]) == (256, 0.0)


@pytest.mark.parametrize(("given", "bounds"), [
    ({}, (8, 0, 0.0)),  # generate's own bound
    ({"steps": 30}, (0, 30, 0.0)),
    ({"time_budget": 600}, (0, 0, 600.0)),
    ({"epochs": 3, "steps": 30}, (3, 30, 0.0)),  # bounds given together all apply
    ({"steps": "30", "time_budget": 60.0}, (0, 30, 60.0)),
])
def test_a_bound_given_explicitly_replaces_the_tasks_default_bounds(
    given: dict[str, Any], bounds: tuple[int, int, float]
) -> None:
    config = RunConfig(dataset="divina", cell="gru", task="generate", train=given)
    train = config.resolve(default_registry()).train
    assert (train["epochs"], train["steps"], train["time_budget"]) == bounds
    assert train["learning_rate"] == 3e-3 and train["schedule"] == "cosine"  # other defaults stay


def test_giving_only_a_zero_bound_leaves_the_run_without_an_end() -> None:
    config = RunConfig(dataset="divina", cell="gru", task="generate", train={"epochs": 0})
    with pytest.raises(ConfigError, match="The run has no end"):
        config.resolve(default_registry())


def test_overrides_by_kind_and_by_plugin_name() -> None:
    config = RunConfig("names", "gru", "classify").apply_overrides(
        ["cell.hidden_size=128", "gru.layers=3", "train.steps=10", "classify.embedding_size=16"]
    )
    resolved = config.resolve(default_registry())
    assert resolved.cell_options["hidden_size"] == 128 and resolved.cell_options["layers"] == 3
    assert resolved.train["steps"] == 10 and resolved.task_options["embedding_size"] == 16


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["cell.hidden_size=-4"], "too small"),
        (["cell.hidden_size=lots"], "not a valid int"),
        (["cell.hiden_size=4"], "no parameter 'hiden_size'.*hidden_size"),
        (["train.optimizer=adam"], 'choose one of "adamw", "sgd"'),
        (["train.stepz=3"], "train has no parameter 'stepz'"),
        (["lstm.layers=1"], "unknown section 'lstm'"),
        (["steps=3"], "section.key=value"),
        (["train.epochs=0"], "no end"),
    ],
)
def test_bad_values_name_the_field_and_the_fix(overrides: list[str], message: str) -> None:
    config = RunConfig("names", "gru", "classify")  # classify's defaults bound the run by epochs
    with pytest.raises(ConfigError, match=message):
        config.apply_overrides(overrides).resolve(default_registry())


def test_unknown_plugin_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="no cell named 'gruu'.*gru, gru-custom"):
        RunConfig("names", "gruu", "classify").resolve(default_registry())


def test_task_and_dataset_must_fit() -> None:
    class TextOnly(Dataset):
        name = "text-only"
        description = "Serves generation only."
        forms = ("generation",)

    class Plugin:
        @hookimpl
        def register_datasets(self, register: Any) -> None:
            register(TextOnly)

    registry = load_registry(extra=[("tests", Plugin())])
    with pytest.raises(ConfigError, match="needs classification data but dataset .text-only."):
        RunConfig("text-only", "gru", "classify", train={"steps": 1}).resolve(registry)


def test_malformed_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'dataset = "names"\ncell = "gru"\ntask = classify\n')
    with pytest.raises(ConfigError, match=r"run\.toml is not valid TOML.*line 3"):
        RunConfig.from_toml(path)


def test_a_config_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_bytes(b'dataset = "names"\ncell = "gru"\n\xff\xfe\x00binary')
    with pytest.raises(ConfigError, match=r"run\.toml is not a UTF-8 text file: byte 0xff .*line 3"):
        RunConfig.from_toml(path)


def test_missing_plugin_choice_and_unknown_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no task chosen"):
        RunConfig.from_toml(write(tmp_path, 'dataset = "names"\ncell = "gru"\n'))
    with pytest.raises(ConfigError, match="unknown top-level key 'epochs'"):
        RunConfig.from_toml(write(tmp_path, 'dataset = "names"\ncell = "gru"\ntask = "x"\nepochs = 3\n'))
    with pytest.raises(ConfigError, match="Cannot read config file"):
        RunConfig.from_toml(tmp_path / "absent.toml")


def test_a_table_may_name_its_plugin(tmp_path: Path) -> None:
    text = '[dataset]\nname = "divina"\nlowercase = true\n[cell]\nname = "lstm"\n[task]\nname = "generate"\n'
    config = RunConfig.from_toml(write(tmp_path, text))
    assert (config.dataset, config.cell, config.task) == ("divina", "lstm", "generate")
    assert config.dataset_options == {"lowercase": True}


def test_every_run_of_a_config_is_checked_and_every_table_must_name_a_chosen_plugin(tmp_path: Path) -> None:
    registry = default_registry()
    stray = Compare.from_toml(write(tmp_path, 'dataset = "names"\ncell = "gru"\ntask = "classify"\n'
                                              '[trian]\nsteps = 3\n'))
    with pytest.raises(ConfigError, match=r"table \[trian\].*no chosen plugin"):
        stray.resolve(registry)
    compare = Compare(RunConfig("names", "gru", "classify", train={"steps": 2},
                                plugin_options={"lstm": {"layers": 0}}), ("gru", "lstm"))
    with pytest.raises(ConfigError, match="layers"):  # the second cell's mistake, before any run
        compare.resolve(registry)
    fine = Compare(RunConfig("names", "gru", "classify", train={"steps": 2},
                             plugin_options={"lstm": {"layers": 1}}), ("gru", "lstm"))
    assert [resolved.cell.name for resolved in fine.resolve(registry)] == ["gru", "lstm"]
