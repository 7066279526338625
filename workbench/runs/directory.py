"""Runs on disk: one directory per run, the files in it, and reading a run's summary back.

    runs/<id>/config.toml              the resolved config
    runs/<id>/metrics.jsonl            one JSON object per event, appended as it happens (runs.history)
    runs/<id>/samples.txt              every showcase, with its step (runs.history)
    runs/<id>/checkpoint.safetensors   the latest state, to resume from
    runs/<id>/best.safetensors         weights at the best validation metric, for predict/sample
    runs/<id>/summary.json             status and final numbers (workbench.summary), rewritten atomically
    runs/<id>/run.lock                 locked by the process training the run (runs.lock)

A summary that says "running" while no process holds the lock is a run that was killed: it is
read back as "interrupted", and resuming it first rewinds its logs to its checkpoint's step.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbench.config import RunConfig
from workbench.errors import CheckpointError, WorkbenchError
from workbench.runs.atomic import atomic_write_json
from workbench.runs.lock import is_live
from workbench.summary import RUNNING, RunSummary

RUNS_DIR_ENV = "WORKBENCH_RUNS_DIR"
CONFIG_FILE = "config.toml"
METRICS_FILE = "metrics.jsonl"
SAMPLES_FILE = "samples.txt"
CHECKPOINT_FILE = "checkpoint.safetensors"
BEST_FILE = "best.safetensors"
SUMMARY_FILE = "summary.json"
INTERRUPTED = "interrupted"  # the status of a run whose process died while it trained
def default_runs_dir() -> Path:
    """`$WORKBENCH_RUNS_DIR`, else `runs/` in the current directory."""
    return Path(os.environ.get(RUNS_DIR_ENV) or "runs")


def create_run_dir(runs_dir: Path, dataset: str, cell: str, task: str) -> Path:
    """A new, empty directory named `<time>-<dataset>-<cell>-<task>`, suffixed if the name is taken."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{dataset}-{cell}-{task}"
    for attempt in range(1000):
        candidate = runs_dir / (stem if attempt == 0 else f"{stem}-{attempt + 1}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise CheckpointError(f"Could not create a new run directory in {runs_dir}: too many runs named {stem}.")


def write_summary(run_dir: Path, summary: RunSummary) -> None:
    atomic_write_json(run_dir / SUMMARY_FILE, summary.to_json())


def read_summary(run_dir: Path) -> RunSummary:
    """The summary of a run directory as written, or a CheckpointError if it has none or it is damaged."""
    path = Path(run_dir) / SUMMARY_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            raise ValueError("it does not hold a JSON object")
        return RunSummary.from_json({"run_id": Path(run_dir).name, **document})
    except FileNotFoundError:
        raise CheckpointError(f"{run_dir} is not a run directory: it has no {SUMMARY_FILE}.") from None
    except (OSError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path} cannot be read ({error}); the run directory may be damaged.") from None


@dataclass(frozen=True)
class RunRecord:
    """A run directory and its summary, whose status says "interrupted" for a run that was killed."""

    run_dir: Path
    summary: RunSummary


def read_run(run_dir: Path) -> RunRecord:
    """The record of a run directory, or a CheckpointError if it is not one."""
    run_dir = Path(run_dir)
    summary = read_summary(run_dir)
    if summary.status == RUNNING and not is_live(run_dir):
        summary = replace(summary, status=INTERRUPTED)
    return RunRecord(run_dir, summary)


def run_settings(record: RunRecord) -> dict[str, Any]:
    """A run's resolved settings as flat `kind.option` keys (cell options under `cell.`)."""
    try:
        config = RunConfig.from_toml(record.run_dir / CONFIG_FILE)
    except WorkbenchError:
        return {}
    settings: dict[str, Any] = {"dataset": config.dataset, "task": config.task}
    settings.update({f"train.{key}": value for key, value in config.train.items()})
    for kind, name in (("dataset", config.dataset), ("cell", config.cell), ("task", config.task)):
        settings.update({f"{kind}.{key}": value for key, value in config.options_for(kind, name).items()})
    return settings


def list_runs(runs_dir: Path | None = None) -> list[RunRecord]:
    """Every run under `runs_dir`, newest first; directories that are not runs are skipped."""
    runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    if not runs_dir.is_dir():
        return []
    records = []
    for child in sorted(runs_dir.iterdir(), reverse=True):
        if (child / SUMMARY_FILE).is_file():
            try:
                records.append(read_run(child))
            except CheckpointError:
                continue
    return records


def find_run_dir(name: str | Path, runs_dir: Path | None = None) -> Path:
    """A run given as a path or as an id under the runs directory."""
    under = (Path(runs_dir) if runs_dir is not None else default_runs_dir()) / str(name)
    for path in (Path(name), under):
        if any((path / marker).is_file() for marker in (SUMMARY_FILE, CHECKPOINT_FILE, CONFIG_FILE)):
            return path
    raise CheckpointError(
        f"No run {str(name)!r}: give a run directory or an id listed by `workbench runs` "
        "(use --runs-dir if the runs live elsewhere)."
    )
