"""The screens reach the App only through the messages of workbench.app.requests: each screen on its
own, in a small app that records what it asks for and does none of it, posts the right request; and
the App carries out the requests that no other test makes."""

from __future__ import annotations

import json
from pathlib import Path

from app_support import (
    builtin_registry,
    choose,
    pilot_test,
    press_while_training,
    ready,
    synthetic_run,
    wait_for,
    write_synthetic_runs,
)
from inspect_support import seeded_run
from textual import on
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input

from workbench.app.live_screen import LiveScreen
from workbench.app.model_screen import ModelScreen
from workbench.app.requests import (
    ChangeRunsDir,
    ClearFinished,
    CompareRun,
    InspectRun,
    PauseRun,
    Request,
    SkipRun,
    StartRuns,
    StopRuns,
    UseModel,
)
from workbench.app.runner import RunQueue
from workbench.app.runs_screen import RunsScreen
from workbench.app.setup_screen import SetupScreen
from workbench.app.tracking import Board
from workbench.app.workspace import Workspace
from workbench.config import RunConfig
from workbench.runs.directory import CONFIG_FILE, SUMMARY_FILE


class RequestRecorder(App):
    """Shows one screen and keeps every request it posts, carrying out none of them."""

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.shown = screen
        self.requests: list[Request] = []

    async def on_mount(self) -> None:
        await self.push_screen(self.shown)

    @on(Request)
    def record(self, request: Request) -> None:
        self.requests.append(request)


def workspace(runs_dir: Path, with_registry: bool = False) -> Workspace:
    board = Board()
    queue = RunQueue(board, start_thread=lambda work: None)  # nothing here may start a run
    return Workspace(runs_dir, board, queue, builtin_registry() if with_registry else None)


@pilot_test
async def test_the_set_up_screen_asks_to_start_its_config(tiny_corpora: Path, tmp_path: Path) -> None:
    shared = workspace(tmp_path / "runs")
    screen = SetupScreen(shared)
    host = RequestRecorder(screen)
    async with host.run_test(size=(120, 40)) as pilot:
        await screen.show_registry(builtin_registry())
        await wait_for(pilot, lambda: "train:train" in screen._forms, "the forms")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: host.requests, "a request")
        (request,) = host.requests
        assert isinstance(request, StartRuns)
        assert request.resume is None
        assert request.compare == screen.config()
        assert request.compare.base.runs_dir == tmp_path / "runs"
        assert (request.compare.base.dataset, request.compare.cells) == ("names", ("lstm",))
        assert shared.board.tracks == [] and not shared.queue.busy  # asking is all the screen did


@pilot_test
async def test_a_loaded_config_that_names_a_runs_directory_asks_to_change_it(tiny_corpora: Path,
                                                                            tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    path = tmp_path / "run.toml"
    path.write_text(f'dataset = "names"\ncell = "gru"\ntask = "classify"\nruns_dir = "{elsewhere}"\n')
    shared = workspace(tmp_path / "runs")
    screen = SetupScreen(shared)
    host = RequestRecorder(screen)
    async with host.run_test(size=(120, 40)) as pilot:
        await screen.show_registry(builtin_registry())
        await wait_for(pilot, lambda: "train:train" in screen._forms, "the forms")
        screen.query_one("#config-path", Input).value = str(path)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: host.requests, "a request")
        assert host.requests == [ChangeRunsDir(elsewhere)]
        assert screen.chosen_cells == ["gru"]
        assert shared.runs_dir == tmp_path / "runs"  # the App changes it, not the screen


@pilot_test
async def test_the_runs_screen_asks_to_resume_use_inspect_and_compare_the_highlighted_run(
        tiny_corpora: Path, tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    for run_dir in write_synthetic_runs(runs_dir):  # stopped by hand: each can be resumed
        summary = json.loads((run_dir / SUMMARY_FILE).read_text())
        (run_dir / SUMMARY_FILE).write_text(json.dumps({**summary, "status": "stopped"}))
        config = RunConfig(dataset="names", cell=summary["cell"], task="classify", train={"steps": 90})
        (run_dir / CONFIG_FILE).write_text(config.to_toml())
    shared = workspace(runs_dir)
    screen = RunsScreen(shared)
    host = RequestRecorder(screen)
    async with host.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen.opened is not None, "the highlighted run to open")
        record = screen.selected
        assert record is not None and record.summary.cell == "lstm"  # the newest run comes first
        await pilot.press("r", "u", "i", "a")
        await wait_for(pilot, lambda: len(host.requests) == 4, "four requests")
        resume, use, inspect, compare = host.requests
        assert isinstance(resume, StartRuns)
        assert resume.resume == record.run_dir
        resumed = resume.compare.base
        assert resume.compare.cells == ("lstm",)
        assert (resumed.cell, resumed.train, resumed.runs_dir) == ("lstm", {"steps": 90}, runs_dir)
        assert use == UseModel(record.run_dir)
        assert inspect == InspectRun(record.run_dir)
        assert compare == CompareRun(record)
        assert shared.board.tracks == [] and not shared.queue.busy


@pilot_test
async def test_the_live_screen_asks_to_pause_stop_skip_and_clear(tmp_path: Path) -> None:
    shared = workspace(tmp_path / "runs")
    track = shared.board.add("gru", cell="gru", task="classify", dataset="names", metric="accuracy",
                             higher_is_better=True)
    for event in synthetic_run("20250101-000000-names-gru-classify", "gru", 40, 3.0, 1.0, 3_459):
        track.apply(event)
    screen = LiveScreen(shared)
    host = RequestRecorder(screen)
    async with host.run_test(size=(120, 40)) as pilot:
        await pilot.press("p", "x", "k", "c")
        await wait_for(pilot, lambda: len(host.requests) == 4, "four requests")
        assert host.requests == [PauseRun(), StopRuns(), SkipRun(), ClearFinished()]
        assert shared.board.tracks == [track]  # the finished run stays until the App clears it


@pilot_test
async def test_the_model_screen_asks_to_inspect_the_loaded_run_on_the_typed_name(tiny_corpora: Path,
                                                                                tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    run_dir = seeded_run(runs_dir, tiny_corpora, "20250101-000000-names-gru-classify", "names", "gru",
                         "classify")
    screen = ModelScreen(workspace(runs_dir, with_registry=True))
    host = RequestRecorder(screen)
    async with host.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+t")  # nothing loaded yet: nothing to ask for
        await wait_for(pilot, lambda: screen.query_one("#model-run").value == str(run_dir), "the run listed")
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: screen.trained is not None, "the model to load")
        await pilot.press(*"Rossi", "ctrl+t")
        await wait_for(pilot, lambda: host.requests, "a request")
        assert host.requests == [InspectRun(run_dir, "Rossi")]


# The App's side
@pilot_test
async def test_skip_stops_the_current_run_and_the_next_queued_one_starts(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await choose(pilot, cells=("gru", "rnn"), steps=100000, epochs=0, eval_every=0)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: app.board.tracks and app.board.tracks[0].step >= 1, "training")
        first, second = app.board.tracks
        await press_while_training(pilot, "k")
        await wait_for(pilot, lambda: first.finished and second.step >= 1, "the next run to train")
        assert first.state == "stopped"
        await press_while_training(pilot, "x")
        await wait_for(pilot, lambda: not app.queue.busy, "the stop")
        assert second.state == "stopped"
        notes = [note.message for note in app._notifications]
        assert "Stopping this run; the next one in the queue starts after it." in notes


@pilot_test
async def test_steering_with_nothing_training_says_so(app) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f3", "p", "x", "k")
        warnings = [note.message for note in app._notifications if note.severity == "warning"]
        assert warnings == ["No run is training."] * 3


@pilot_test
async def test_a_loaded_config_moves_the_app_to_its_runs_directory(app, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (run_dir,) = write_synthetic_runs(elsewhere, cells=("gru",))
    path = tmp_path / "run.toml"
    path.write_text(f'dataset = "names"\ncell = "gru"\ntask = "classify"\nruns_dir = "{elsewhere}"\n')
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.setup_screen.query_one("#config-path", Input).value = str(path)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.runs_dir == elsewhere, "the new runs directory")
        assert app.setup_screen.config().base.runs_dir == elsewhere
        await pilot.press("f4")
        runs = app.screen
        await wait_for(pilot, lambda: runs.records, "the runs listed")
        assert [record.run_dir for record in runs.records] == [run_dir]
