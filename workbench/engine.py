"""A training run: the loop, its controls (pause, resume, stop) and the events it emits.

`Run` validates its config when built, so every mistake surfaces before data loads. `start()`
trains on a background thread (the app); `run_sync()` trains on the calling thread (the CLI).
Subscribers are called on the training thread for every event and must return quickly.
"""

from __future__ import annotations

import math
import platform
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from workbench import __version__
from workbench.checkpoint import load_checkpoint, load_model_tensors, read_metadata
from workbench.config import RunConfig
from workbench.errors import CheckpointError, RunFailed, WorkbenchError
from workbench.events import (
    Evaluated,
    Event,
    RunFinished,
    RunStarted,
    Sampled,
    StateChanged,
    StepDone,
)
from workbench.events import RunFailed as RunFailedEvent
from workbench.registry import Registry, default_registry
from workbench.runs import (
    BEST_FILE,
    CHECKPOINT_FILE,
    CONFIG_FILE,
    METRICS_FILE,
    SAMPLES_FILE,
    MetricsLog,
    append_samples,
    create_run_dir,
    default_runs_dir,
    write_summary,
)
from workbench.snapshot import Progress, restore_snapshot, save_best, save_snapshot
from workbench.training import Blame, build_optimizer, learning_rate_factor, pick_device, train_step

Subscriber = Callable[[Event], None]


class Run:
    """One training run of a dataset, cell and task; see the module docstring for threading."""

    def __init__(self, config: RunConfig, registry: Registry | None = None, resume: Path | None = None):
        self.registry = registry or default_registry()
        self.resolved = config.resolve(self.registry)
        self.config = self.resolved.as_config()
        self.train = self.resolved.train
        self.device = pick_device(self.train["device"])
        self.resume_from = Path(resume) if resume is not None else None
        if self.resume_from is not None:
            check_resumable(self.resume_from, self.config)
            self.run_dir = self.resume_from
        else:
            runs_dir = config.runs_dir or default_runs_dir()
            self.run_dir = create_run_dir(runs_dir, self.config.dataset, self.config.cell, self.config.task)
            (self.run_dir / CONFIG_FILE).write_text(self.config.to_toml(), encoding="utf-8")
        self.run_id = self.run_dir.name
        self.result: RunFinished | RunFailedEvent | None = None
        self._subscribers: list[Subscriber] = []
        self._state = "pending"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        self._thread: threading.Thread | None = None
        self._task: Any = None
        self._log: MetricsLog | None = None
        self._progress = Progress()
        self._preparation_error: Exception | None = None
        self._blame = Blame([
            (f"dataset {self.config.dataset!r}", self.resolved.dataset.cls),
            (f"cell {self.config.cell!r}", self.resolved.cell.cls),
            (f"task {self.config.task!r}", self.resolved.task.cls),
        ])

    # Control (any thread)
    @property
    def state(self) -> str:
        return self._state

    def subscribe(self, callback: Subscriber) -> None:
        """Call `callback(event)` on the training thread for every event from now on."""
        self._subscribers.append(callback)

    def start(self) -> None:
        """Train on a background thread; follow it through subscribed callbacks or `join`."""
        with self._lock:
            if self._thread is not None or self._state != "pending":
                raise RuntimeError("a Run can be started once")
            self._thread = threading.Thread(target=self._execute, name=f"run-{self.run_id}", daemon=True)
            self._thread.start()

    def run_sync(self) -> RunFinished | RunFailedEvent:
        """Train on the calling thread; returns the final event."""
        self._execute()
        assert self.result is not None
        return self.result

    def pause(self) -> None:
        """Hold the loop before its next step (the StateChanged event comes from the loop)."""
        with self._lock:
            if self._state == "running":
                self._state = "paused"
                self._unpaused.clear()

    def resume(self) -> None:
        with self._lock:
            if self._state == "paused":
                self._state = "running"
                self._unpaused.set()

    def stop(self) -> None:
        """Finish the current step, write a checkpoint and end (a paused run ends too)."""
        with self._lock:
            if self._state in ("running", "paused"):
                self._state = "stopping"
            self._stop.set()
            self._unpaused.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the background thread; True once the run has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return self._state in ("finished", "failed")

    # Data
    def prepare(self) -> None:
        """Load the corpus and let the task read it. A WorkbenchError (e.g. a missing corpus) is
        raised as is; any other failure becomes errors.RunFailed naming the plugin."""
        if self._task is not None:
            return
        if self._preparation_error is not None:
            raise self._preparation_error
        resolved = self.resolved
        try:
            dataset = resolved.dataset.cls(resolved.dataset_options, corpus_root=self.config.corpora)
            task = resolved.task.cls(resolved.task_options)
            task.prepare(dataset, self.train["seed"])
        except Exception as error:  # noqa: BLE001 - a plugin's failure is reported, not raised raw
            failure = error if isinstance(error, WorkbenchError) else RunFailed(self._blame.describe(error))
            self._preparation_error = failure
            write_summary(self.run_dir, self._failure_summary(str(failure), 0))
            if failure is error:
                raise
            raise failure from error
        self._task = task

    # The loop (training thread)
    def _execute(self) -> None:
        self._log = MetricsLog(self.run_dir / METRICS_FILE)
        try:
            with self._lock:
                if self._state == "pending":
                    self._state = "running"
            write_summary(self.run_dir, {"run_id": self.run_id, "status": "running", **self._names()})
            self.prepare()
            self._train()
        except Exception as error:  # noqa: BLE001 - every failure ends as a RunFailed event
            cause = error.__cause__ if isinstance(error, RunFailed) and error.__cause__ else error
            text = str(error) if isinstance(error, RunFailed) else self._blame.describe(cause)
            step = self._progress.step
            self._end("failed", RunFailedEvent(self.run_id, text, step), self._failure_summary(text, step))
        finally:
            self._log.close()
            self._log = None

    def _train(self) -> None:
        task, train, device = self._task, self.train, self.device
        torch.manual_seed(train["seed"])
        cell = self.resolved.cell.cls(self.resolved.cell_options)
        model = task.build_model(cell).to(device)
        self._blame.add_model(f"cell {self.config.cell!r}", model)
        optimizer = build_optimizer(model, train)
        parameters = [p for group in optimizer.param_groups for p in group["params"]]
        data_rng = torch.Generator().manual_seed(train["seed"])
        sample_rng = torch.Generator().manual_seed(train["seed"] + 1)
        progress = Progress()
        if self.resume_from is not None:
            progress = restore_snapshot(self.run_dir / CHECKPOINT_FILE, model, optimizer, data_rng,
                                        sample_rng, task.metadata())
        self._progress = progress
        total_steps = self._total_steps(task)
        count = sum(p.numel() for p in model.parameters())
        self._emit(RunStarted(self.run_id, str(self.run_dir), self.config.to_dict(), count, str(device),
                              total_steps, progress.step))
        loop = _Loop(self, model, optimizer, parameters, data_rng, sample_rng, progress, total_steps)
        status = loop.run_steps()
        summary = loop.finish(status, count)
        self._end("finished", RunFinished(self.run_id, status, summary), summary)

    def _total_steps(self, task: Any) -> int | None:
        bounds = []
        if self.train["steps"]:
            bounds.append(self.train["steps"])
        if self.train["epochs"]:
            counter = torch.Generator().manual_seed(0)
            per_epoch = sum(1 for _ in task.batches("train", self.train["batch_size"], counter))
            bounds.append(per_epoch * self.train["epochs"])
        return min(bounds) if bounds else None

    def _end(self, state: str, event: RunFinished | RunFailedEvent, summary: dict[str, Any]) -> None:
        write_summary(self.run_dir, summary)
        with self._lock:
            self._state = state
        self.result = event
        self._emit(event)

    def _emit(self, event: Event) -> None:
        if self._log is not None:
            self._log.write(event)
        for callback in self._subscribers:
            callback(event)

    def _failure_summary(self, error: str, step: int) -> dict[str, Any]:
        return {"run_id": self.run_id, "status": "failed", "error": error, "steps": step, **self._names()}

    def _names(self) -> dict[str, str]:
        return {"dataset": self.config.dataset, "cell": self.config.cell, "task": self.config.task}


class _Loop:
    """The state of one training session of a Run: steps, evaluations, showcases, checkpoints."""

    def __init__(self, run: Run, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 parameters: list[torch.Tensor], data_rng: torch.Generator,
                 sample_rng: torch.Generator, progress: Progress, total_steps: int | None):
        self.run, self.model, self.optimizer, self.parameters = run, model, optimizer, parameters
        self.data_rng, self.sample_rng, self.progress = data_rng, sample_rng, progress
        self.total_steps = total_steps
        self.task = run._task
        self.train = run.train
        self.higher = self.task.higher_is_better
        self.metric = self.task.metric

    def run_steps(self) -> str:
        """Train until a bound, early stopping or a stop request; returns the finishing status."""
        train, progress, run = self.train, self.progress, self.run
        steps, epochs, budget = train["steps"], train["epochs"], train["time_budget"]
        eval_every, sample_every = train["eval_every"], train["sample_every"]
        session_start = time.perf_counter()
        started_at = session_start - progress.elapsed
        session_tokens = 0
        session_steps = 0
        device_is_cpu = run.device.type == "cpu"
        while not (epochs and progress.epoch >= epochs):
            if progress.position == 0:
                progress.epoch_rng = self.data_rng.get_state()
            else:
                self.data_rng.set_state(progress.epoch_rng)
            for index, batch in enumerate(self.task.batches("train", train["batch_size"], self.data_rng)):
                if index < progress.position:
                    continue
                if not run._unpaused.is_set():
                    self._wait_while_paused()
                if run._stop.is_set():
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
                run._emit(StepDone(run.run_id, progress.step, progress.epoch, loss,
                                   self.optimizer.param_groups[0]["lr"], session_tokens / session_time,
                                   progress.elapsed, self._eta(session_time / session_steps)))
                if sample_every and progress.step % sample_every == 0:
                    self.showcase()
                if eval_every and progress.step % eval_every == 0 and self.validate():
                    return "early-stopped"
                if run._stop.is_set():
                    return self._stopping()
                if (steps and progress.step >= steps) or (budget and progress.elapsed >= budget):
                    return "completed"
            progress.epoch += 1
            progress.position = 0
            if not eval_every and self.validate():
                return "early-stopped"
        return "completed"

    def _wait_while_paused(self) -> None:
        run = self.run
        run._emit(StateChanged(run.run_id, "paused"))
        run._unpaused.wait()
        if not run._stop.is_set():
            run._emit(StateChanged(run.run_id, "running"))

    def _stopping(self) -> str:
        self.run._emit(StateChanged(self.run.run_id, "stopping"))
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
        run._emit(Evaluated(run.run_id, progress.step, "validation", metrics))
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
        self.run._emit(Sampled(self.run.run_id, self.progress.step, texts))

    def checkpoint(self) -> None:
        event = save_snapshot(self.run.run_dir, self.run.run_id, self.model, self.optimizer,
                              self.data_rng, self.sample_rng, self.progress, self._metadata())
        self.run._emit(event)

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
            run._emit(Evaluated(run.run_id, progress.step, "test", test))
        return {
            "run_id": run.run_id,
            "status": status,
            **run._names(),
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


def check_resumable(run_dir: Path, config: RunConfig) -> None:
    """Refuse to resume a run with another dataset, cell, task or model-shaping options."""
    path = run_dir / CHECKPOINT_FILE
    if not path.is_file():
        raise CheckpointError(
            f"Cannot resume {run_dir}: it has no {CHECKPOINT_FILE} (the run saved none before it ended)."
        )
    saved = RunConfig.from_dict(read_metadata(path)["config"], source=str(path))
    for kind in ("dataset", "cell", "task"):
        was, now = getattr(saved, kind), getattr(config, kind)
        if was != now:
            raise CheckpointError(
                f"Cannot resume {run_dir} with {kind} {now!r}: it was trained with {kind} {was!r}. "
                f"Resume with the same {kind}, or start a new run."
            )
        was_options, now_options = getattr(saved, f"{kind}_options"), getattr(config, f"{kind}_options")
        if was_options != now_options:
            keys = {*was_options, *now_options}
            changed = sorted(k for k in keys if was_options.get(k) != now_options.get(k))
            raise CheckpointError(
                f"Cannot resume {run_dir}: {kind} option {changed[0]!r} was "
                f"{was_options.get(changed[0])!r} and is now {now_options.get(changed[0])!r}. "
                "Only [train] settings may change on resume."
            )
