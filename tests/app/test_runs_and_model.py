"""Past runs from disk, and using a trained model: classify a typed name, generate from a prompt."""

from __future__ import annotations

from pathlib import Path

from app_support import choose, pilot_test, press_while_training, ready, run_to_end, wait_for
from engine_support import killed_run, logged_steps
from rich.text import Text

from workbench.app.chart import LineChart
from workbench.config import RunConfig
from workbench.engine.state import saved_step
from workbench.engine.trained import load_trained
from workbench.runs.atomic import atomic_write
from workbench.runs.directory import CONFIG_FILE


@pilot_test
async def test_open_a_past_run_add_it_to_the_comparison_and_classify_with_it(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",))
        await run_to_end(pilot)
        live_track = app.board.tracks[0]
        await pilot.press("c")
        assert app.board.tracks == []

        await pilot.press("f4")
        runs = app.screen
        await wait_for(pilot, lambda: runs.opened is not None, "the run to open")
        assert runs.records[0].summary.run_id == live_track.run_id
        assert runs.query_one("#runs-table").row_count == 1
        assert runs.opened.train == live_track.train
        assert runs.opened.validation == live_track.validation
        assert runs.query_one("#run-chart", LineChart).series[0].points == live_track.train

        await pilot.press("a")
        await pilot.press("a")  # a second time adds no duplicate
        assert [track.run_id for track in app.board.tracks] == [live_track.run_id]
        assert app.board.tracks[0].summary == live_track.summary

        await pilot.press("r")  # the run completed: there is nothing to resume
        await pilot.pause()
        assert len(app.board.tracks) == 1 and not app.queue.busy
        notes = [note.message for note in app._notifications]
        assert any("already complete (completed after 6 steps)" in note for note in notes), notes

        await pilot.press("u")
        model = app.screen
        await wait_for(pilot, lambda: model.trained is not None, "the model to load")
        await pilot.press(*"Rossi")
        predictions = model.query_one("#predictions")
        await wait_for(pilot, lambda: "%" in _text(predictions), "predictions")
        shown = _text(predictions)
        assert sum(language in shown for language in ("English", "Italian", "Russian")) == 3


@pilot_test
async def test_generate_streams_text_from_a_prompt(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, dataset="divina", task="generate", cells=("gru",), steps=4, eval_every=2)
        await run_to_end(pilot)
        assert app.board.tracks[0].state == "completed", app.board.tracks[0].log
        app.use_model(app.board.tracks[0].run_dir)
        model = app.model_screen
        await wait_for(pilot, lambda: model.trained is not None, "the model to load")
        assert model.query_one("#model-panes").current == "generate-pane"
        model.query_one("#option-length").set_value(12)
        model.query_one("#option-seed").set_value(7)
        model.query_one("#prompt").focus()
        await pilot.press(*"Nel", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # A seeded draw from the same weights, outside the app, is what the pane must show.
        expected = "".join(load_trained(app.board.tracks[0].run_dir).sample("Nel", 12, 0.8, 0, 7))
        assert model.generated_text.plain == "Nel" + expected
        assert _text(model.query_one("#generated")).startswith("Nel" + expected)

        temperature = model.query_one("#option-temperature")
        temperature.set_value(0)  # greedy, as in the generate task's own settings
        assert not temperature.has_class("-invalid")
        greedy = []
        for seed in (1, 2):
            model.query_one("#option-seed").set_value(seed)
            await pilot.press("ctrl+g")
            await app.workers.wait_for_complete()
            await pilot.pause()
            greedy.append(model.generated_text.plain)
        likeliest = "".join(load_trained(app.board.tracks[0].run_dir).sample("Nel", 12, 0.0, 0, 5))
        assert greedy == ["Nel" + likeliest] * 2


@pilot_test
async def test_bad_sampling_option_is_refused_beside_its_field(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f5")
        field = app.model_screen.query_one("#option-temperature")
        field.set_value("hot")
        await pilot.pause()
        assert field.has_class("-invalid")
        assert "not a valid float" in str(field.query_one(".param-message").content)


@pilot_test
async def test_an_interrupted_run_is_shown_so_and_resumes_with_r(app, tiny_corpora: Path) -> None:
    run_dir = killed_run(app.runs_dir, tiny_corpora)
    checkpoint = saved_step(run_dir)
    config = RunConfig.from_toml(run_dir / CONFIG_FILE)
    config.train["steps"] = max(logged_steps(run_dir)) + 2  # so that the resumed run ends soon
    atomic_write(run_dir / CONFIG_FILE, config.to_toml().encode("utf-8"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f4")
        runs = app.screen
        await wait_for(pilot, lambda: runs.opened is not None, "the run to open")
        assert runs.records[0].summary.status == "interrupted"
        assert "r resumes it from its last checkpoint" in _text(runs.query_one("#run-summary"))
        await pilot.press("r")
        await wait_for(pilot, lambda: app.board.tracks and not app.queue.busy, "the resumed run")
        (resumed,) = app.board.tracks
        assert resumed.state == "completed", resumed.log
        assert any(f"resumed from step {checkpoint}" in line for line in resumed.log), resumed.log
    assert logged_steps(run_dir) == list(range(1, config.train["steps"] + 1))


@pilot_test
async def test_messages_are_shown_as_written_never_as_markup(app) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        message = "Cannot resume x[/]: only [train] settings may change on resume, not [bold]cell[/bold]."
        app.screen.notify(message, title="Cannot resume [run]", severity="error")
        await wait_for(pilot, lambda: app.screen.query("Toast"), "the toast")
        (toast,) = app.screen.query("Toast")
        assert toast.render().plain == "Cannot resume [run]\n" + message


def _text(widget) -> str:  # noqa: ANN001 - any Static
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(widget.content)
    return console.export_text()


@pilot_test
async def test_a_resumed_run_draws_its_whole_history(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",), steps=100000, epochs=0, eval_every=2)
        await pilot.press("ctrl+r")
        first = app.board.tracks[0]
        await wait_for(pilot, lambda: first.step >= 4, "training to start")
        await press_while_training(pilot, "x")
        await wait_for(pilot, lambda: first.finished, "the stop")
        stopped_at = first.step

        await pilot.press("f4")
        runs = app.screen
        await wait_for(pilot, lambda: runs.opened is not None, "the run to open")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.board.tracks[0] is not first
                       and app.board.tracks[0].step >= stopped_at + 3, "the resumed run to train")
        resumed = app.board.tracks[0]
        await press_while_training(pilot, "x")
        await wait_for(pilot, lambda: resumed.finished, "the second stop")
        assert len(app.board.tracks) == 1
        steps = [step for step, _ in resumed.train]
        assert steps == list(range(1, resumed.step + 1))
        assert resumed.train[:stopped_at] == first.train
        assert [step for step, _ in resumed.validation][:len(first.validation)] == \
            [step for step, _ in first.validation]
        chart = app.live_screen.query_one("#loss-chart", LineChart)
        assert [x for x, _ in chart.series[0].points][:3] == [1, 2, 3]


@pilot_test
async def test_characters_the_model_cannot_read_are_marked_and_named(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",))
        await run_to_end(pilot)
        app.use_model(app.board.tracks[0].run_dir)
        model = app.model_screen
        await wait_for(pilot, lambda: model.trained is not None, "the model to load")
        predictions, warning = model.query_one("#predictions"), model.query_one("#name-warning")
        assert "Type a name" in _text(predictions) and _text(warning).strip() == ""

        await pilot.press(*"Ro9")
        typed = model.query_one("#name-input")
        await wait_for(pilot, lambda: "%" in _text(predictions), "predictions")
        assert "'9'" in _text(warning) and "'R'" not in _text(warning)
        marked = typed.highlighter(Text(typed.value))
        assert [(span.start, span.end) for span in marked.spans] == [(2, 3)]

        typed.value = "99"
        await pilot.pause(0.3)
        assert "%" not in _text(predictions) and "none of these characters" in _text(predictions)
        assert "'9'" in _text(warning)
        typed.value = ""
        await pilot.pause(0.3)
        assert "Type a name" in _text(predictions) and _text(warning).strip() == ""
