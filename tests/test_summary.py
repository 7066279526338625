"""A run's summary is one typed object: summary.json files of every layout so far load into it,
round-trip through it, and every reader takes the same derived numbers from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.errors import CheckpointError
from workbench.runs.directory import SUMMARY_FILE, read_run, read_summary, write_summary
from workbench.summary import RunSummary

# summary.json as the engine wrote it before the summary had a type of its own (literal, on purpose).
CURRENT_LAYOUT = """{
  "run_id": "20260101-120000-names-gru-classify",
  "status": "completed",
  "ended_by": "steps",
  "dataset": "names",
  "cell": "gru",
  "task": "classify",
  "metric": "accuracy",
  "higher_is_better": true,
  "steps": 60,
  "epochs": 1,
  "wall_time": 12.345,
  "parameters": 3459,
  "tokens_per_second": 5123.4,
  "threads": 2,
  "final_validation": {"loss": 0.7456, "accuracy": 0.7456, "per_class": {"German": 0.5}},
  "best_validation": {"loss": 0.9123, "accuracy": 0.8123, "confusion": [[3, 1], [0, 4]],
                      "classes": ["German", "Italian"]},
  "best_step": 40,
  "test": {"loss": 0.95, "accuracy": 0.79},
  "versions": {"python": "3.11.7", "torch": "2.13.0", "workbench": "0.1.0"},
  "labels": {"study": "seeds", "trial": 3}
}
"""

# The first versions: no ended_by, threads or labels; a generate task's own field at the top.
OLDER_LAYOUT = """{
  "run_id": "20250101-000000-divina-lstm-generate",
  "status": "early-stopped",
  "dataset": "divina",
  "cell": "lstm",
  "task": "generate",
  "metric": "bpc",
  "higher_is_better": false,
  "steps": 300,
  "epochs": 2,
  "wall_time": 95.5,
  "parameters": 120000,
  "tokens_per_second": 900.0,
  "final_validation": {"loss": 1.52, "bpc": 2.19},
  "best_validation": {"loss": 1.49, "bpc": 2.15, "perplexity": 4.44},
  "best_step": 250,
  "test": {"loss": 1.5, "bpc": 2.16},
  "stateful": true,
  "versions": {"python": "3.11.7", "torch": "2.13.0", "workbench": "0.1.0"}
}
"""

# What those versions wrote while a run trained, and when one failed.
OLDER_RUNNING = ('{"run_id": "r-running", "status": "running", "dataset": "names", "cell": "gru", '
                 '"task": "classify"}')
OLDER_FAILED = ('{"run_id": "r-failed", "status": "failed", "error": "cell \'broken\' raised RuntimeError", '
                '"steps": 7, "dataset": "names", "cell": "broken", "task": "classify"}')


def run_dir_with(tmp_path: Path, name: str, text: str) -> Path:
    run_dir = tmp_path / name
    run_dir.mkdir()
    (run_dir / SUMMARY_FILE).write_text(text, encoding="utf-8")
    return run_dir


def test_a_summary_in_the_current_layout_loads_with_its_derived_numbers(tmp_path: Path) -> None:
    summary = read_summary(run_dir_with(tmp_path, "current", CURRENT_LAYOUT))
    assert (summary.metric_name, summary.higher_is_better, summary.ended_by) == ("accuracy", True, "steps")
    assert (summary.metric, summary.loss, summary.best.step) == (0.8123, 0.9123, 40), "one evaluation"
    assert summary.final.metrics["accuracy"] == 0.7456 and summary.test_metric == 0.79
    assert summary.labels == {"study": "seeds", "trial": 3} and summary.threads == 2
    assert summary.ended and summary.extra == {}
    assert summary.to_json() == json.loads(CURRENT_LAYOUT) | {"error": None}


def test_a_summary_in_the_older_layout_loads_and_keeps_the_tasks_own_field(tmp_path: Path) -> None:
    run_dir = run_dir_with(tmp_path, "older", OLDER_LAYOUT)
    summary = read_run(run_dir).summary
    assert summary.status == "early-stopped" and summary.ended_by is None and summary.threads is None
    assert (summary.metric_name, summary.metric, summary.loss, summary.best.step) == ("bpc", 2.15, 1.49, 250)
    assert summary.rank() == (False, 2.15), "lower is better: the value itself sorts"
    assert summary.extra == {"stateful": True} and summary.labels == {}
    write_summary(run_dir, summary)  # written back: the same summary, the task's field where it was
    assert read_summary(run_dir) == summary
    assert json.loads((run_dir / SUMMARY_FILE).read_text())["stateful"] is True


def test_older_running_and_failed_summaries_load_without_numbers(tmp_path: Path) -> None:
    interrupted = read_run(run_dir_with(tmp_path, "running", OLDER_RUNNING)).summary
    assert interrupted.status == "interrupted", "no process holds its lock"
    assert interrupted.metric_name is None and interrupted.metric is None and not interrupted.ended
    assert interrupted.rank() == (True, 0.0), "a run with no metric sorts last"
    failed = read_run(run_dir_with(tmp_path, "failed", OLDER_FAILED)).summary
    assert failed.ended and failed.steps == 7 and failed.error == "cell 'broken' raised RuntimeError"
    assert failed.best.metrics == {} and failed.final.metrics == {}


@pytest.mark.parametrize("text", ['["not", "an", "object"]', '{"status": "completed", "best_validation": 3}',
                                  '{"status": "completed", "steps": "many"}', '{"status": '])
def test_a_damaged_summary_is_a_clear_error(tmp_path: Path, text: str) -> None:
    run_dir = run_dir_with(tmp_path, "damaged", text)
    damaged = "summary.json cannot be read .*the run directory may be damaged"
    with pytest.raises(CheckpointError, match=damaged):
        read_run(run_dir)


def test_the_json_round_trip_is_exact() -> None:
    summary = RunSummary("r", "stopped", ended_by="stop", dataset="names", cell="gru", task="classify",
                         metric_name="accuracy", higher_is_better=True, steps=9, epochs=1, wall_time=1.5,
                         parameters=10, tokens_per_second=300.0, threads=1,
                         final_validation={"loss": 1.0, "accuracy": 0.5}, best_validation={"accuracy": 0.6},
                         best_step=6, extra={"stateful": False}, labels={"study": "s"})
    document = json.loads(json.dumps(summary.to_json()))
    assert document["metric"] == "accuracy" and document["stateful"] is False
    assert RunSummary.from_json(document) == summary


def test_the_shown_metric_follows_the_tasks_direction() -> None:
    def hits(value: float) -> RunSummary:
        return RunSummary("r", "completed", metric_name="hits", higher_is_better=True,
                          best_validation={"hits": value, "loss": 2.0}, best_step=4)

    assert hits(0.9).metric == 0.9 and hits(0.9).rank() < hits(0.5).rank(), "higher is better: first"
    bpc = RunSummary("b", "completed", metric_name="bpc", best_validation={"bpc": 1.5}, best_step=2)
    assert bpc.rank() == (False, 1.5)
    assert RunSummary("d", "completed", metric_name="hits", best_validation={"hits": True}).metric is None
