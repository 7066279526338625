"""The set-up screen: forms from declarations, validation beside the field, configs in and out."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import choose, form, make_app, pilot_test, ready, wait_for
from engine_support import TINY_CELL
from rich.console import Console

from workbench.config import Compare, RunConfig


@pilot_test
async def test_bad_value_is_explained_beside_its_field_and_blocks_start(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        field = form(app, "cell", "lstm").field("hidden_size")
        field.control.focus()
        field.control.value = ""
        await pilot.press("minus", "3")
        await pilot.pause()
        message = str(field.query_one(".param-message").content)
        assert field.has_class("-invalid")
        assert "too small" in message and "minimum is 1" in message
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.board.tracks == []
        assert app.screen.id == "setup"
        field.control.value = "12"
        await pilot.pause()
        assert not field.has_class("-invalid")


@pilot_test
async def test_a_form_refuses_what_a_run_would_refuse_and_changes_nothing(app) -> None:
    from workbench.errors import ConfigError

    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        lstm = form(app, "cell", "lstm")
        with pytest.raises(ConfigError, match="cell 'lstm' has no parameter 'hiden_size'.*hidden_size"):
            lstm.load({"layers": 3, "hiden_size": 8})
        with pytest.raises(ConfigError, match="cell 'lstm'.layers = 0 is too small"):
            lstm.load({"layers": 0})
        assert lstm.field("layers").value == 2


@pilot_test
async def test_forms_follow_the_chosen_plugins_and_task_defaults(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        setup = app.setup_screen
        lstm = form(app, "cell", "lstm")
        assert lstm.field("bidirectional").value is True  # classify's preference
        assert lstm.field("hidden_size").value == 256  # the cell's own default: generate's is not kept
        lstm.field("layers").control.value = "3"  # a person's own value outlives a change of task
        await pilot.pause()
        setup.query_one("#task").value = "generate"
        await pilot.pause(0.3)
        assert lstm.field("bidirectional").value is False
        assert lstm.field("layers").value == 3
        generate = app.registry.get("task", "generate").cls
        for name, preferred in generate.cell_defaults.items():
            assert lstm.field(name).value == preferred
        train = form(app, "train", "train")
        for name, preferred in generate.train_defaults.items():
            assert train.field(name).value == preferred
        await choose(pilot, dataset="divina", task="generate", cells=("gru", "rnn-custom"))
        titles = [f.title for f in setup.query("ParamForm")]
        assert titles == ["dataset · divina", "task · generate", "cell · gru", "cell · rnn-custom",
                          "training", "study"]
        assert form(app, "task", "generate").field("seq_len").value == 64


@pilot_test
async def test_config_saved_from_the_form_loads_back(app, tmp_path: Path) -> None:
    path = tmp_path / "compare.toml"
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru", "lstm"), steps=42)
        setup = app.setup_screen
        setup.query_one("#config-path").value = str(path)
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = Compare.from_toml(path)
        assert saved.cells == ("gru", "lstm") and saved.base.train["steps"] == 42
        assert saved.base.plugin_options["gru"]["hidden_size"] == TINY_CELL["hidden_size"]

        await choose(pilot, cells=("rnn",), steps=7)
        await pilot.press("ctrl+o")
        await pilot.pause(0.5)
        assert setup.chosen_cells == ["gru", "lstm"]
        assert form(app, "train", "train").field("steps").value == 42
        assert setup.config().base.train["steps"] == 42


@pilot_test
async def test_bad_config_file_is_a_message_not_a_crash(app, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('dataset = "names"\ncell = "gru"\ntask = "classify"\n[train]\nstepz = 3\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.setup_screen.query_one("#config-path").value = str(path)
        await pilot.press("ctrl+o")
        await pilot.pause(0.3)
        messages = [n.message for n in app._notifications]
        assert any("stepz" in m for m in messages), messages
        assert app.screen.id == "setup"


@pilot_test
async def test_every_binding_of_the_screen_is_in_the_command_palette(app) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Start", "Load config", "Save config", "Help", "Go to Live", "Go to Runs"} <= titles
        await pilot.press("f1")
        console = Console(width=120, record=True)
        console.print(app.screen.query_one(".help-table").content)
        listed = console.export_text()
        assert "Pause/resume" in listed and "Add to compare" in listed and "ctrl+r" in listed
        await pilot.press("escape")
        assert app.screen.id == "setup"


@pilot_test
async def test_narrow_terminals_fold_the_help_under_the_focused_field(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        message = form(app, "train", "train").field("seed").query_one(".param-message")
        assert not app.has_class("-narrow") and message.display
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.has_class("-narrow") and not message.display
        form(app, "train", "train").field("seed").control.focus()
        await pilot.pause()
        assert message.display


@pilot_test
async def test_loggers_are_picked_in_the_form_and_travel_with_the_config(app, tmp_path: Path) -> None:
    path = tmp_path / "logged.toml"
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        setup = app.setup_screen
        picker = setup.query_one("#loggers")
        offered = [picker.get_option_at_index(i).value for i in range(picker.option_count)]
        assert offered == ["csv", "tensorboard"]  # jsonl is always on, so it is not a choice
        await choose(pilot, steps=5)
        picker.select("csv")
        await pilot.pause()
        assert setup.config().base.loggers == ["csv"]
        setup.query_one("#config-path").value = str(path)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert RunConfig.from_toml(path).loggers == ["csv"]

        picker.deselect_all()
        picker.select("tensorboard")
        await pilot.press("ctrl+o")
        await pilot.pause(0.5)
        assert setup.config().base.loggers == ["csv"]


@pilot_test
async def test_a_path_field_says_at_once_what_the_path_holds(app, tmp_path: Path) -> None:
    book = tmp_path / "book.txt"
    book.write_text("Call me Ishmael. " * 50 + "\n\n" + "Some years ago. " * 50, encoding="utf-8")
    latin = tmp_path / "latin1.txt"
    latin.write_bytes(b"caf\xe9\n")
    classes = tmp_path / "classes"
    classes.mkdir()
    (classes / "cat.txt").write_text("Tom\nFelix\n", encoding="utf-8")
    (classes / "dog.txt").write_text("Rex\nFido\n", encoding="utf-8")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert not app.setup_screen.query(".source-preview")  # names reads no path a person types
        await choose(pilot, dataset="text", task="generate")
        dataset = form(app, "dataset", "text")
        preview = dataset.query_one(".source-preview")

        async def shown(text: str) -> str:
            await wait_for(pilot, lambda: text in str(preview.content), f"the preview to say {text!r}")
            return str(preview.content)

        assert "text.path is not set" in await shown("not set")
        path = dataset.field("path")
        path.control.value = str(tmp_path / "nothing.txt")
        await shown("does not exist")
        assert preview.has_class("-invalid")
        path.control.value = str(latin)
        assert "offset 3 (line 1)" in await shown("is not UTF-8")
        path.control.value = str(book)
        assert await shown("found") == "found 1 file · 1,651 characters · 1 document"
        assert not preview.has_class("-invalid")
        dataset.field("documents").control.value = "blank_lines"  # every option counts
        await shown("2 documents")
        await choose(pilot, dataset="labelled", task="classify")
        labelled = form(app, "dataset", "labelled")
        labelled.field("path").control.value = str(classes)
        await wait_for(pilot, lambda: str(labelled.query_one(".source-preview").content)
                       == "found 2 files · 15 characters · 4 examples · 2 classes", "the labelled preview")

def _messages(app) -> list[str]:  # noqa: ANN001 - the app under test
    return [str(notification.message) for notification in app._notifications]


@pilot_test
async def test_a_config_with_any_mistake_changes_nothing(app, tmp_path: Path) -> None:
    path = tmp_path / "half.toml"
    path.write_text('dataset = "divina"\ntask = "generate"\ncells = ["gru", "rnn"]\n'
                    '[gru]\nlayers = 1\n[train]\nstepz = 3\nlearning_rate = "fast"\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        setup = app.setup_screen
        lstm = form(app, "cell", "lstm")
        lstm.field("hidden_size").control.value = "99"
        await pilot.pause()
        before = {key: dict(one.values()) for key, one in setup._forms.items()}
        setup.query_one("#config-path").value = str(path)
        await pilot.press("ctrl+o")
        await pilot.pause(0.5)
        assert any("Cannot" in str(n.title) and "stepz" in str(n.message) for n in app._notifications)
        assert (setup.query_one("#dataset").value, setup.query_one("#task").value) == ("names", "classify")
        assert setup.chosen_cells == ["lstm"]
        assert {key: dict(one.values()) for key, one in setup._forms.items()} == before


@pilot_test
async def test_a_config_replaces_the_whole_set_up_and_unset_options_return_to_defaults(
        app, tmp_path: Path) -> None:
    path = tmp_path / "lean.toml"
    path.write_text('dataset = "names"\ntask = "classify"\ncell = "lstm"\n[lstm]\nlayers = 1\n'
                    '[train]\nsteps = 9\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        setup = app.setup_screen
        default_hidden = form(app, "cell", "lstm").field("hidden_size").value
        form(app, "cell", "lstm").field("hidden_size").control.value = "99"
        form(app, "train", "train").field("seed").control.value = "5"
        await pilot.pause()
        setup.query_one("#config-path").value = str(path)
        await pilot.press("ctrl+o")
        await pilot.pause(0.5)
        assert f"Loaded {path}." in _messages(app)
        lstm, train = form(app, "cell", "lstm"), form(app, "train", "train")
        assert lstm.field("layers").value == 1 and train.field("steps").value == 9
        assert lstm.field("hidden_size").value == default_hidden
        assert train.field("seed").value == 0
        assert setup.config().base.plugin_options == {"lstm": {"layers": 1}}


@pilot_test
async def test_a_table_for_a_plugin_that_is_not_chosen_is_refused(app, tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text('dataset = "names"\ntask = "classify"\ncell = "gru"\n[trian]\nsteps = 3\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.setup_screen.query_one("#config-path").value = str(path)
        await pilot.press("ctrl+o")
        await pilot.pause(0.5)
        assert any("[trian]" in message for message in _messages(app)), _messages(app)
        assert app.setup_screen.chosen_cells == ["lstm"]


@pilot_test
async def test_enter_in_the_path_box_loads_and_save_asks_before_replacing(app, tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('dataset = "names"\ntask = "classify"\ncell = "gru"\n[train]\nsteps = 11\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        setup = app.setup_screen
        box = setup.query_one("#config-path")
        box.focus()
        box.value = str(path)
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert setup.chosen_cells == ["gru"] and form(app, "train", "train").field("steps").value == 11

        form(app, "train", "train").field("steps").control.value = "12"
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("n")
        assert RunConfig.from_toml(path).train["steps"] == 11
        await pilot.press("ctrl+s", "y")
        await pilot.pause()
        assert RunConfig.from_toml(path).train["steps"] == 12


@pilot_test
async def test_the_choices_offer_no_loading_entry_and_the_cell_list_marks_picked_cells(app) -> None:
    from textual.widgets._select import InvalidSelectValueError

    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        setup = app.setup_screen
        for select_id in ("#dataset", "#task"):
            select = setup.query_one(select_id)
            overlay = select.query_one("SelectOverlay")
            prompts = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
            assert "loading…" not in prompts and prompts
            with pytest.raises(InvalidSelectValueError):
                select.clear()
        cells = setup.query_one("#cells")
        rows = {cells.get_option_at_index(i).value: cells.render_line(i).text
                for i in range(cells.option_count)}
        assert "✓" in rows["lstm"] and "✓" not in rows["gru"]
        assert "X" not in rows["gru"]
        loggers = setup.query_one("#loggers")
        loggers.select("csv")
        await pilot.pause()
        ticked = {loggers.get_option_at_index(i).value: "✓" in loggers.render_line(i).text
                  for i in range(loggers.option_count)}
        assert ticked == {"csv": True, "tensorboard": False}


@pilot_test
async def test_the_focused_field_stands_out(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        lstm = form(app, "cell", "lstm")
        focused, other = lstm.field("layers"), lstm.field("dropout")
        focused.control.focus()
        await pilot.pause()
        assert focused.styles.background != other.styles.background
        assert focused.control.styles.background != other.control.styles.background
        name = focused.query_one(".param-name")
        assert name.styles.color != other.query_one(".param-name").styles.color
        assert name.styles.text_style.bold


@pilot_test
async def test_the_set_up_is_remembered_between_launches(tiny_corpora: Path, tmp_path: Path,
                                                        config_dir: Path) -> None:
    first = make_app(tmp_path / "runs")
    async with first.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, dataset="divina", task="generate", cells=("gru", "rnn"), steps=7)
        await pilot.press("ctrl+q")
    assert (config_dir / "last-setup.toml").is_file()

    second = make_app(tmp_path / "runs")
    async with second.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        setup = second.setup_screen
        await wait_for(pilot, lambda: setup.chosen_cells == ["gru", "rnn"], "the last set-up")
        await pilot.pause(0.3)
        assert (setup.query_one("#dataset").value, setup.query_one("#task").value) == ("divina", "generate")
        assert form(second, "train", "train").field("steps").value == 7
        assert form(second, "cell", "gru").field("hidden_size").value == TINY_CELL["hidden_size"]


@pilot_test
async def test_a_last_set_up_that_no_longer_fits_is_reported_and_the_defaults_stay(
        app, config_dir: Path) -> None:
    config_dir.mkdir()
    (config_dir / "last-setup.toml").write_text('dataset = "names"\ntask = "classify"\ncell = "gone"\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.pause(0.3)
        assert any("last set-up was not restored" in message for message in _messages(app))
        assert app.setup_screen.chosen_cells == ["lstm"]
