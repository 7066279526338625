"""How long one validation pass takes, the old way against the engine's way (run by hand).

    WORKBENCH_CORPORA=/path/to/corpora .venv/bin/python benchmarks/evaluation_speed.py [--cell lstm]

Before: the task's evaluate under torch.no_grad at the training batch size. After: what the
engine does now, under torch.inference_mode at EVALUATION_BATCH_FACTOR times that batch. Both
score the full validation split of `divina` with `generate`'s default model (untrained weights
cost the same as trained ones); the median of several passes is reported.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import AbstractContextManager

import torch

from workbench.config import RunConfig
from workbench.engine.budget import EVALUATION_BATCH_FACTOR
from workbench.registry import default_registry


def timed_pass(task: object, model: torch.nn.Module, mode: AbstractContextManager, batch: int) -> float:
    started = time.perf_counter()
    with mode:
        task.evaluate(model, "validation", batch)  # type: ignore[attr-defined]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cell", action="append", help="cells to time (default gru-custom and lstm)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0 = torch's default")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    registry = default_registry()
    print(f"divina · generate validation split, {torch.get_num_threads()} threads, "
          f"median of {args.repeats} passes")
    print(f"{'cell':<12} {'before (s)':>11} {'after (s)':>10} {'speed-up':>9}")
    for cell in args.cell or ["gru-custom", "lstm"]:
        resolved = RunConfig(dataset="divina", cell=cell, task="generate").resolve(registry)
        task = resolved.task.cls(resolved.task_options)
        task.prepare(resolved.dataset.cls(resolved.dataset_options), resolved.train["seed"])
        torch.manual_seed(0)
        model = task.build_model(resolved.cell.cls(resolved.cell_options))
        batch = resolved.train["batch_size"]
        timed_pass(task, model, torch.inference_mode(), batch)  # warm-up
        before = statistics.median(timed_pass(task, model, torch.no_grad(), batch)
                                   for _ in range(args.repeats))
        after = statistics.median(timed_pass(task, model, torch.inference_mode(),
                                             batch * EVALUATION_BATCH_FACTOR) for _ in range(args.repeats))
        print(f"{cell:<12} {before:>11.2f} {after:>10.2f} {before / after:>8.2f}×")


if __name__ == "__main__":
    main()
