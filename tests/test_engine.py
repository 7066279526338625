"""The training engine: events, exact resumption, controls from another thread, and failures."""

from __future__ import annotations

import gc
import json
import threading
import time
from pathlib import Path

import pytest
import torch
from engine_support import registry_with_faults, tiny_config
from tiny_corpora import tiny_divina_text

from workbench.config import RunConfig
from workbench.engine.checkpoint import load_checkpoint, read_metadata
from workbench.engine.run import Run, collector_paused
from workbench.engine.training import learning_rate_factor
from workbench.errors import CheckpointError, ConfigError
from workbench.events import Evaluated, Event, RunFailed, RunFinished, StateChanged, StepDone
from workbench.runs.directory import BEST_FILE, CHECKPOINT_FILE, METRICS_FILE, SAMPLES_FILE


def run_collecting(run: Run) -> tuple[RunFinished | RunFailed, list[Event]]:
    events: list[Event] = []
    run.subscribe(events.append)
    return run.run_sync(), events


def test_a_run_emits_its_events_and_writes_its_directory(tiny_corpora: Path, tmp_path: Path) -> None:
    result, events = run_collecting(Run(tiny_config(tiny_corpora, tmp_path / "runs")))
    assert isinstance(result, RunFinished) and result.status == "completed"
    kinds = [event.kind for event in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("step") == 6
    assert [e.step for e in events if isinstance(e, StepDone)] == [1, 2, 3, 4, 5, 6]
    splits = [(e.step, e.split) for e in events if e.kind == "evaluation"]
    assert splits == [(3, "validation"), (6, "validation"), (6, "test")]
    summary = result.summary
    assert summary.steps == 6 and summary.parameters > 0 and summary.tokens_per_second > 0
    assert set(summary.test) >= {"loss", "accuracy"}
    assert summary.best_validation["accuracy"] >= summary.final_validation["accuracy"]
    assert summary.versions["torch"] == torch.__version__
    run_dir = Path(events[0].run_dir)
    for name in ("config.toml", METRICS_FILE, SAMPLES_FILE, CHECKPOINT_FILE, BEST_FILE, "summary.json"):
        assert (run_dir / name).is_file(), name
    assert len((run_dir / METRICS_FILE).read_text().splitlines()) == len(events)
    assert "--- step 3" in (run_dir / SAMPLES_FILE).read_text()


def test_a_pruned_run_keeps_its_checkpoint_and_its_labels(tiny_corpora: Path, tmp_path: Path) -> None:
    """A study stops a run it gives up on with the status `pruned`, after the evaluation that
    decided it; the run's labels (its study and trial) are in every summary it writes."""
    run = Run(tiny_config(tiny_corpora, tmp_path / "runs", steps=9, eval_every=3),
              labels={"study": "search", "trial": 4})

    def prune_on_evaluation(event: Event) -> None:
        if isinstance(event, Evaluated) and event.split == "validation":
            run.stop("pruned")

    run.subscribe(prune_on_evaluation)
    result, events = run_collecting(run)
    assert isinstance(result, RunFinished) and result.status == "pruned"
    assert result.summary.steps == 3 and result.summary.test == {}, "a pruned run is not tested"
    assert read_metadata(run.run_dir / CHECKPOINT_FILE)["progress"]["step"] == 3
    summary = json.loads((run.run_dir / "summary.json").read_text())
    assert summary["status"] == "pruned" and summary["labels"] == {"study": "search", "trial": 4}
    assert not [e for e in events if isinstance(e, StepDone) and e.step > 3]


@pytest.mark.parametrize("stop_at", [4, 5])
def test_stop_and_resume_continues_exactly(tiny_corpora: Path, tmp_path: Path, stop_at: int) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs", steps=9, eval_every=3)
    straight, straight_events = run_collecting(Run(config))
    assert isinstance(straight, RunFinished)

    first = Run(config)

    def stop_at_step(event: Event) -> None:
        if isinstance(event, StepDone) and event.step == stop_at:
            first.stop()

    first.subscribe(stop_at_step)
    stopped, first_events = run_collecting(first)
    assert isinstance(stopped, RunFinished) and stopped.status == "stopped"
    assert read_metadata(first.run_dir / CHECKPOINT_FILE)["progress"]["step"] == stop_at
    resumed, resumed_events = run_collecting(Run(config, resume=first.run_dir))
    assert isinstance(resumed, RunFinished) and resumed.status == "completed"

    def losses(events: list[Event]) -> list[float]:
        return [e.loss for e in events if isinstance(e, StepDone)]

    assert losses(first_events) + losses(resumed_events) == losses(straight_events)
    weights, _ = load_checkpoint(Path(straight_events[0].run_dir) / CHECKPOINT_FILE)
    resumed_weights, _ = load_checkpoint(first.run_dir / CHECKPOINT_FILE)
    model_keys = [key for key in weights if key.startswith("model.")]
    assert model_keys and all(torch.equal(weights[k], resumed_weights[k]) for k in model_keys)
    assert resumed.summary.test == straight.summary.test


def test_checkpoints_keep_the_layout_earlier_versions_wrote(tiny_corpora: Path, tmp_path: Path) -> None:
    """The tensor names and document fields every checkpoint so far has had, which is what lets
    them all resume: changing one needs a reader for the old layout, and a test of it."""
    run = Run(tiny_config(tiny_corpora, tmp_path / "runs", steps=4, eval_every=2))
    run.run_sync()
    tensors, document = load_checkpoint(run.run_dir / CHECKPOINT_FILE)
    others = {name for name in tensors if not name.startswith(("model.", "optimizer."))}
    assert others == {"rng.torch", "rng.data", "rng.sample", "rng.data_epoch"}
    optimizer = {name.split(".", 2)[2] for name in tensors if name.startswith("optimizer.")}
    assert optimizer == {"step", "exp_avg", "exp_avg_sq"}
    assert any(name.startswith("model.") for name in tensors)
    assert set(document) == {"run_id", "config", "task", "metric", "format", "progress", "optimizer"}
    assert document["format"] == 1 and set(document["optimizer"]) == {"param_groups", "scalars"}
    assert set(document["progress"]) == {
        "step", "epoch", "position", "elapsed", "tokens", "train_time", "best_metric", "best_step",
        "best_validation", "last_validation", "last_eval_step", "stale_evaluations"}


def test_a_stateful_run_resumed_mid_document_continues_exactly(tmp_path: Path) -> None:
    text = tmp_path / "poem.txt"
    text.write_text(tiny_divina_text(), encoding="utf-8")
    config = RunConfig(
        dataset="text", cell="gru", task="generate", dataset_options={"path": str(text)},
        cell_options={"hidden_size": 16, "layers": 1}, task_options={"embedding_size": 8, "seq_len": 16},
        train={"steps": 9, "batch_size": 4, "eval_every": 3}, runs_dir=tmp_path / "runs",
    )
    straight, straight_events = run_collecting(Run(config))
    assert isinstance(straight, RunFinished) and straight.summary.extra["stateful"] is True
    first = Run(config)
    first.subscribe(lambda event: first.stop() if isinstance(event, StepDone) and event.step == 5 else None)
    run_collecting(first)
    saved, _ = load_checkpoint(first.run_dir / CHECKPOINT_FILE)
    assert saved["task.state.0"].shape == (1, 4, 16)  # the state each of the 4 rows carries on with
    resumed, resumed_events = run_collecting(Run(config, resume=first.run_dir))

    def losses(events: list[Event]) -> list[float]:
        return [e.loss for e in events if isinstance(e, StepDone)]

    assert losses(straight_events)[5:] == losses(resumed_events)
    assert resumed.summary.test == straight.summary.test


def test_resuming_with_another_cell_is_refused(tiny_corpora: Path, tmp_path: Path) -> None:
    run = Run(tiny_config(tiny_corpora, tmp_path / "runs", steps=2, eval_every=0))
    run.run_sync()
    other = tiny_config(tiny_corpora, tmp_path / "runs", cell="lstm")
    with pytest.raises(CheckpointError, match="trained with cell 'gru'"):
        Run(other, resume=run.run_dir)
    bigger = tiny_config(tiny_corpora, tmp_path / "runs")
    bigger.cell_options["hidden_size"] = 32
    with pytest.raises(CheckpointError, match="hidden_size"):
        Run(bigger, resume=run.run_dir)


def wait_for(condition: threading.Event, what: str) -> None:
    assert condition.wait(20), f"timed out waiting for {what}"


def test_stop_from_another_thread_ends_after_the_current_step_with_a_checkpoint(
    tiny_corpora: Path, tmp_path: Path
) -> None:
    run = Run(tiny_config(tiny_corpora, tmp_path / "runs", steps=100_000, eval_every=0))
    stepped = threading.Event()
    steps: list[int] = []

    def on_event(event: object) -> None:
        if isinstance(event, StepDone):
            steps.append(event.step)
            stepped.set()

    run.subscribe(on_event)
    run.start()
    wait_for(stepped, "a first step")
    run.stop()
    steps_when_stopped = steps[-1]
    assert run.join(timeout=60.0), "the run did not end after stop()"
    assert run.state == "finished"
    # Stop finishes the step under way and trains no further.
    assert run.result.summary.steps <= steps_when_stopped + 1
    assert isinstance(run.result, RunFinished) and run.result.status == "stopped"
    saved = read_metadata(run.run_dir / CHECKPOINT_FILE)
    assert saved["progress"]["step"] == run.result.summary.steps >= 1


def test_pause_holds_the_loop_and_resume_continues(tiny_corpora: Path, tmp_path: Path) -> None:
    run = Run(tiny_config(tiny_corpora, tmp_path / "runs", steps=100_000, eval_every=0))
    steps: list[int] = []
    stepped, paused, more = threading.Event(), threading.Event(), threading.Event()

    def watch(event: Event) -> None:
        if isinstance(event, StepDone):
            steps.append(event.step)
            stepped.set()
            if paused.is_set() and len(steps) > held + 2:
                more.set()
        if isinstance(event, StateChanged) and event.state == "paused":
            paused.set()

    held = 10**9
    run.subscribe(watch)
    run.start()
    wait_for(stepped, "a first step")
    run.pause()
    wait_for(paused, "the paused state")
    assert run.state == "paused"
    held = len(steps)
    time.sleep(0.3)
    assert len(steps) == held, "steps ran while paused"
    run.resume()
    wait_for(more, "steps after resume")
    run.stop()
    assert run.join(timeout=60.0), "the run did not end after stop()"
    assert run.result.status == "stopped"


def test_a_cell_that_raises_fails_the_run_naming_it(tiny_corpora: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs", cell="broken")
    result, events = run_collecting(Run(config, registry=registry_with_faults()))
    assert isinstance(result, RunFailed)
    assert result.error.startswith("cell 'broken' raised RuntimeError: the broken cell gave up")
    assert any(isinstance(e, StepDone) for e in events), "the cell should fail mid-run, not at once"
    assert '"status": "failed"' in (tmp_path / "runs" / result.run_id / "summary.json").read_text()


def test_nan_loss_fails_and_keeps_the_last_good_checkpoint(tiny_corpora: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs", eval_every=2)
    config.task = "nan-classify"
    run = Run(config, registry=registry_with_faults())
    result, _ = run_collecting(run)
    assert isinstance(result, RunFailed) and result.step == 4
    assert "loss became nan at step 4" in result.error and "lower the learning rate" in result.error
    saved = read_metadata(run.run_dir / CHECKPOINT_FILE)
    assert saved["progress"]["step"] == 2
    tensors, _ = load_checkpoint(run.run_dir / CHECKPOINT_FILE)
    assert all(torch.isfinite(t).all() for k, t in tensors.items() if k.startswith("model."))


def test_a_huge_learning_rate_is_caught(tiny_corpora: Path, tmp_path: Path) -> None:
    result, _ = run_collecting(Run(tiny_config(tiny_corpora, tmp_path / "runs", learning_rate=1e30,
                                               grad_clip=0.0)))
    assert isinstance(result, RunFailed)
    assert "loss became" in result.error and "train.learning_rate = 1e+30" in result.error


def test_patience_stops_early(tiny_corpora: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs", steps=200, eval_every=1, patience=2,
                         learning_rate=0.0, optimizer="sgd")
    result, events = run_collecting(Run(config))
    assert isinstance(result, RunFinished) and result.status == "early-stopped"
    assert result.summary.steps == 3 and result.summary.best_step == 1


def test_a_time_budget_alone_bounds_the_run(tiny_corpora: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs", steps=0, epochs=0, time_budget=0.2, eval_every=0)
    result, events = run_collecting(Run(config))
    assert isinstance(result, RunFinished) and result.status == "completed"
    assert result.summary.steps == sum(isinstance(e, StepDone) for e in events) > 0


def test_epochs_bound_the_run_and_evaluate_at_each_end(tiny_corpora: Path, tmp_path: Path) -> None:
    config = tiny_config(tiny_corpora, tmp_path / "runs", steps=0, epochs=2, eval_every=0)
    result, events = run_collecting(Run(config))
    started = events[0]
    assert isinstance(result, RunFinished) and result.summary.epochs == 2
    assert result.summary.steps == started.total_steps
    validations = [e.step for e in events if e.kind == "evaluation" and e.split == "validation"]
    assert validations == [started.total_steps // 2, started.total_steps]


@pytest.mark.parametrize(("schedule", "step", "progress", "factor"), [
    ("constant", 0, 0.0, 0.25),  # warm-up: step 1 of 4
    ("constant", 10, 0.5, 1.0),
    ("cosine", 10, 0.5, 0.5),
    ("cosine", 10, 1.0, 0.0),
    ("linear", 10, 0.25, 0.75),
])
def test_learning_rate_curves(schedule: str, step: int, progress: float, factor: float) -> None:
    assert learning_rate_factor(schedule, 4, step, progress) == pytest.approx(factor)


def test_asking_for_cuda_without_it_is_a_config_error(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="no CUDA device"):
        Run(tiny_config(tiny_corpora, tmp_path / "runs", device="cuda"))
    assert not (tmp_path / "runs").exists()


def test_data_loading_pauses_the_garbage_collector_and_restores_it():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        survivors = [[index] for index in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(survivors)
    gc.unfreeze()


def test_stop_returns_when_the_thread_calling_it_holds_the_runs_control_lock(
    tiny_corpora: Path, tmp_path: Path
) -> None:
    """Ctrl-C's handler runs on the main thread between any two bytecodes, also while that thread is
    inside pause(), resume() or a state change of a run it trains with run_sync()."""
    run = Run(tiny_config(tiny_corpora, tmp_path / "runs", steps=2, eval_every=0))
    returned = threading.Event()

    def stop_inside_the_lock() -> None:
        with run._lock:
            run.stop()
        returned.set()

    threading.Thread(target=stop_inside_the_lock, daemon=True).start()
    assert returned.wait(5), "stop() deadlocked on the lock its own thread holds"
