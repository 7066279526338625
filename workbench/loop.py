"""The training loop of a run: steps, evaluations, early stopping, showcases and checkpoints.

`Session` is everything the loop needs from its `Run`: identity, settings, the prepared task, the
event sink and the two control flags. Everything the loop knows about its progress lives in
`Progress`, which a checkpoint saves, so a resumed loop picks up at the same batch.
"""

from __future__ import annotations

import math
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from workbench import __version__
from workbench.checkpoint import load_checkpoint, load_model_tensors
from workbench.config import RunConfig
from workbench.errors import WorkbenchError
from workbench.events import Evaluated, Event, Sampled, StateChanged, StepDone
from workbench.runs import BEST_FILE, SAMPLES_FILE, append_samples
from workbench.snapshot import Progress, save_best, save_snapshot
from workbench.tasks import Task
from workbench.training import learning_rate_factor, train_step


@dataclass(frozen=True)
class Session:
    run_id: str
    run_dir: Path
    config: RunConfig
    train: dict[str, Any]
    device: torch.device
    task: Task
    emit: Callable[[Event], None]
    stop: threading.Event  # set: finish the current step and end
    unpaused: threading.Event  # cleared: hold before the next step


class TrainingLoop:
    """One training session of a run: steps, evaluations, showcases, checkpoints."""

    def __init__(self, run: Session, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 parameters: list[torch.Tensor], data_rng: torch.Generator,
                 sample_rng: torch.Generator, progress: Progress, total_steps: int | None):
        self.run, self.model, self.optimizer, self.parameters = run, model, optimizer, parameters
        self.data_rng, self.sample_rng, self.progress = data_rng, sample_rng, progress
        self.total_steps = total_steps
        self.task = run.task
        self.train = run.train
        self.higher = self.task.higher_is_better
        self.metric = self.task.metric

    def run_steps(self) -> str:
        """Train until a bound, early stopping or a stop request; returns the finishing status."""
        train, progress, run = self.train, self.progress, self.run
        epochs = train["epochs"]
        eval_every, sample_every = train["eval_every"], train["sample_every"]
        session_start = time.perf_counter()
        started_at = session_start - progress.elapsed
        session_tokens = 0
        session_steps = 0
        device_is_cpu = run.device.type == "cpu"
        if self._bound_reached():  # a resumed run that had already reached its bounds
            return "completed"
        while not (epochs and progress.epoch >= epochs):
            if progress.position == 0:
                progress.epoch_rng = self.data_rng.get_state()
            else:
                self.data_rng.set_state(progress.epoch_rng)
            for index, batch in enumerate(self.task.batches("train", train["batch_size"], self.data_rng)):
                if index < progress.position:
                    continue
                if not run.unpaused.is_set():
                    self._wait_while_paused()
                if run.stop.is_set():
                    return self._stopping()
                self._set_learning_rate(time.perf_counter() - started_at)
                if not device_is_cpu:
                    batch = batch.to(run.device)
                loss = train_step(self.model, self.task, self.optimizer, batch, train["grad_clip"],
                                  self.parameters).item()
                progress.step += 1
                progress.position += 1
                progress.tokens += batch.tokens
                session_tokens += batch.tokens
                session_steps += 1
                if not math.isfinite(loss):
                    raise WorkbenchError(
                        f"loss became {loss} at step {progress.step}; lower the learning rate "
                        f"(train.learning_rate = {train['learning_rate']}) or set train.grad_clip."
                    )
                now = time.perf_counter()
                progress.elapsed = now - started_at
                session_time = now - session_start
                run.emit(StepDone(run.run_id, progress.step, progress.epoch, loss,
                                   self.optimizer.param_groups[0]["lr"], session_tokens / session_time,
                                   progress.elapsed, self._eta(session_time / session_steps)))
                if sample_every and progress.step % sample_every == 0:
                    self.showcase()
                if eval_every and progress.step % eval_every == 0 and self.validate():
                    return "early-stopped"
                if run.stop.is_set():
                    return self._stopping()
                if self._bound_reached():
                    return "completed"
            progress.epoch += 1
            progress.position = 0
            if not eval_every and self.validate():
                return "early-stopped"
        return "completed"

    def _bound_reached(self) -> bool:
        steps, budget, progress = self.train["steps"], self.train["time_budget"], self.progress
        return bool((steps and progress.step >= steps) or (budget and progress.elapsed >= budget))

    def _wait_while_paused(self) -> None:
        run = self.run
        run.emit(StateChanged(run.run_id, "paused"))
        run.unpaused.wait()
        if not run.stop.is_set():
            run.emit(StateChanged(run.run_id, "running"))

    def _stopping(self) -> str:
        self.run.emit(StateChanged(self.run.run_id, "stopping"))
        return "stopped"

    def _set_learning_rate(self, elapsed: float) -> None:
        train, step = self.train, self.progress.step
        if train["schedule"] == "constant" and step > train["warmup_steps"]:
            return
        warmup = train["warmup_steps"]
        if self.total_steps:
            fraction = (step - warmup) / max(1, self.total_steps - warmup)
        else:
            fraction = elapsed / train["time_budget"] if train["time_budget"] else 0.0
        factor = learning_rate_factor(train["schedule"], warmup, step, fraction)
        for group in self.optimizer.param_groups:
            group["lr"] = train["learning_rate"] * factor

    def _eta(self, seconds_per_step: float) -> float | None:
        candidates = []
        if self.total_steps:
            candidates.append((self.total_steps - self.progress.step) * seconds_per_step)
        if self.train["time_budget"]:
            candidates.append(self.train["time_budget"] - self.progress.elapsed)
        return max(0.0, min(candidates)) if candidates else None

    def validate(self) -> bool:
        """Evaluate on validation, keep the best weights, checkpoint; True when patience ran out."""
        run, progress = self.run, self.progress
        metrics = self.task.evaluate(self.model, "validation", self.train["batch_size"])
        progress.last_validation = metrics
        progress.last_eval_step = progress.step
        run.emit(Evaluated(run.run_id, progress.step, "validation", metrics))
        value = metrics[self.metric]
        better = progress.best_metric is None or (
            value > progress.best_metric if self.higher else value < progress.best_metric
        )
        if better:
            progress.best_metric, progress.best_step, progress.best_validation = value, progress.step, metrics
            progress.stale_evaluations = 0
            save_best(run.run_dir, self.model, self._metadata())
        else:
            progress.stale_evaluations += 1
        if not self.train["sample_every"]:
            self.showcase()
        self.checkpoint()
        patience = self.train["patience"]
        return bool(patience and progress.stale_evaluations >= patience)

    def showcase(self) -> None:
        texts = self.task.showcase(self.model, self.sample_rng)
        append_samples(self.run.run_dir / SAMPLES_FILE, self.progress.step, texts)
        self.run.emit(Sampled(self.run.run_id, self.progress.step, texts))

    def checkpoint(self) -> None:
        event = save_snapshot(self.run.run_dir, self.run.run_id, self.model, self.optimizer,
                              self.data_rng, self.sample_rng, self.progress, self._metadata())
        self.run.emit(event)

    def finish(self, status: str, parameters: int) -> dict[str, Any]:
        """Final validation and checkpoint; a run that was not stopped is also tested on its best weights."""
        progress, run = self.progress, self.run
        test: dict[str, Any] = {}
        if status == "stopped":
            if progress.last_eval_step != progress.step:
                self.checkpoint()
        else:
            if progress.last_eval_step != progress.step:
                self.validate()
            restore_best(run.run_dir, self.model)
            test = self.task.evaluate(self.model, "test", self.train["batch_size"])
            run.emit(Evaluated(run.run_id, progress.step, "test", test))
        return {
            "run_id": run.run_id,
            "status": status,
            **run.config.names(),
            "metric": self.metric,
            "higher_is_better": self.higher,
            "steps": progress.step,
            "epochs": progress.epoch,
            "wall_time": round(progress.elapsed, 3),
            "parameters": parameters,
            "tokens_per_second": progress.tokens / progress.elapsed if progress.elapsed else 0.0,
            "final_validation": progress.last_validation,
            "best_validation": progress.best_validation,
            "best_step": progress.best_step,
            "test": test,
            "versions": {"python": platform.python_version(), "torch": torch.__version__,
                         "workbench": __version__},
        }

    def _metadata(self) -> dict[str, Any]:
        return {"run_id": self.run.run_id, "config": self.run.config.to_dict(),
                "task": self.task.metadata(), "metric": self.metric}


def restore_best(run_dir: Path, model: torch.nn.Module) -> None:
    path = run_dir / BEST_FILE
    if path.is_file():
        tensors, _ = load_checkpoint(path)
        load_model_tensors(model, tensors, path)
