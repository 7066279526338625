"""Bad study declarations: each is refused before anything trains, with a message naming the fix."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import pytest
from study_support import write_study

from workbench.cli import main
from workbench.errors import ConfigError
from workbench.studies import pool


def study_run(tmp_path: Path, study: str, *flags: str) -> int:
    path = write_study(tmp_path / "study.toml", study)
    return main(["study", "run", str(path), "--runs-dir", str(tmp_path / "runs"), *flags])


@pytest.mark.parametrize(("study", "expected"), [
    ("[study.search]\ntrain.learnin_rate = { low = 0.001, high = 0.1 }\n",
     "train.learnin_rate: train has no parameter 'learnin_rate' (did you mean 'learning_rate'?)"),
    ("[study.search]\ncell.hiden_size = { choices = [8, 16] }\n",
     "gru has no parameter 'hiden_size' (did you mean 'hidden_size'?)"),
    ("[study.search]\nmodel.size = { choices = [8, 16] }\n", "unknown section 'model'"),
    ("[study.grid]\nlearning_rate = [0.1, 0.01]\n", "'learning_rate' is not a parameter name"),
    ("[study.search]\ntrain.learning_rate = { low = 0.01, high = 0.01 }\n",
     "the range 0.01 to 0.01 is empty or inverted"),
    ("[study.search]\ntrain.learning_rate = { low = 0.1, high = 0.001 }\n",
     "the range 0.1 to 0.001 is empty or inverted"),
    ("[study.search]\ntrain.learning_rate = { low = 0.0, high = 0.1, log = true }\n",
     "a log range needs positive bounds, and low = 0.0"),
    ("[study.search]\ntrain.learning_rate = { low = -1.0, high = 0.1 }\n",
     "[study.search] train.learning_rate = -1.0 is too small"),
    ("[study.search]\ntrain.optimizer = { low = 1, high = 2 }\n", "is a str, so it cannot take a range"),
    ("[study.search]\ncell.hidden_size = { choices = [] }\n", "choices must be a non-empty list"),
    ("[study.grid]\ncell = [\"gru\", \"grru\"]\n", "There is no cell named 'grru'"),
    ("[study.grid]\ntrain.batch_size = []\n", "give a non-empty list of values"),
    ("[study]\ntrails = 3\n", "[study] has no key 'trails'"),
    ("[study]\ngrid = 5\n", "[study] grid = 5: grid is a table of parameters"),
    ('[study]\nsearch = ["train.learning_rate"]\n', "search is a table of parameters, written under a "
                                                    "[study.search] heading"),
    ("[study]\nsampler = \"cmaes\"\n",
     'study.sampler = "cmaes" is not allowed: choose one of "tpe", "random"'),
])
def test_a_bad_declaration_exits_2_naming_the_field(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture, study: str, expected: str
) -> None:
    assert study_run(tmp_path, study) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert expected in error, error
    assert not (tmp_path / "runs").exists(), "nothing may be created for a bad declaration"


def test_bad_search_and_grid_flags_exit_2(tiny_corpora: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    def error() -> str:
        return " ".join(capsys.readouterr().err.split())

    assert study_run(tmp_path, "", "--search", "train.learning_rate=0.1..0.001:log") == 2
    assert "the range 0.1 to 0.001 is empty or inverted" in error()
    assert study_run(tmp_path, "", "--search", "train.learning_rate=0.0..0.1:log") == 2
    assert "log range needs positive bounds" in error()
    assert study_run(tmp_path, "", "--search", "train.learning_rate") == 2
    assert "is not of the form KEY=VALUES" in error()
    assert study_run(tmp_path, "", "--grid", "cell=gru,nope") == 2
    assert "There is no cell named 'nope'" in error()
    assert study_run(tmp_path, "", "--workers", "0") == 2
    assert "workers = 0" in error()


def test_more_workers_than_cores_is_a_warning_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "cpu_cores", lambda: 2)
    assert pool.oversubscription_warning(2) is None
    warning = pool.oversubscription_warning(3)
    assert warning is not None and "3 workers on 2 CPU cores" in warning and "--workers 2 or fewer" in warning
    assert [pool.threads_per_worker(workers) for workers in (1, 2, 3)] == [2, 1, 1]


def test_a_storage_that_does_not_answer_is_an_error_within_10_seconds(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never speaks: a hung server
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://workbench:secret@127.0.0.1:{silent.getsockname()[1]}/studies"
        started = time.monotonic()
        assert study_run(tmp_path, "", "--storage", url) == 2
        assert time.monotonic() - started < 10
    error = " ".join(capsys.readouterr().err.split())
    assert "Cannot reach the study storage" in error and "secret" not in error
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, not listening: connections are refused
        assert study_run(tmp_path, "", "--storage", f"postgresql://workbench@127.0.0.1:{port}/studies") == 2
    assert "Cannot reach the study storage" in capsys.readouterr().err
    assert study_run(tmp_path, "", "--storage", "not a url") == 2
    assert "is not a database URL" in capsys.readouterr().err


def test_an_existing_study_declared_differently_is_refused(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = write_study(tmp_path / "study.toml", "[study]\nname = \"same\"\nseeds = 2\n")
    runs = ["--runs-dir", str(tmp_path / "runs")]
    assert main(["study", "create", str(path), *runs]) == 0
    assert main(["study", "create", str(path), *runs]) == 0, "the same declaration again is fine"
    capsys.readouterr()
    assert main(["study", "create", str(path), *runs, "--seeds", "3", "--set", "train.steps=5"]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "A study named 'same' already exists and was declared differently" in error
    assert "grid.train.seed is [0, 1, 2] here but [0, 1] in the stored study" in error
    assert "base.train.steps is 5 here but 4" in error and "another name" in error


def test_without_the_studies_extra_the_error_names_the_install_command(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)  # as if it were not installed: importing it fails
    code = main(["run", "--dataset", "names", "--task", "classify", "--cell", "gru", "--seeds", "2",
                 "--steps", "2", "--runs-dir", str(tmp_path / "runs")])
    assert code == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "need optuna, which is not installed" in error and 'pip install -e ".[studies]"' in error
    assert not list((tmp_path / "runs").glob("*/summary.json")), "nothing trains without the extra"


def test_an_unknown_study_is_an_error_naming_the_studies_there(
    tiny_corpora: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = write_study(tmp_path / "study.toml", "[study]\nname = \"known\"\nseeds = 2\n")
    runs = ["--runs-dir", str(tmp_path / "runs")]
    assert main(["study", "create", str(path), *runs]) == 0
    capsys.readouterr()
    assert main(["study", "show", "unknown", *runs]) == 2
    assert "There is no study named 'unknown' in this storage (studies there: known)" in " ".join(
        capsys.readouterr().err.split())
    assert main(["study", "worker", "--study", "unknown", *runs]) == 2
    assert main(["study", "list", *runs, "--json"]) == 0
    assert [study["name"] for study in json.loads(capsys.readouterr().out)] == ["known"]


def test_a_plain_list_is_a_searched_parameters_choices_in_a_file_and_in_typed_lines() -> None:
    from workbench.studies.space import Dimension, parse_search, parse_search_lines

    choices = Dimension("cell.hidden_size", choices=(8, 16))
    assert parse_search({"cell": {"hidden_size": [8, 16]}}) == [choices]
    typed = parse_search_lines("# a comment\n\ncell.hidden_size = [8, 16]\n"
                               "train.learning_rate = { low = 1e-4, high = 1e-2, log = true }\n")
    assert typed == [choices, Dimension("train.learning_rate", low=1e-4, high=1e-2, log=True)]
    with pytest.raises(ConfigError, match="search space line 2: .* is not KEY = RANGE"):
        parse_search_lines("cell.hidden_size = [8]\ntrain.learning_rate = 1e-4..1e-2")
