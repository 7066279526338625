"""Does a time budget hold end to end? Times `workbench run ... --time-budget S` as a person would,
from launching the command to its exit (run by hand, on a quiet machine).

    WORKBENCH_CORPORA=/path/to/corpora .venv/bin/python benchmarks/time_budget.py [--budget 60]

For each cell (default gru-custom and lstm) it runs
`workbench run --dataset divina --task generate --cell CELL --time-budget S` in a fresh process and
prints the wall time against the budget, with what the run's summary says: steps, wall time,
what ended it and the share of validation it scored.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench.runs.directory import read_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--cell", action="append", help="cells to run (default gru-custom and lstm)")
    args = parser.parse_args()
    workbench = Path(sys.executable).with_name("workbench")
    print(f"{'cell':<12} {'budget':>7} {'process':>8} {'summary':>8} {'off by':>7} {'steps':>6}  "
          "ended by / validation share")
    for cell in args.cell or ["gru-custom", "lstm"]:
        with tempfile.TemporaryDirectory() as scratch:
            runs = Path(scratch) / "runs"
            command = [str(workbench), "run", "--dataset", "divina", "--task", "generate", "--cell", cell,
                       "--time-budget", str(args.budget), "--runs-dir", str(runs), "--json"]
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            wall = time.perf_counter() - started
            (summary_file,) = runs.glob("*/summary.json")
            summary = read_summary(summary_file.parent)
        share = summary.final_validation.get("share", 1.0)
        print(f"{cell:<12} {args.budget:>6.0f}s {wall:>7.1f}s {summary.wall_time:>7.1f}s "
              f"{(wall - args.budget) / args.budget:>+7.1%} {summary.steps:>6}  "
              f"{summary.ended_by} / {share:.0%}")


if __name__ == "__main__":
    main()
