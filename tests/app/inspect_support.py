"""Run directories with fixed names and seeded weights, for Inspect screen tests and snapshots.

A real run's directory is named after the time it started; these are named once and for all, and
their weights come from a seed, so a screen drawn from them is the same on every machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from app_support import builtin_registry

from workbench.config import RunConfig
from workbench.engine.checkpoint import model_tensors, save_checkpoint
from workbench.runs.directory import BEST_FILE, CHECKPOINT_FILE, SUMMARY_FILE


def seeded_run(runs: Path, corpora: Path, run_id: str, dataset: str, cell: str, task: str,
               step: int | None = None, seed: int = 0, **cell_options: Any) -> Path:
    """A run directory whose weights are drawn from `seed`: best weights, or the checkpoint of `step`."""
    config = RunConfig(dataset=dataset, cell=cell, task=task,
                       cell_options={"hidden_size": 12, "layers": 2, **cell_options},
                       task_options={"embedding_size": 8}, corpora=corpora)
    resolved = config.resolve(builtin_registry())
    task_plugin = resolved.task.cls(resolved.task_options)
    task_plugin.prepare(resolved.dataset.cls(resolved.dataset_options, corpus_root=corpora), 0)
    torch.manual_seed(seed)
    model = task_plugin.build_model(resolved.cell.cls(resolved.cell_options))
    run_dir = runs / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, Any] = {"run_id": run_id, "config": resolved.as_config().to_dict(),
                                "task": task_plugin.metadata(), "metric": task_plugin.metric}
    if step is None:
        save_checkpoint(run_dir / BEST_FILE, model_tensors(model), metadata)
    else:
        metadata["progress"] = {"step": step}
        save_checkpoint(run_dir / CHECKPOINT_FILE, model_tensors(model), metadata)
    summary = {"run_id": run_id, "status": "completed" if step is None else "running",
               "dataset": dataset, "cell": cell, "task": task}
    (run_dir / SUMMARY_FILE).write_text(json.dumps(summary), encoding="utf-8")
    return run_dir
