"""The Inspect screen: reached from Runs and Model, a cursor along the text, layer, direction and probe
keys, a second run beside the first, and a run read again at every new checkpoint."""

from __future__ import annotations

from pathlib import Path

import torch
from app_support import choose, make_app, pilot_test, ready, run_to_end, wait_for
from engine_support import TINY_CELL
from inspect_support import seeded_run
from textual.widgets import Input, Select

from workbench.app.inspect_screen import InspectScreen


def pane_text(screen: InspectScreen, side: str = "left") -> str:
    picture = screen.pane(side).picture(screen.view)
    lines = getattr(picture, "renderables", [picture])
    return "\n".join(line.plain for line in lines)


async def open_inspect(pilot, run_dir: Path, text: str | None = None) -> InspectScreen:  # noqa: ANN001
    pilot.app.inspect_run(run_dir, text)
    screen = pilot.app.inspect_screen
    await wait_for(pilot, lambda: pilot.app.screen is screen and screen.is_mounted, "the Inspect screen")
    return screen


@pilot_test
async def test_a_run_opened_from_the_runs_screen_reads_typed_text(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",))
        await run_to_end(pilot)
        await pilot.press("f4")
        runs = app.screen
        await wait_for(pilot, lambda: runs.opened is not None, "the run to open")
        await pilot.press("i")
        screen = app.inspect_screen
        await wait_for(pilot, lambda: app.screen is screen and "left" in screen.sources, "the run chosen")
        assert screen.query_one("#inspect-left", Select).value == str(runs.selected.run_dir)
        screen.query_one("#inspect-text", Input).focus()
        await pilot.press(*"Rossi", "enter")
        left = screen.pane("left")
        await wait_for(pilot, lambda: left.current is not None, "the inspection")
        reading = left.current.inspection.reading
        assert reading.tokens == list("Rossi") and reading.kind == "classes"
        await pilot.press("right", "right")
        assert screen.view.cursor == 2 and "after 'Ros'" in pane_text(screen)
        await pilot.press("p")
        assert screen.view.probe == "reset_gate" and "gru · reset_gate" not in pane_text(screen)
        units = TINY_CELL["hidden_size"]
        assert f"forward · reset_gate · units 1–{units} of {units}" in pane_text(screen)
        await pilot.press("end")
        assert screen.view.cursor == 4 and "after 'Rossi'" in pane_text(screen)


@pilot_test
async def test_keys_change_layer_direction_probe_and_units(tiny_corpora: Path, tmp_path: Path) -> None:
    run_dir = seeded_run(tmp_path / "runs", tiny_corpora, "20250101-000000-names-lstm-classify", "names",
                         "lstm", "classify", bidirectional=True)
    async with make_app(tmp_path / "runs").run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_inspect(pilot, run_dir, "Schmidt")
        left = screen.pane("left")
        await wait_for(pilot, lambda: left.current is not None, "the inspection")
        assert "layer 1 · forward · hidden · units 1–" in pane_text(screen)
        await pilot.press("l")
        assert "layer 0 · forward · hidden" in pane_text(screen)
        await pilot.press("d", "p", "p")
        assert "layer 0 · backward · forget_gate" in pane_text(screen)
        await pilot.press("down", "down")
        assert "units 3–" in pane_text(screen)
        await pilot.press("o")
        assert "of 12 · active" in pane_text(screen)


@pilot_test
async def test_two_runs_side_by_side_read_the_same_text(tiny_corpora: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    lstm = seeded_run(runs, tiny_corpora, "20250101-000000-divina-lstm-generate", "divina", "lstm",
                      "generate")
    gru = seeded_run(runs, tiny_corpora, "20250101-000001-divina-gru-custom-generate", "divina", "gru-custom",
                     "generate")
    async with make_app(runs).run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_inspect(pilot, lstm, "Nel mezzo del cammin")
        await wait_for(pilot, lambda: screen.pane("left").current is not None, "the left inspection")
        screen.query_one("#inspect-right", Select).value = str(gru)
        right = screen.pane("right")
        await wait_for(pilot, lambda: right.current is not None, "the right inspection")
        assert right.display and right.current.inspection.reading.tokens == list("Nel mezzo del cammin")
        await pilot.press("right", "p", "p")
        assert screen.view.probe == "forget_gate"
        assert "forward · forget_gate" in pane_text(screen, "left")
        assert "no forget_gate here: showing hidden" in pane_text(screen, "right")
        assert "1 'e' p " in pane_text(screen, "left") and "1 'e' p " in pane_text(screen, "right")
        shown = right.current
        await pilot.press("f4", "f6")  # leaving and coming back keeps both runs and what they read
        await wait_for(pilot, lambda: pilot.app.screen is screen, "the Inspect screen again")
        await pilot.pause(0.5)
        assert right.display and right.current is shown
        screen.query_one("#inspect-right", Select).clear()
        await wait_for(pilot, lambda: not right.display, "the compare to close")


@pilot_test
async def test_a_new_checkpoint_is_read_again_and_the_slider_steps_back(tiny_corpora: Path,
                                                                          tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    run_id = "20250101-000000-names-gru-classify"
    run_dir = seeded_run(runs, tiny_corpora, run_id, "names", "gru", "classify", step=10, seed=0)
    async with make_app(runs).run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_inspect(pilot, run_dir, "Rossi")
        left = screen.pane("left")
        await wait_for(pilot, lambda: left.current is not None, "the first inspection")
        assert left.current.label == "step 10"
        seeded_run(runs, tiny_corpora, run_id, "names", "gru", "classify", step=20, seed=1)  # an evaluation
        await wait_for(pilot, lambda: len(left.history) == 2, "the second evaluation")
        first, second = (snapshot.inspection for snapshot in left.history)
        assert left.current.label == "step 20" and left.chosen is None
        assert not torch.equal(first.reading.probabilities, second.reading.probabilities)
        await pilot.press("left_square_bracket")
        assert left.current.label == "step 10" and "(1/2)" in pane_text(screen)
        await pilot.press("right_square_bracket")
        assert left.current.label == "step 20" and left.chosen is None


@pilot_test
async def test_a_run_training_in_the_app_is_followed_to_its_last_checkpoint(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",), steps=300, eval_every=100, epochs=0)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.board.tracks and app.board.tracks[0].run_dir, "the run to start")
        assert app.queue.pause() == "paused"  # held while the screen opens, so it sees the run train
        track = app.board.tracks[0]
        screen = await open_inspect(pilot, Path(track.run_dir), "Rossi")
        await wait_for(pilot, lambda: "left" in screen.sources, "the run chosen")
        left = screen.pane("left")
        assert app.queue.pause() == "resumed"
        await wait_for(pilot, lambda: track.finished, "the run to end")
        assert track.step == 300
        last = f"step {track.step}"
        await wait_for(pilot, lambda: left.current is not None and left.current.label == last,
                       f"the inspection of the last checkpoint ({last}); seen: "
                       f"{[snapshot.label for snapshot in left.history]}, {left.message!r}")
        assert all(snapshot.label.startswith("step ") for snapshot in left.history)


@pilot_test
async def test_the_model_screen_sends_its_text_to_inspect(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru",))
        await run_to_end(pilot)
        app.use_model(app.board.tracks[0].run_dir)
        model = app.model_screen
        await wait_for(pilot, lambda: model.trained is not None, "the model to load")
        await pilot.press(*"Ivanov", "ctrl+t")
        screen = app.inspect_screen
        await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted
                       and screen.pane("left").current is not None, "the inspection")
        assert screen.pane("left").current.inspection.reading.tokens == list("Ivanov")
        assert screen.query_one("#inspect-text", Input).value == "Ivanov"


@pilot_test
async def test_an_unreadable_run_is_a_message_not_a_crash(tiny_corpora: Path, tmp_path: Path) -> None:
    run_dir = seeded_run(tmp_path / "runs", tiny_corpora, "20250101-000000-names-gru-classify", "names",
                         "gru", "classify")
    (run_dir / "best.safetensors").write_bytes(b"not a checkpoint")
    async with make_app(tmp_path / "runs").run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_inspect(pilot, run_dir, "Rossi")
        await wait_for(pilot, lambda: "Cannot inspect" in pane_text(screen), "the error")
        assert "not a readable checkpoint" in pane_text(screen)
        await pilot.press("right", "l", "p", "left_square_bracket")  # keys do nothing, and nothing breaks
        assert app_is_running(pilot)


def app_is_running(pilot) -> bool:  # noqa: ANN001
    return pilot.app.is_running
