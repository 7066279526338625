"""A study declaration written back: the `[study]` table of a config file, and the lines the app's
editors show, read back to what was written, in the same order."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.config import Compare, RunConfig
from workbench.errors import ConfigError
from workbench.studies.space import Dimension, grid_lines, parse_grid_lines, parse_search_lines, search_lines
from workbench.studies.spec import StudyRequest, config_file_text, read_config_file, read_study_file

GRID = {"train.batch_size": [8, 16], "cell": ["gru", "rnn"], "cell.layers": [1, 2]}
SPACE = [Dimension("train.learning_rate", low=1e-5, high=0.01, log=True),
         Dimension("cell.hidden_size", choices=(8, 16)),
         Dimension("cell.dropout", low=0.0, high=0.5, step=0.1),
         Dimension("gru.layers", low=1.0, high=3.0)]


def test_a_study_table_written_reads_back_to_the_same_request(tmp_path: Path) -> None:
    experiment = Compare(RunConfig(dataset="names", cell="gru", task="classify", train={"steps": 3}),
                         ("gru", "rnn"))
    request = StudyRequest(name="sizes", trials=7, seeds=[3, 5], sampler="random", pruner="median",
                           pruner_startup=2, heartbeat=9, workers=2, grid=GRID, space=SPACE)
    path = tmp_path / "study.toml"
    path.write_text(config_file_text(experiment, request))
    read_experiment, read_request = read_config_file(path)
    assert read_request == request and list(read_request.grid) == list(GRID)
    assert read_experiment.to_dict() == experiment.to_dict()
    assert read_study_file(path) == (read_experiment, request)


def test_a_config_without_a_study_table_reads_back_without_one(tmp_path: Path) -> None:
    experiment = Compare(RunConfig(dataset="names", cell="gru", task="classify"))
    path = tmp_path / "plain.toml"
    path.write_text(config_file_text(experiment, None))
    assert read_config_file(path) == (experiment, None)
    assert read_study_file(path)[1] == StudyRequest(name="plain")  # a study file is named after itself


def test_unset_settings_are_left_out_of_the_table() -> None:
    assert StudyRequest().to_table() == {"sampler": "tpe", "pruner": "none", "pruner_startup": 5,
                                         "heartbeat": 30, "workers": 1}


def test_the_editors_lines_read_back_to_the_same_grid_and_search_space() -> None:
    assert grid_lines(GRID) == ('train.batch_size = [8, 16]\ncell = ["gru", "rnn"]\n'
                                "cell.layers = [1, 2]\n")
    assert parse_grid_lines(grid_lines(GRID)) == GRID
    assert search_lines(SPACE) == ("train.learning_rate = { low = 1e-05, high = 0.01, log = true }\n"
                                   "cell.hidden_size = { choices = [8, 16] }\n"
                                   "cell.dropout = { low = 0, high = 0.5, step = 0.1 }\n"
                                   "gru.layers = { low = 1, high = 3 }\n")
    assert parse_search_lines(search_lines(SPACE)) == SPACE
    quoted = {"dataset.language": ['say "ciao"', "back\\slash"]}
    assert parse_grid_lines(grid_lines(quoted)) == quoted


def test_a_grid_line_that_is_not_a_list_names_its_line() -> None:
    with pytest.raises(ConfigError, match=r"grid line 2: \[study.grid\] train.steps = 5: give a non-empty"):
        parse_grid_lines("# steps\ntrain.steps = 5")
