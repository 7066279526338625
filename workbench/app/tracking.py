"""What the app knows about each run, folded from the engine's events (no widgets, no torch).

A `RunTrack` keeps every point, sample and log line of one run; a `Board` holds the runs shown
together on one chart and one comparison table, each with a colour that never changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workbench import events as ev
from workbench.engine.clock import DisplayClock
from workbench.formatting import format_metrics, format_number
from workbench.runs.plots import X_AXES as PLOT_AXES
from workbench.summary import ENDED, RunSummary

PALETTE = ("#4ea8de", "#f4a261", "#80ed99", "#e76f51", "#c77dff", "#ffd166", "#06d6a0", "#ef476f",
           "#8d99ae", "#f15bb5", "#00bbf9", "#b5e48c")
FINAL_STATES = ENDED
X_AXES = tuple(PLOT_AXES)  # what a curve can be drawn against: steps, tokens or seconds, as in plots


@dataclass
class RunTrack:
    """One run as the app shows it: curves, latest metrics, samples, log and final summary."""

    label: str
    colour: str
    run_id: str = ""
    run_dir: str = ""
    cell: str = ""
    task: str = ""
    dataset: str = ""
    metric: str | None = None  # the task's validation metric, and which way is better (RunStarted says)
    higher_is_better: bool = False
    study: str = ""  # the study the run is a trial of, if any
    seed_group: str = ""  # the study's trials that differ only by seed share one (e.g. "gru")
    state: str = "queued"
    parameters: int | None = None
    total_steps: int | None = None
    step: int = 0
    epoch: int = 0
    loss: float | None = None
    learning_rate: float | None = None
    tokens_per_second: float | None = None
    elapsed: float = 0.0
    eta_seconds: float | None = None
    train: list[tuple[float, float]] = field(default_factory=list)  # (step, loss)
    validation: list[tuple[float, float]] = field(default_factory=list)  # (step, loss)
    validation_metric: list[tuple[float, float]] = field(default_factory=list)  # (step, the task's metric)
    learning_rates: list[tuple[float, float]] = field(default_factory=list)  # (step, learning rate)
    # step -> (tokens trained on, seconds of training) when it was done; tokens None if not logged
    positions: dict[int, tuple[int | None, float]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    best_validation: dict[str, Any] = field(default_factory=dict)
    best_step: int | None = None
    samples: list[tuple[int, str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    summary: RunSummary | None = None
    error: str | None = None
    version: int = 0
    clock: DisplayClock = field(default_factory=DisplayClock)  # runs on between events while training

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES

    def apply(self, event: Any) -> None:
        """Fold one engine event into the track (unknown events are only logged)."""
        self.version += 1
        handler = _HANDLERS.get(type(event))
        if handler is None:
            self.note(f"event {type(event).__name__}")
            return
        handler(self, event)

    def mark(self, state: str, text: str) -> None:
        """A change of state the app itself makes (queued, opening, cancelled), logged."""
        self.state = state
        self.note(text)

    def note(self, text: str, when: float | None = None) -> None:
        self.version += 1
        stamp = time.strftime("%H:%M:%S", time.localtime(when if when is not None else time.time()))
        self.log.append(f"{stamp} {self.label}: {text}")

    def _started(self, event: ev.RunStarted) -> None:
        self.run_id = event.run_id
        self.run_dir = event.run_dir
        self.parameters = event.parameters
        self.total_steps = event.total_steps
        self.state = "running"
        self.dataset = str(event.config.get("dataset", self.dataset))
        self.cell = str(event.config.get("cell", self.cell))
        self.task = str(event.config.get("task", self.task))
        if event.metric is not None:  # older logs do not say
            self.metric, self.higher_is_better = event.metric, event.higher_is_better
        if event.resumed_from_step:
            self._forget_after(event.resumed_from_step)
        resumed = f", resumed from step {event.resumed_from_step}" if event.resumed_from_step else ""
        parameters = format_number(event.parameters)
        self.note(f"started {event.run_id} on {event.device}, {parameters} parameters{resumed}", event.time)

    def _forget_after(self, step: int) -> None:
        """Drop what the log holds past the checkpoint a run resumes from: it is trained again."""
        self.train = [point for point in self.train if point[0] <= step]
        self.validation = [point for point in self.validation if point[0] <= step]
        self.validation_metric = [point for point in self.validation_metric if point[0] <= step]
        self.learning_rates = [point for point in self.learning_rates if point[0] <= step]
        if self.best_step is not None and self.best_step > step:
            self.best_validation, self.best_step = {}, None
        self.samples = [sample for sample in self.samples if sample[0] <= step]
        self.positions = {done: where for done, where in self.positions.items() if done <= step}

    def _step(self, event: ev.StepDone) -> None:
        self.step = event.step
        self.epoch = event.epoch
        self.loss = event.loss
        self.learning_rate = event.learning_rate
        self.tokens_per_second = event.tokens_per_second
        self.elapsed = event.elapsed
        self.eta_seconds = event.eta_seconds
        self.clock.report(event.elapsed, event.eta_seconds, time.monotonic())
        self.train.append((event.step, event.loss))
        self.learning_rates.append((event.step, event.learning_rate))
        self.positions[event.step] = (event.tokens or None, event.elapsed)

    def _evaluated(self, event: ev.Evaluated) -> None:
        numbers = {k: v for k, v in event.metrics.items() if isinstance(v, (int, float))}
        if event.split == "validation":
            self.metrics = numbers
            if "loss" in numbers:
                self.validation.append((event.step, float(numbers["loss"])))
            if self.metric in numbers:
                self.validation_metric.append((event.step, float(numbers[self.metric])))
            if self._improves(numbers):
                self.best_validation, self.best_step = numbers, event.step
        self.note(f"step {event.step} {event.split}: {format_metrics(event.metrics)}", event.time)

    def _improves(self, numbers: dict[str, Any]) -> bool:
        """Whether an evaluation beats the best so far on the task's metric (the engine's rule)."""
        if self.metric is None or self.metric not in numbers:
            return False
        if self.metric not in self.best_validation:
            return True
        value, best = numbers[self.metric], self.best_validation[self.metric]
        return value > best if self.higher_is_better else value < best

    def curve(self, which: str, axis: str) -> list[tuple[float, float]]:
        """The "train" or "validation" losses, the task's validation "metric" or the "learning rate"
        against steps, tokens or seconds (one of X_AXES); points whose position on that axis was not
        logged are left out."""
        points = {"train": self.train, "validation": self.validation, "metric": self.validation_metric,
                  "learning rate": self.learning_rates}[which]
        if axis == "steps":
            return list(points)
        curve = []
        for step, loss in points:
            where = self.position(int(step), axis)
            if where is not None:
                curve.append((where, loss))
        return curve

    def position(self, step: int, axis: str) -> float | None:
        """Where `step` lies on an x axis (steps, tokens or seconds); None if it was not logged."""
        if axis == "steps":
            return float(step)
        where = self.positions.get(step)
        value = where[X_AXES.index(axis) - 1] if where is not None else None
        return float(value) if value is not None else None

    def standing(self) -> RunSummary:
        """The run's summary once it has one, else its summary so far (the best evaluation so far,
        the latest progress), so tables treat both alike."""
        if self.summary is not None:
            return replace(self.summary, status=self.state)
        return RunSummary(self.run_id, self.state, dataset=self.dataset, cell=self.cell, task=self.task,
                          metric_name=self.metric, higher_is_better=self.higher_is_better, steps=self.step,
                          epochs=self.epoch, wall_time=self.elapsed if self.step else None,
                          parameters=self.parameters, tokens_per_second=self.tokens_per_second,
                          final_validation=self.metrics, best_validation=self.best_validation,
                          best_step=self.best_step, error=self.error)

    def _sampled(self, event: ev.Sampled) -> None:
        self.samples.extend((event.step, text) for text in event.texts)

    def _checkpoint(self, event: ev.CheckpointSaved) -> None:
        self.note(f"checkpoint at step {event.step}", event.time)

    def _state(self, event: ev.StateChanged) -> None:
        self.state = event.state
        if event.state == "paused":
            self.clock.hold(time.monotonic())
        elif event.state == "running":
            self.clock.release(time.monotonic())
        self.note(event.state, event.time)

    def _finished(self, event: ev.RunFinished) -> None:
        self.clock.hold(time.monotonic())
        self.state = event.status
        self.summary = event.summary
        self.note(f"{event.status}", event.time)

    def _failed(self, event: ev.RunFailed) -> None:
        self.clock.hold(time.monotonic())
        self.state = "failed"
        self.error = event.error
        self.note(f"failed at step {event.step}: {event.error}", event.time)


_HANDLERS = {
    ev.RunStarted: RunTrack._started,
    ev.StepDone: RunTrack._step,
    ev.Evaluated: RunTrack._evaluated,
    ev.Sampled: RunTrack._sampled,
    ev.CheckpointSaved: RunTrack._checkpoint,
    ev.StateChanged: RunTrack._state,
    ev.RunFinished: RunTrack._finished,
    ev.RunFailed: RunTrack._failed,
}


class Board:
    """The runs compared together. A run keeps its colour; one that joins takes the next colour in
    turn that no run on the board has, so runs shown together never share one, unless they share a
    colour key (a study's trials of one cell: one colour per cell)."""

    def __init__(self) -> None:
        self.tracks: list[RunTrack] = []
        self._joined = 0
        self._keyed: dict[str, RunTrack] = {}  # the first track of each colour key

    def add(self, label: str, colour_key: str | None = None, **known: Any) -> RunTrack:
        """A new track; its colour is its key's, or the next one in turn that no run on the board has."""
        keyed = self._keyed.get(colour_key) if colour_key is not None else None
        if keyed is not None and keyed in self.tracks:
            colour = keyed.colour
        else:
            taken = {track.colour for track in self.tracks}
            turn = [PALETTE[(self._joined + offset) % len(PALETTE)] for offset in range(len(PALETTE))]
            colour = next((one for one in turn if one not in taken), turn[0])
            self._joined += 1
        track = RunTrack(label=self._unique(label), colour=colour, **known)
        if colour_key is not None and (keyed is None or keyed not in self.tracks):
            self._keyed[colour_key] = track
        self.tracks.append(track)
        return track

    def holding(self, run_dir: str | Path) -> RunTrack | None:
        """The track of the run in `run_dir`, if it is on the board."""
        wanted = Path(run_dir).resolve()
        for track in self.tracks:
            if track.run_dir and Path(track.run_dir).resolve() == wanted:
                return track
        return None

    def remove_run(self, run_dir: str | Path) -> None:
        """Take the run in `run_dir` off the board (its directory stays on disk)."""
        track = self.holding(run_dir)
        if track is not None:
            self.tracks.remove(track)

    def remove_finished(self) -> int:
        """Drop finished runs from the board (their directories stay on disk); returns how many."""
        kept = [track for track in self.tracks if not track.finished and track.state != "cancelled"]
        removed = len(self.tracks) - len(kept)
        self.tracks = kept
        return removed

    def _unique(self, label: str) -> str:
        taken = {track.label for track in self.tracks}
        if label not in taken:
            return label
        number = 2
        while f"{label} #{number}" in taken:
            number += 1
        return f"{label} #{number}"
