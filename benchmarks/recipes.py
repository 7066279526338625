"""What the default recipes reach in their time budgets (run by hand, on a quiet machine).

    WORKBENCH_CORPORA=/path/to/corpora .venv/bin/python benchmarks/recipes.py [--only divina|names]
        [--previous] [--readme-table] [--runs-dir DIR] [--scale 1.0]

Each run is one `workbench run` in a fresh process, one at a time, with nothing but the data, the
cell, the task and `--time-budget` given:

- divina lowercased and without punctuation (the reference's text), `gru`, `generate`, 600 s: the
  defaults (stateful), then the same with `--set generate.stateful=false`, so stateful and stateless
  training are compared on the same budget; target: validation at or below 1.38 nats per character;
- names, `gru`, `classify`, 180 s; target: test accuracy at or above 86.5%;
- `--previous` adds the generate recipe the defaults replaced (2 × 256 units, no dropout,
  128-character windows) on the same budget;
- `--readme-table` adds the README's table: a 600 s compare of the six built-in cells on each
  dataset (two hours), printed as Markdown.

For every run it prints the steps, characters (or names) trained on, tokens/s, threads, wall time,
the best validation and the test, and the validation metric against wall-clock seconds; each group's
curves go to an SVG beside its runs (`workbench runs plot --x seconds`, which needs the `plots`
extra). `--scale 0.05` shrinks every budget, to check the script quickly.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.formatting import format_metrics, format_number
from workbench.runs.directory import RunRecord, read_run
from workbench.runs.plots import plot_curves, read_curves
from workbench.summary import Evaluation

WORKBENCH = Path(sys.executable).with_name("workbench")
POEM = ["--dataset", "divina", "--set", "divina.lowercase=true", "--set", "divina.strip_punctuation=true",
        "--task", "generate"]
NAMES = ["--dataset", "names", "--task", "classify"]
PREVIOUS_GENERATE = ["--set", "cell.hidden_size=256", "--set", "cell.dropout=0",
                     "--set", "generate.seq_len=128"]
CELLS = ["rnn", "lstm", "gru", "rnn-custom", "lstm-custom", "gru-custom"]


@dataclass(frozen=True)
class Group:
    """Runs started by one command: a name for their folder and figure, and what to pass."""

    name: str
    arguments: list[str]
    budget: float
    target: str = ""  # what the run should reach, said beside its result


def groups(only: str | None, previous: bool, readme_table: bool) -> list[Group]:
    poem = [
        Group("divina-gru-stateful", [*POEM, "--cell", "gru"], 600, "validation <= 1.38 nats per character"),
        Group("divina-gru-stateless", [*POEM, "--cell", "gru", "--set", "generate.stateful=false"], 600),
    ]
    if previous:
        poem.append(Group("divina-gru-previous", [*POEM, "--cell", "gru", *PREVIOUS_GENERATE], 600))
    names = [Group("names-gru", [*NAMES, "--cell", "gru"], 180, "test accuracy >= 86.5%")]
    tables = [Group("table-divina", [*POEM, *(a for c in CELLS for a in ("--cell", c))], 600),
              Group("table-names", [*NAMES, *(a for c in CELLS for a in ("--cell", c))], 600)]
    chosen = (poem if only != "names" else []) + (names if only != "divina" else [])
    return chosen + (tables if readme_table else [])


def run_group(group: Group, runs_dir: Path, scale: float) -> list[RunRecord]:
    """Run one group in a fresh process; its runs, in the order they were made."""
    folder = runs_dir / group.name
    before = set(folder.glob("*/")) if folder.exists() else set()
    budget = group.budget * scale
    command = [str(WORKBENCH), "run", *group.arguments, "--time-budget", f"{budget:g}",
               "--runs-dir", str(folder), "--json"]
    print(f"\n## {group.name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    print(f"process wall time {time.perf_counter() - started:.1f} s for a {budget:g} s budget")
    return [read_run(path) for path in sorted(set(folder.glob("*/")) - before)]


def report(record: RunRecord, target: str) -> None:
    summary = record.summary
    metric = summary.metric_name or "loss"
    print(f"{summary.run_id}: {summary.steps} steps, {summary.epochs} epochs, "
          f"{summary.tokens_per_second or 0.0:,.0f} tokens/s on {summary.threads} thread(s), "
          f"wall {summary.wall_time or 0.0:.1f} s, ended by {summary.ended_by}")
    print(f"  best validation (step {summary.best_step}): {format_metrics(summary.best_validation)}")
    print(f"  test: {format_metrics(summary.test)}" + (f"   [target: {target}]" if target else ""))
    curves = read_curves(record.run_dir)
    print(f"  {'step':>6} {'seconds':>8} {'tokens':>11} {'val loss':>9} {metric:>9}")
    for step, evaluation in curves.validations.items():
        seconds, tokens = curves.x(step, "seconds"), curves.x(step, "tokens")
        print(f"  {step:>6} {seconds or 0.0:>8.1f} {tokens or 0.0:>11,.0f} "
              f"{evaluation.metrics['loss']:>9.4f} {evaluation.metrics[metric]:>9.4f}")


def markdown_table(name: str, records: list[RunRecord]) -> None:
    """The README's table: one row per cell, validation (its best) and test from the run's summary."""
    metric = records[0].summary.metric_name or "loss"
    print(f"\n{name}\n\n| cell | validation loss | validation {metric} | test loss | test {metric} | steps | "
          "tokens/s | wall time (s) |\n| --- | --- | --- | --- | --- | --- | --- | --- |")
    for record in records:
        summary = record.summary
        row = [summary.cell, summary.loss, summary.metric, Evaluation(None, summary.test).number("loss"),
               summary.test_metric, summary.steps, summary.tokens_per_second, summary.wall_time]
        print("| " + " | ".join(format_number(value) for value in row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("divina", "names"), help="run only this dataset's recipe")
    parser.add_argument("--previous", action="store_true",
                        help="also the generate recipe the defaults replaced")
    parser.add_argument("--readme-table", action="store_true", help="also the six-cell compares (two hours)")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/recipes"))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every budget (a quick check)")
    args = parser.parse_args()
    for group in groups(args.only, args.previous, args.readme_table):
        records = run_group(group, args.runs_dir, args.scale)
        for record in records:
            report(record, group.target)
        if group.name.startswith("table-"):
            markdown_table(group.name, records)
        figure = args.runs_dir / f"{group.name}.svg"
        try:
            plot_curves([read_curves(record.run_dir) for record in records], figure, "seconds")
            print(f"curves: {figure}")
        except WorkbenchError as error:
            print(f"no figure: {error}")


if __name__ == "__main__":
    main()
