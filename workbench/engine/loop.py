"""The training loop of a run: steps, evaluations, early stopping, showcases and checkpoints.

`Session` is everything the loop needs from its `Run`: identity, settings, the event sink, the two
control flags, its stopwatch and its threads policy. What training changes (the model, optimiser,
generators, the task's carried state and the `Progress` through the run) is one
`TrainingState` (workbench.engine.state), which a checkpoint saves, so a resumed loop picks up at the
same batch. When to stop for a time budget, and how much of a split to evaluate, the loop asks its
`TimePlan` (workbench.engine.budget), which it keeps told of what steps and evaluations cost.
"""

from __future__ import annotations

import math
import platform
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch

from workbench import __version__
from workbench.config import RunConfig
from workbench.engine import clock
from workbench.engine.budget import EVALUATION_BATCH_FACTOR, TimePlan
from workbench.engine.checkpoint import load_checkpoint, load_model_tensors
from workbench.engine.clock import Stopwatch
from workbench.engine.state import TrainingState, save_best
from workbench.engine.threads import ThreadsPolicy
from workbench.engine.training import learning_rate_factor, train_step
from workbench.errors import WorkbenchError
from workbench.events import CheckpointSaved, Evaluated, Event, Sampled, StateChanged, StepDone
from workbench.runs.directory import BEST_FILE, CHECKPOINT_FILE, SAMPLES_FILE
from workbench.runs.history import append_samples
from workbench.summary import RunSummary


class StopRequest(threading.Event):
    """Set: finish the current step and end. `status` is the run's final status: "stopped" when a
    person or a signal asked, "pruned" when a study gave up on the run."""

    status = "stopped"

    def request(self, status: str) -> None:
        self.status = status
        self.set()


@dataclass(frozen=True)
class Session:
    run_id: str
    run_dir: Path
    config: RunConfig
    train: dict[str, Any]
    device: torch.device
    emit: Callable[[Event], None]
    stop: StopRequest
    unpaused: threading.Event  # cleared: hold before the next step
    stopwatch: Stopwatch  # this session's time, from data loading on, pauses left out
    threads: ThreadsPolicy


class Ending(NamedTuple):
    """How the loop ended: the run's status and what ended it (a bound, patience or a stop)."""

    status: str  # "completed", "early-stopped", "stopped" or "pruned"
    cause: str  # "steps", "epochs", "time_budget", "patience" or "stop"


class TrainingLoop:
    """One training session of a run: steps, evaluations, showcases, checkpoints."""

    def __init__(self, run: Session, state: TrainingState, plan: TimePlan):
        self.run, self.state, self.plan = run, state, plan
        self.model, self.progress, self.task = state.model, state.progress, state.task
        self.train = run.train
        self.higher = self.task.higher_is_better
        self.metric = self.task.metric
        self.evaluation_batch = self.train["batch_size"] * EVALUATION_BATCH_FACTOR
        self._elapsed_before = state.progress.elapsed  # earlier sessions of a resumed run

    def run_steps(self) -> Ending:
        """Train until a bound, early stopping or a stop request."""
        train, progress, run = self.train, self.progress, self.run
        model, task, optimizer = self.model, self.task, self.state.optimizer
        parameters, data_rng = self.state.parameters, self.state.data_rng
        epochs = train["epochs"]
        eval_every, sample_every = train["eval_every"], train["sample_every"]
        session_tokens = 0
        session_seconds = 0.0
        device_is_cpu = run.device.type == "cpu"
        if progress.step:  # a resumed run may have reached a bound already; a new one trains a step
            reached = self._bound_reached(validated=True)
            if reached:
                return Ending("completed", reached)
        while not (epochs and progress.epoch >= epochs):
            if progress.position == 0:
                progress.epoch_rng = data_rng.get_state()
            else:
                data_rng.set_state(progress.epoch_rng)
            for index, batch in enumerate(task.batches("train", train["batch_size"], data_rng)):
                if index < progress.position:
                    continue
                if not run.unpaused.is_set():
                    self._wait_while_paused()
                if run.stop.is_set():
                    return self._stopping()
                self._set_learning_rate()
                if not device_is_cpu:
                    batch = batch.to(run.device)
                started = clock.now()
                loss = train_step(model, task, optimizer, batch, train["grad_clip"], parameters).item()
                seconds = clock.now() - started
                self.plan.costs.record_step(seconds, batch.tokens)
                progress.step += 1
                progress.position += 1
                progress.tokens += batch.tokens
                progress.train_time += seconds
                session_tokens += batch.tokens
                session_seconds += seconds
                if not math.isfinite(loss):
                    raise WorkbenchError(
                        f"loss became {loss} at step {progress.step}; lower the learning rate "
                        f"(train.learning_rate = {train['learning_rate']}) or set train.grad_clip."
                    )
                self._tick()
                speed = session_tokens / session_seconds if session_seconds else 0.0
                run.emit(StepDone(run.run_id, progress.step, progress.epoch, loss,
                                  optimizer.param_groups[0]["lr"], speed, progress.elapsed,
                                  self.plan.eta(progress.step, progress.elapsed),
                                  progress.tokens))
                if sample_every and progress.step % sample_every == 0:
                    self.showcase()
                validated = bool(eval_every and progress.step % eval_every == 0)
                if validated and self.validate():
                    return Ending("early-stopped", "patience")
                if run.stop.is_set():
                    return self._stopping()
                reached = self._bound_reached(validated)
                if reached:
                    return Ending("completed", reached)
                run.threads.revisit()
            progress.epoch += 1
            progress.position = 0
            if not eval_every:
                if self.validate():
                    return Ending("early-stopped", "patience")
                if not (epochs and progress.epoch >= epochs) and self._time_is_up(validated=True):
                    return Ending("completed", "time_budget")
        return Ending("completed", "epochs")

    def _bound_reached(self, validated: bool) -> str | None:
        """The bound that ends the run now: its steps, or its time budget (closing work included)."""
        steps = self.train["steps"]
        if steps and self.progress.step >= steps:
            return "steps"
        return "time_budget" if self._time_is_up(validated) else None

    def _time_is_up(self, validated: bool) -> bool:
        self._tick()
        return self.plan.time_is_up(self.progress.elapsed, validated)

    def _tick(self) -> None:
        """Bring the run's elapsed time up to now (this session's time on top of earlier ones)."""
        self.progress.elapsed = self._elapsed_before + self.run.stopwatch.seconds()

    def _wait_while_paused(self) -> None:
        run = self.run
        run.emit(StateChanged(run.run_id, "paused"))
        with run.stopwatch.held():
            run.unpaused.wait()
        if not run.stop.is_set():
            run.emit(StateChanged(run.run_id, "running"))

    def _stopping(self) -> Ending:
        self.run.emit(StateChanged(self.run.run_id, "stopping"))
        return Ending(self.run.stop.status, "stop")

    def _set_learning_rate(self) -> None:
        train, step = self.train, self.progress.step
        if train["schedule"] == "constant" and step > train["warmup_steps"]:
            return
        self._tick()
        fraction = self.plan.schedule_fraction(step, self.progress.elapsed, train["warmup_steps"])
        factor = learning_rate_factor(train["schedule"], train["warmup_steps"], step, fraction)
        for group in self.state.optimizer.param_groups:
            group["lr"] = train["learning_rate"] * factor

    def evaluate(self, split: str, share: float) -> dict[str, Any]:
        """Score `share` of a split under inference mode at the evaluation batch size, and time it.

        Metrics of a partial pass carry `share`, so every report of them says they are a sample.
        """
        tokens = share * self.plan.bounds.split_tokens(split)
        started = clock.now()
        with torch.inference_mode():
            metrics = self.task.evaluate(self.model, split, self.evaluation_batch, share=share)
        self.plan.costs.record_evaluation(clock.now() - started, tokens)
        if share < 1.0:
            metrics["share"] = round(share, 4)
        return metrics

    def validate(self, closing: bool = False) -> bool:
        """Evaluate on validation, keep the best weights, checkpoint; True when patience ran out."""
        run, progress = self.run, self.progress
        self._tick()
        metrics = self.evaluate("validation", self.plan.validation_share(progress.elapsed, closing))
        progress.last_validation = metrics
        progress.last_eval_step = progress.step
        run.emit(Evaluated(run.run_id, progress.step, "validation", metrics))
        value = metrics[self.metric]
        better = progress.best_metric is None or (
            value > progress.best_metric if self.higher else value < progress.best_metric
        )
        saving = 0.0
        if better:
            progress.best_metric, progress.best_step, progress.best_validation = value, progress.step, metrics
            progress.stale_evaluations = 0
            started = clock.now()
            save_best(run.run_dir, self.model, self._metadata())
            saving += clock.now() - started
        else:
            progress.stale_evaluations += 1
        if not self.train["sample_every"]:
            self.showcase()
        started = clock.now()
        self.checkpoint()
        self.plan.costs.save = saving + clock.now() - started
        patience = self.train["patience"]
        return bool(patience and progress.stale_evaluations >= patience)

    def showcase(self) -> None:
        started = clock.now()
        texts = self.task.showcase(self.model, self.state.sample_rng)
        self.plan.costs.showcase = clock.now() - started
        append_samples(self.run.run_dir / SAMPLES_FILE, self.progress.step, texts)
        self.run.emit(Sampled(self.run.run_id, self.progress.step, texts))

    def checkpoint(self) -> None:
        self._tick()
        path = self.run.run_dir / CHECKPOINT_FILE
        self.state.save(path, self._metadata())
        self.run.emit(CheckpointSaved(self.run.run_id, self.progress.step, str(path)))

    def finish(self, ending: Ending, parameters: int) -> RunSummary:
        """Final validation and checkpoint; a run that was not stopped (or pruned) is also tested on
        its best weights."""
        progress, run = self.progress, self.run
        test: dict[str, Any] = {}
        if ending.status in ("stopped", "pruned"):
            if progress.last_eval_step != progress.step:
                self.checkpoint()
        else:
            if progress.last_eval_step != progress.step:
                self.validate(closing=True)
            restore_best(run.run_dir, self.model)
            self._tick()
            test = self.evaluate("test", self.plan.test_share(progress.elapsed))
            run.emit(Evaluated(run.run_id, progress.step, "test", test))
        self._tick()
        return RunSummary(
            run_id=run.run_id,
            status=ending.status,
            ended_by=ending.cause,
            **run.config.names(),
            metric_name=self.metric,
            higher_is_better=self.higher,
            steps=progress.step,
            epochs=progress.epoch,
            wall_time=round(progress.elapsed, 3),
            parameters=parameters,
            tokens_per_second=progress.tokens / progress.train_time if progress.train_time else 0.0,
            threads=run.threads.current,
            final_validation=progress.last_validation,
            best_validation=progress.best_validation,
            best_step=progress.best_step,
            test=test,
            extra=self.task.summary_fields(),
            versions={"python": platform.python_version(), "torch": torch.__version__,
                      "workbench": __version__},
        )

    def _metadata(self) -> dict[str, Any]:
        return {"run_id": self.run.run_id, "config": self.run.config.to_dict(),
                "task": self.task.metadata(), "metric": self.metric}


def restore_best(run_dir: Path, model: torch.nn.Module) -> None:
    path = run_dir / BEST_FILE
    if path.is_file():
        tensors, _ = load_checkpoint(path)
        load_model_tensors(model, tensors, path)
