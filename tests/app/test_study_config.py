"""The study section and config files: a file's `[study]` table fills the section, saving writes it
back when the section asks for a study, the last set-up keeps it, and a bad table or a bad grid
line is a message, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from app_support import builtin_registry, choose, make_app, pilot_test, ready, wait_for

from workbench.app.study_form import FIELDS, StudyForm
from workbench.config import Compare
from workbench.errors import ConfigError
from workbench.studies.spec import build_spec, read_config_file, read_study_file

EXPERIMENT = """\
dataset = "names"
cells = ["gru", "rnn"]
task = "classify"

[train]
steps = 3

[cell]
hidden_size = 8
"""
STUDY = """
[study]
name = "names-sizes"
trials = 6
seeds = 2
workers = 2
sampler = "random"
pruner = "median"
pruner_startup = 2
heartbeat = 10

[study.grid]
train.batch_size = [8, 16]

[study.search]
train.learning_rate = { low = 0.0003, high = 0.01, log = true }
cell.hidden_size = { choices = [8, 16] }
"""
SHOWN_FIELDS = {"name": "names-sizes", "seeds": 2, "workers": 2, "trials": 6, "sampler": "random",
                "pruner": "median", "pruner_startup": 2, "heartbeat": 10}
SHOWN_GRID = "train.batch_size = [8, 16]\n"
SHOWN_SEARCH = ("train.learning_rate = { low = 0.0003, high = 0.01, log = true }\n"
                "cell.hidden_size = { choices = [8, 16] }\n")


async def study_form(pilot) -> StudyForm:  # noqa: ANN001 - the Pilot
    setup = pilot.app.setup_screen
    await wait_for(pilot, lambda: setup.query("#search-space"), "the study section")
    return setup.query_one(StudyForm)


def shown(study: StudyForm) -> tuple[dict[str, Any], str, str]:
    """What the section shows: its fields' values and the grid and search space as typed."""
    return (study.numbers.values(), study.query_one("#grid-values").text,
            study.query_one("#search-space").text)


def messages(app) -> list[str]:  # noqa: ANN001 - the app under test
    return [" ".join(str(notification.message).split()) for notification in app._notifications]


async def load(pilot, path: Path) -> None:  # noqa: ANN001 - the Pilot
    pilot.app.setup_screen.query_one("#config-path").value = str(path)
    await pilot.press("ctrl+o")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)


@pilot_test
async def test_a_config_file_with_a_study_table_fills_the_study_section(app, tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(EXPERIMENT + STUDY)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        study = await study_form(pilot)
        await load(pilot, path)
        assert f"Loaded {path}." in messages(app)
        setup = app.setup_screen
        assert setup.chosen_cells == ["gru", "rnn"]
        assert shown(study) == (SHOWN_FIELDS, SHOWN_GRID, SHOWN_SEARCH)
        assert not study.has_class("-invalid")
        declared = study.declare(app.registry, setup.config())
        assert declared is not None
        spec, workers = declared
        expected = build_spec(builtin_registry(), *read_study_file(path))
        assert workers == 2 and spec.to_json() == expected.to_json()
        assert spec.grid == {"cell": ["gru", "rnn"], "train.batch_size": [8, 16], "train.seed": [0, 1]}


@pilot_test
async def test_a_study_saved_from_the_config_box_loads_back_field_for_field(app, tmp_path: Path) -> None:
    path = tmp_path / "saved.toml"
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",))
        study = await study_form(pilot)
        numbers = study.numbers
        for name, value in {"name": "typed", "seeds": "3", "trials": "4", "sampler": "random",
                            "pruner_startup": "1"}.items():
            numbers.field(name).control.value = value
        study.query_one("#grid-values").text = 'train.batch_size = [4, 8]\ncell = ["gru", "lstm"]'
        study.query_one("#search-space").text = (
            "train.learning_rate = { low = 1e-4, high = 1e-2, log = true }\n"
            "cell.hidden_size = { low = 8, high = 32, step = 8 }")
        await pilot.pause()
        assert not study.has_class("-invalid")
        typed = (numbers.values(), study.request())
        setup = app.setup_screen
        setup.query_one("#config-path").value = str(path)
        await pilot.press("ctrl+s")
        await pilot.pause()
        experiment, request = read_config_file(path)
        assert request == typed[1] and experiment.to_dict() == setup.config().to_dict()
        assert request.grid == {"train.batch_size": [4, 8], "cell": ["gru", "lstm"]}
        assert '[study.search."train.learning_rate"]' in path.read_text()

        numbers.field("seeds").control.value = "1"
        numbers.field("sampler").control.value = "tpe"
        study.query_one("#grid-values").text = ""
        await pilot.pause()
        await load(pilot, path)
        assert (numbers.values(), study.request()) == typed
        assert shown(study)[1:] == ('train.batch_size = [4, 8]\ncell = ["gru", "lstm"]\n',
                                    "train.learning_rate = { low = 0.0001, high = 0.01, log = true }\n"
                                    "cell.hidden_size = { low = 8, high = 32, step = 8 }\n")


@pilot_test
async def test_plain_runs_save_no_study_table_and_load_back_with_the_section_at_its_defaults(
        app, tmp_path: Path) -> None:
    path = tmp_path / "plain.toml"
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru", "rnn"))
        study = await study_form(pilot)
        study.numbers.field("sampler").control.value = "random"  # not a study while nothing varies
        await pilot.pause()
        app.setup_screen.query_one("#config-path").value = str(path)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "[study" not in path.read_text()
        Compare.from_toml(path).resolve(builtin_registry())  # what `workbench run --config` reads

        study.numbers.field("seeds").control.value = "3"
        study.query_one("#grid-values").text = "train.batch_size = [8, 16]"
        await pilot.pause()
        await load(pilot, path)  # a config replaces the whole set-up: the section goes back to its defaults
        assert shown(study) == ({param.name: param.default for param in FIELDS}, "", "")


@pytest.mark.parametrize(("table", "expected"), [
    ("[study]\ntrails = 3\n", "[study] has no key 'trails'"),
    ('[study]\nsampler = "grid"\n', 'study.sampler = "grid" is not allowed: choose one of "tpe", "random"'),
    ("[study]\nworkers = 0\n", "study.workers = 0 is too small: the minimum is 1"),
    ('[study]\nname = 5\n', "study.name = 5 has the wrong type"),
    ("[study]\nseeds = [-1]\n", "give a count (seeds = 5 runs seeds 0 to 4) or a list of seeds"),
    ("[study]\ngrid = 5\n", "[study] grid = 5: grid is a table of parameters"),
    ("[study.search]\ntrain.learnin_rate = { low = 1e-4, high = 1e-2 }\n",
     "train has no parameter 'learnin_rate' (did you mean 'learning_rate'?)"),
    ("[study.search]\ntrain.learning_rate = { low = 0.1, high = 0.001 }\n",
     "the range 0.1 to 0.001 is empty or inverted"),
    ("[study]\nseeds = 2\n[study.grid]\ntrain.seed = [0, 1]\n", "say the same thing twice"),
])
@pilot_test
async def test_a_bad_study_table_is_a_message_and_changes_nothing(
    app, tmp_path: Path, table: str, expected: str  # noqa: ANN001 - the WorkbenchApp fixture
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(EXPERIMENT + table)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        study = await study_form(pilot)
        before = shown(study)
        await load(pilot, path)
        assert any(expected in message for message in messages(app)), messages(app)
        assert app.screen.id == "setup" and app.setup_screen.chosen_cells == ["lstm"]
        assert shown(study) == before


@pytest.mark.parametrize(("lines", "expected"), [
    ("train.batch_size = 32", "grid line 1: [study.grid] train.batch_size = 32: give a non-empty list"),
    ("cell = [gru, rnn]", "grid line 1: 'cell = [gru, rnn]' is not KEY = [VALUES]"),
    ("train.batch_size = [8]\n\ntrain.batch_size = [16]",
     "grid line 3: train.batch_size is listed on line 1 already"),
    ("train.batch_siz = [8, 16]", "train has no parameter 'batch_siz' (did you mean 'batch_size'?)"),
    ("train.seed = [3, 4]", "[study] seeds and a train.seed in the grid or search space say the same thing"),
])
@pilot_test
async def test_a_bad_grid_line_is_explained_under_the_grid_and_blocks_start(
    app, lines: str, expected: str  # noqa: ANN001 - the WorkbenchApp fixture
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",))
        study = await study_form(pilot)
        study.numbers.field("seeds").control.value = "2"
        study.query_one("#grid-values").text = lines
        await pilot.pause()
        grid_message = " ".join(str(study.query_one("#grid-message").content).split())
        assert study.has_class("-invalid") and expected in grid_message
        assert study.query_one("#grid-values").has_class("-invalid")
        assert not study.query_one("#search-space").has_class("-invalid")
        with pytest.raises(ConfigError):
            study.declare(app.registry, app.setup_screen.config())
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen.id == "setup" and app.queue.study is None and app.board.tracks == []
        study.query_one("#grid-values").text = "train.batch_size = [8, 16]"
        await pilot.pause()
        assert not study.has_class("-invalid") and not study.query_one("#grid-values").has_class("-invalid")


@pilot_test
async def test_the_study_section_is_remembered_between_launches(tiny_corpora: Path, tmp_path: Path,
                                                               config_dir: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(EXPERIMENT + STUDY)
    first = make_app(tmp_path / "runs")
    async with first.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await study_form(pilot)
        await load(pilot, path)
        await pilot.press("ctrl+q")
    assert "[study.grid]" in (config_dir / "last-setup.toml").read_text()

    second = make_app(tmp_path / "runs")
    async with second.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        study = await study_form(pilot)
        await wait_for(pilot, lambda: study.numbers.field("name").value == "names-sizes", "the last set-up")
        await pilot.pause(0.3)
        assert shown(study) == (SHOWN_FIELDS, SHOWN_GRID, SHOWN_SEARCH)
        assert second.setup_screen.chosen_cells == ["gru", "rnn"]


@pilot_test
async def test_study_fields_are_remembered_even_while_they_ask_for_plain_runs(
        tiny_corpora: Path, tmp_path: Path, config_dir: Path) -> None:
    first = make_app(tmp_path / "runs")
    async with first.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        study = await study_form(pilot)
        study.numbers.field("sampler").control.value = "random"
        await pilot.pause()
        await pilot.press("ctrl+q")

    second = make_app(tmp_path / "runs")
    async with second.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        study = await study_form(pilot)
        await wait_for(pilot, lambda: study.numbers.field("sampler").value == "random", "the last set-up")
        assert study.declare(second.registry, second.setup_screen.config()) is None
