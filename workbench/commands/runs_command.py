"""`workbench runs`: the runs on disk, `compare RUN...` side by side, and figures of them:
`plot RUN... -o curves.svg` and `confusion RUN -o confusion.svg` (the optional `plots` extra)."""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from workbench.commands.run_report import print_comparison
from workbench.errors import WorkbenchError
from workbench.formatting import format_duration, format_metric, format_number
from workbench.runs.directory import INTERRUPTED, RunRecord, find_run_dir, list_runs, read_run
from workbench.runs.plots import X_AXES, plot_confusion, plot_curves, read_curves
from workbench.terminal import console as terminal_console


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("runs", help="list runs on disk, or compare some of them")
    parser.add_argument("--runs-dir", type=Path, metavar="DIR", help="where run directories are")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=show_runs)
    commands = parser.add_subparsers(dest="runs_command", metavar="COMMAND")
    compare = commands.add_parser("compare", help="compare runs in one table")
    compare.add_argument("runs", nargs="+", metavar="RUN", help="run directory or run id")
    compare.add_argument("--runs-dir", type=Path, metavar="DIR", help="where run directories are")
    compare.add_argument("--json", action="store_true", help="print JSON instead of a table")
    compare.set_defaults(handler=compare_runs)
    plot = commands.add_parser(
        "plot", help="draw training and validation curves of runs on one figure (.svg, .png or .pdf)",
    )
    plot.add_argument("runs", nargs="+", metavar="RUN", help="run directory or run id")
    plot.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                      help="the figure to write; its suffix picks the format")
    plot.add_argument("--x", choices=tuple(X_AXES), default="steps", dest="x_axis",
                      help="what the horizontal axis counts (default: steps)")
    plot.add_argument("--smoothing", type=float, metavar="WEIGHT",
                      help="moving-average weight for the training loss, 0 (none) to 0.99; by default "
                           "each run's curve averages over about a fiftieth of its steps")
    plot.add_argument("--runs-dir", type=Path, metavar="DIR", help="where run directories are")
    plot.set_defaults(handler=plot_runs)
    confusion = commands.add_parser("confusion", help="draw a classify run's confusion matrix")
    confusion.add_argument("run", metavar="RUN", help="run directory or run id")
    confusion.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                           help="the figure to write; its suffix picks the format")
    confusion.add_argument("--split", choices=("test", "validation"), default="test",
                           help="which evaluation's matrix (default: test, on the best weights)")
    confusion.add_argument("--runs-dir", type=Path, metavar="DIR", help="where run directories are")
    confusion.set_defaults(handler=plot_confusion_matrix)


def show_runs(args: argparse.Namespace) -> int:
    records = list_runs(args.runs_dir)
    if args.json:
        print(json.dumps([_record_json(record) for record in records], indent=2))
        return 0
    console = terminal_console()
    if not records:
        where = args.runs_dir or "the runs directory"
        console.print(f"No runs in {where} yet: start one with `workbench run`.")
        return 0
    console.print(runs_table(records))
    interrupted = [record.summary.run_id for record in records if record.summary.status == INTERRUPTED]
    if interrupted:
        where = ["--runs-dir", str(args.runs_dir)] if args.runs_dir else []
        command = shlex.join(["workbench", "run", "--resume", interrupted[0], *where])
        console.print(f"{len(interrupted)} run(s) interrupted: their process ended while they trained. "
                      f"Continue one from its last checkpoint with: {command}", highlight=False)
    return 0


def runs_table(records: list[RunRecord]) -> Table:
    """One line per run. The figures never give way; on a terminal too narrow for all of it, the
    run id wraps (it is the widest column, and whole in `workbench runs --json`)."""
    # No padding: the box's column separator is the one space between columns.
    table = Table(title="runs", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=0)
    table.add_column("run", overflow="fold")
    for column in ("status", "steps", "metric", "time"):
        table.add_column(column, justify="left" if column == "status" else "right", no_wrap=True)
    for record in records:
        summary = record.summary
        table.add_row(summary.run_id, summary.status, format_number(summary.steps),
                      format_metric(summary.metric_name, summary.metric), format_duration(summary.wall_time))
    return table


def compare_runs(args: argparse.Namespace) -> int:
    records = [read_run(find_run_dir(name, args.runs_dir)) for name in args.runs]
    if args.json:
        print(json.dumps([_record_json(record) for record in records], indent=2))
    else:
        console = terminal_console()
        print_comparison(console, records)
        _print_seed_statistics(console, records)
    return 0


def plot_runs(args: argparse.Namespace) -> int:
    curves = [read_curves(find_run_dir(name, args.runs_dir)) for name in args.runs]
    plot_curves(curves, args.output, args.x_axis, args.smoothing)
    print(f"Wrote {args.output}: {len(curves)} run{'s' if len(curves) != 1 else ''} against {args.x_axis}.")
    return 0


def plot_confusion_matrix(args: argparse.Namespace) -> int:
    plot_confusion(read_curves(find_run_dir(args.run, args.runs_dir)), args.output, args.split)
    print(f"Wrote {args.output}.")
    return 0


def _print_seed_statistics(console: Console, records: list[RunRecord]) -> None:
    """When some runs differ only by seed: their mean, interval and difference from the best."""
    from workbench.studies.grouping import seed_groups

    groups = seed_groups(records)
    if groups is None:
        return
    try:
        from workbench.studies.report import print_statistics
        from workbench.studies.statistics import compare_groups

        print_statistics(console, compare_groups(groups))
    except WorkbenchError as error:  # the studies extra is missing: the plain compare still stands
        console.print(f"[dim]Runs that differ only by seed can be summarised: {error}[/]", highlight=False)


def _record_json(record: RunRecord) -> dict[str, object]:
    """A run as `--json` lists it: metric and loss from its best evaluation, at `best_step`."""
    summary = record.summary
    return {"id": summary.run_id, "dir": str(record.run_dir), "dataset": summary.dataset,
            "cell": summary.cell, "task": summary.task, "status": summary.status, "steps": summary.steps,
            "metric_name": summary.metric_name, "higher_is_better": summary.higher_is_better,
            "metric": summary.metric, "loss": summary.loss, "best_step": summary.best.step,
            "wall_time": summary.wall_time, "parameters": summary.parameters,
            "tokens_per_second": summary.tokens_per_second}
