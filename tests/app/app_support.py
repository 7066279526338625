"""Helpers for driving the app in pilot tests: a registry of the built-in plugins only, the tiny
settings of engine_support filled in as a person would, and waiting for the app's workers and runs."""

from __future__ import annotations

import asyncio
import functools
import math
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from engine_support import TINY_CELL, TINY_TASK, TINY_TRAIN
from textual import events
from textual.pilot import Pilot

from workbench.app.main import WorkbenchApp
from workbench.registry import SELECT_ENV, Registry, load_registry

WAIT_SECONDS = 60.0

_builtins: Registry | None = None


def builtin_registry() -> Registry:
    """Only this package's plugins, so screens look the same whatever else is installed."""
    global _builtins
    if _builtins is None:
        saved = os.environ.get(SELECT_ENV)
        os.environ[SELECT_ENV] = "workbench"
        try:
            _builtins = load_registry()
        finally:
            if saved is None:
                del os.environ[SELECT_ENV]
            else:
                os.environ[SELECT_ENV] = saved
    return _builtins


def pilot_test(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test body on a fresh event loop (pytest itself runs only plain functions)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def make_app(runs_dir: Path) -> WorkbenchApp:
    return WorkbenchApp(runs_dir=runs_dir, registry=builtin_registry())


async def wait_for(pilot: Pilot, condition: Callable[[], Any], what: str,
                   limit: float = WAIT_SECONDS) -> None:
    """Let the app run until `condition()` holds (a generous limit only guards against hangs)."""
    waited = 0.0
    while not condition():
        assert waited < limit, f"gave up waiting for {what}"
        await pilot.pause(0.05)
        waited += 0.05


async def press_while_training(pilot: Pilot, *keys: str) -> None:
    """Press keys the way `pilot.press` does, minus its wait for an idle process: a process that
    trains is never idle, so that wait would always run to its one-second limit."""
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(pilot.app)
        pilot.app._driver.send_message(event)
        await pilot.pause(0.05)


async def ready(pilot: Pilot) -> None:
    """Wait until the set-up screen shows the forms of the default choices."""
    await wait_for(pilot, lambda: "train:train" in pilot.app.setup_screen._forms, "the forms")
    await pilot.pause()


def form(app: WorkbenchApp, kind: str, name: str):  # noqa: ANN201 - a ParamForm
    return app.setup_screen._forms[f"{kind}:{name}"]


async def choose(pilot: Pilot, dataset: str = "names", task: str = "classify",
                 cells: tuple[str, ...] = ("gru",), **train: Any) -> None:
    """Pick plugins and fill the forms with tiny values, as a person would with the controls."""
    setup = pilot.app.setup_screen
    setup.query_one("#dataset").value = dataset
    await pilot.pause()
    setup.query_one("#task").value = task
    await pilot.pause()
    chooser = setup.query_one("#cells")
    chooser.deselect_all()
    for cell in cells:
        chooser.select(cell)
    await wait_for(pilot, lambda: all(f"cell:{c}" in setup._forms for c in cells)
                   and f"task:{task}" in setup._forms, "the chosen plugins' forms")
    await pilot.pause()
    for cell in cells:
        form(pilot.app, "cell", cell).load(TINY_CELL)
    form(pilot.app, "task", task).load(TINY_TASK)
    form(pilot.app, "train", "train").load({**TINY_TRAIN, **train})
    await pilot.pause()


async def run_to_end(pilot: Pilot) -> None:
    """Start from the set-up screen and wait for every queued run to finish."""
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: pilot.app.board.tracks and not pilot.app.queue.busy, "the runs to end")
    await pilot.pause(0.3)


def synthetic_run(run_id: str, cell: str, steps: int, start: float, scale: float,
                  parameters: int, task: str = "classify") -> list[Any]:
    """A finished run's events with fixed times and values: screens drawn from it never vary. A
    classify run is judged on accuracy, a generate run on bits per character, as the real ones."""
    from workbench import events as ev
    from workbench.summary import RunSummary

    config = {"dataset": "names", "cell": cell, "task": task}
    metric, higher = ("accuracy", True) if task == "classify" else ("bpc", False)
    at = 1_700_000_000.0
    made: list[Any] = [ev.RunStarted(run_id, f"runs/{run_id}", config, parameters, "cpu", steps, 0,
                                     metric, higher, ["loss", metric], time=at)]
    for step in range(1, steps + 1):
        loss = start * (0.35 + 0.65 * math.exp(-step / (steps / 3))) + 0.05 * math.sin(step * scale)
        made.append(ev.StepDone(run_id, step, step // 20, loss, 0.003, 1000.0 * scale, step * 0.1,
                                (steps - step) * 0.1, round(100 * scale * step), time=at + step))
        if step % 20 == 0:
            accuracy = min(0.95, 0.4 + step / steps / 2 * scale)
            metrics = {"loss": loss * 1.05, metric: accuracy if higher else loss * 1.05 / math.log(2)}
            made.append(ev.Evaluated(run_id, step, "validation", metrics, time=at + step))
            made.append(ev.Sampled(run_id, step, [f"✓ Rossi → Italian {50 + step // 4}%",
                                                  f"✗ Smith → Russian (is English) {40 + step // 8}%"],
                                   time=at + step))
    last = [event for event in made if isinstance(event, ev.Evaluated)][-1]
    summary = RunSummary(run_id, "completed", **config, metric_name=metric, higher_is_better=higher,
                         steps=steps, wall_time=steps * 0.1, parameters=parameters,
                         tokens_per_second=1000.0 * scale, final_validation=last.metrics,
                         best_validation=last.metrics, best_step=last.step)
    made.append(ev.RunFinished(run_id, "completed", summary, time=at + steps + 1))
    return made


def show_synthetic_compare(app: WorkbenchApp, finished: int = 3) -> None:
    """Three cells on the board: `finished` of them done, the next one half way."""
    runs = [("gru", 1.0, 3_459), ("lstm", 1.3, 4_611), ("rnn-custom", 0.8, 1_155)]
    for index, (cell, scale, parameters) in enumerate(runs):
        track = app.board.add(cell, cell=cell, task="classify", dataset="names", metric="accuracy",
                              higher_is_better=True)
        events = synthetic_run(f"20250101-00000{index}-names-{cell}-classify", cell, 120, 3.0, scale,
                               parameters)
        if index >= finished:
            events = events[: len(events) // 2]
        for event in events:
            track.apply(event)


def trial_dir(runs: Path, name: str, cell: str, seed: int, trial: int, study: str) -> Path:
    """A run directory as a study's worker opens it: config, a running summary naming the study and
    trial, an empty metrics log."""
    import json

    from workbench.config import RunConfig
    from workbench.runs.directory import CONFIG_FILE, METRICS_FILE, SUMMARY_FILE

    run_dir = runs / name
    run_dir.mkdir(parents=True)
    config = RunConfig(dataset="names", cell=cell, task="classify", train={"seed": seed})
    (run_dir / CONFIG_FILE).write_text(config.to_toml())
    summary = {"run_id": name, "status": "running", "dataset": "names", "cell": cell, "task": "classify",
               "labels": {"study": study, "trial": trial, "host": "elsewhere"}}
    (run_dir / SUMMARY_FILE).write_text(json.dumps(summary))
    (run_dir / METRICS_FILE).write_text("")
    return run_dir


def write_synthetic_trial(runs: Path, study: str, trial: int, cell: str, seed: int, start: float,
                          scale: float, finished: bool = True) -> Path:
    """A trial of `study` with fixed numbers, as a worker leaves it: finished (its whole log and its
    final summary), or half way through its log and still running."""
    import json
    from dataclasses import replace

    from workbench.runs.directory import METRICS_FILE, SUMMARY_FILE

    run_id = f"20250101-00000{trial}-names-{cell}-classify"
    run_dir = trial_dir(runs, run_id, cell, seed, trial, study)
    events = synthetic_run(run_id, cell, 120, start, scale, 3_000 + 100 * len(cell))
    if finished:
        summary = replace(events[-1].summary, labels={"study": study, "trial": trial, "host": "elsewhere"})
        (run_dir / SUMMARY_FILE).write_text(json.dumps(summary.to_json()))
    else:
        events = events[: len(events) // 2]
    (run_dir / METRICS_FILE).write_text("".join(json.dumps(event.to_json()) + "\n" for event in events))
    return run_dir


def follow_synthetic_study(app: WorkbenchApp, runs_dir: Path) -> None:
    """A small study on the board, followed from its trials' directories as the app follows one:
    gru and rnn with seeds 0 and 1, three trials done and the fourth half way. The trials name
    their directories under `runs_dir` as given, so it is the working directory's `runs`."""
    from workbench.app.trial_follower import TrialFollower
    from workbench.config import Compare, RunConfig
    from workbench.studies.spec import StudyRequest, build_spec

    experiment = Compare(RunConfig(dataset="names", cell="gru", task="classify"), ("gru", "rnn"))
    spec = build_spec(builtin_registry(), experiment, StudyRequest(name="names-seeds", seeds=2))
    follower = TrialFollower(app.board, runs_dir, spec)
    trials = [("gru", 0, 2.8, 1.0), ("gru", 1, 3.3, 1.25), ("rnn", 0, 3.1, 0.7), ("rnn", 1, 3.6, 0.85)]
    for trial, (cell, seed, start, scale) in enumerate(trials):
        write_synthetic_trial(runs_dir, spec.name, trial, cell, seed, start, scale, finished=trial < 3)
    follower.poll()


def write_synthetic_runs(runs_dir: Path, cells: tuple[str, ...] = ("gru", "lstm")) -> list[Path]:
    """Finished runs on disk (metrics log and summary, no weights), as the runs screen reads them."""
    import json

    made = []
    for index, cell in enumerate(cells):
        events = synthetic_run(f"20250101-00000{index}-names-{cell}-classify", cell, 60, 3.0,
                               1.0 + index / 3, 3_000 + index)
        run_dir = runs_dir / events[0].run_id
        run_dir.mkdir(parents=True)
        (run_dir / "metrics.jsonl").write_text("".join(json.dumps(e.to_json()) + "\n" for e in events))
        (run_dir / "summary.json").write_text(json.dumps(events[-1].summary.to_json()))
        made.append(run_dir)
    return made
