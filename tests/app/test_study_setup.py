"""The set-up's study section: seeds, workers and a search space, checked as they are typed with
the `[study]` table's own rules, and refused at start with a message naming the field."""

from __future__ import annotations

import pytest
from app_support import choose, pilot_test, ready, wait_for

from workbench.app.study_form import StudyForm
from workbench.errors import ConfigError


async def study_form(pilot) -> StudyForm:  # noqa: ANN001 - the Pilot
    """The set-up's study section, once its fields are on screen."""
    setup = pilot.app.setup_screen
    await wait_for(pilot, lambda: setup.query("#search-space"), "the study section")
    return setup.query_one(StudyForm)


def message(widget) -> str:  # noqa: ANN001 - a ParamField or the StudyForm
    shown = widget.query_one("#search-message" if isinstance(widget, StudyForm) else ".param-message")
    return " ".join(str(shown.content).split())


@pilot_test
async def test_seeds_and_workers_are_checked_beside_their_fields_and_block_start(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        study = await study_form(pilot)
        seeds, workers = study.numbers.field("seeds"), study.numbers.field("workers")
        seeds.control.value = "0"
        workers.control.value = "two"
        await pilot.pause()
        assert seeds.has_class("-invalid")
        assert "study.seeds = 0 is too small: the minimum is 1" in message(seeds)
        assert workers.has_class("-invalid") and '"two" is not a valid int' in message(workers)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen.id == "setup" and app.queue.study is None and app.board.tracks == []
        seeds.control.value = "3"
        workers.control.value = "2"
        await pilot.pause()
        assert not seeds.has_class("-invalid") and not workers.has_class("-invalid")


@pytest.mark.parametrize(("lines", "expected"), [
    ("train.learnin_rate = { low = 1e-4, high = 1e-2 }",
     "train has no parameter 'learnin_rate' (did you mean 'learning_rate'?)"),
    ("cell.hiden_size = [8, 16]", "gru has no parameter 'hiden_size' (did you mean 'hidden_size'?)"),
    ("train.learning_rate = { low = 0.1, high = 0.001 }",
     "search space line 1: [study.search] train.learning_rate: the range 0.1 to 0.001 is empty or inverted"),
    ("train.learning_rate = { low = 0.0, high = 0.1, log = true }", "a log range needs positive bounds"),
    ("train.learning_rate = log(1e-4, 1e-2)", "search space line 1: 'train.learning_rate = log(1e-4, 1e-2)' "
                                              "is not KEY = RANGE or KEY = [CHOICES]"),
    ("# sizes\ncell.hidden_size = [8, 16]\ncell.hidden_size = [32]",
     "search space line 3: cell.hidden_size is searched on line 2 already"),
    ("train.optimizer = { low = 1, high = 2 }", "is a str, so it cannot take a range"),
])
@pilot_test
async def test_a_bad_search_space_is_explained_under_the_editor_and_blocks_start(
    app, lines: str, expected: str  # noqa: ANN001 - the WorkbenchApp fixture
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",))
        study = await study_form(pilot)
        study.query_one("#search-space").text = lines
        await pilot.pause()
        assert study.has_class("-invalid")
        assert expected in message(study)
        with pytest.raises(ConfigError, match="search space|study.search"):
            study.declare(app.registry, app.setup_screen.config())
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen.id == "setup" and app.queue.study is None and app.board.tracks == []


@pilot_test
async def test_a_search_space_typed_line_by_line_becomes_the_studys_dimensions(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru", "rnn"))
        study = await study_form(pilot)
        editor = study.query_one("#search-space")
        editor.focus()
        await pilot.press(*"cell.hidden_size = [8, 16", "enter")
        await pilot.pause()
        assert study.has_class("-invalid")  # half typed: the line is not yet a list
        editor.text = ("cell.hidden_size = [8, 16]\n"
                       "train.learning_rate = { low = 1e-4, high = 1e-2, log = true }")
        study.numbers.field("trials").control.value = "5"
        study.numbers.field("seeds").control.value = "2"
        await pilot.pause()
        assert not study.has_class("-invalid")
        declared = study.declare(app.registry, app.setup_screen.config())
        assert declared is not None
        spec, workers = declared
        assert spec.trials == 5 and workers == 1
        assert [(d.key, d.choices, d.log) for d in spec.space] == [
            ("cell.hidden_size", (8, 16), False), ("train.learning_rate", None, True)]
        assert spec.grid == {"cell": ["gru", "rnn"], "train.seed": [0, 1]}


@pilot_test
async def test_one_seed_one_worker_and_no_search_space_train_plain_runs(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru", "rnn"))
        study = await study_form(pilot)
        assert study.declare(app.registry, app.setup_screen.config()) is None
        study.numbers.field("workers").control.value = "2"
        await pilot.pause()
        declared = study.declare(app.registry, app.setup_screen.config())
        assert declared is not None
        spec, workers = declared
        assert spec.grid == {"cell": ["gru", "rnn"]} and spec.trials == 2 and workers == 2
