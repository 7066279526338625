"""Studies as people read them: the per-group statistics table with its verdict, a study's best
trials and parameter importances, and the list of studies in a storage."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from workbench.formatting import format_duration, format_metric, format_number
from workbench.studies.results import StudyResults
from workbench.studies.spec import StudySpec
from workbench.studies.statistics import Comparison, Estimate, cited_test


def print_statistics(console: Console, comparison: Comparison) -> None:
    console.print(statistics_view(comparison))


def statistics_view(comparison: Comparison) -> Group:
    """The statistics table, then the verdict in words."""
    verdict = Text.assemble(("verdict: ", "bold"), comparison.verdict)
    return Group(statistics_table(comparison), verdict)


def statistics_table(comparison: Comparison) -> Table:
    """One row per group: mean ± 95% interval of the validation and test metric, cost, and the
    difference from the best group with its interval and p-value. Fits 80 columns."""
    metric = comparison.metric
    tested = cited_test(comparison.comparisons)
    table = Table(title=f"{metric}: mean±95% interval over seeds; Δ and p against the best ({tested})",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    for column in ("group", "n", "val", "test", "Δ val", "p", "time", "params", "tok/s"):
        table.add_column(column, justify="left" if column == "group" else "right", no_wrap=True)
    for row in comparison.groups:
        runs = row.validation.count if row.validation else 0
        gap = row.difference
        if row is comparison.groups[0]:
            shown_gap = "best"
        else:
            shown_gap = f"{gap.value:+.3f}±{gap.half_width:.3f}" if gap else "-"
        table.add_row(
            row.label, f"{runs}/{row.runs}" if runs != row.runs else str(runs),
            _estimate(row.validation), _estimate(row.test), shown_gap,
            f"{gap.p_value:.2g}" if gap else "",
            format_duration(row.wall_time),
            format_number(row.parameters),
            format_number(row.tokens_per_second),
        )
    return table


def print_study(console: Console, results: StudyResults, importances: dict[str, float],
                storage: str) -> None:
    """`study show`: progress, the best trials, statistics over seeds and parameter importances."""
    spec = results.spec
    planned, started = spec.trials, len(results.trials)
    counts = ", ".join(f"{results.count(state)} {state}" for state in
                       ("complete", "pruned", "fail", "running", "waiting") if results.count(state))
    retried = sum(trial.retries for trial in results.trials)
    console.print(Text.assemble(
        (spec.name, "bold"),
        f"  {_experiment(spec)}  {spec.direction} validation {spec.metric}  "
        f"· {planned} trials: {counts or 'none started'}"
        + (f" · {retried} attempts lost to dead workers and retried" if retried else "")
        + (f" · {planned - started} not queued" if planned > started else "")), highlight=False)
    console.print(f"storage: {storage}", style="dim", highlight=False)
    best = results.best()
    if best:
        table = Table(title="best trials", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("trial", f"val {spec.metric}", "time", "parameters, then host:run"):
            table.add_column(column, justify="left" if column.startswith("param") else "right",
                             no_wrap=not column.startswith("param"))
        for trial in best:
            wall = trial.outcome.wall_time if trial.outcome else None
            where = f"{trial.run.get('host', '?')}:{trial.run.get('run_id', '?')}"
            table.add_row(str(trial.number), format_number(trial.value), format_duration(wall),
                          Text.assemble(format_params(trial.params), "\n", (where, "dim")))
        console.print(table)
    comparison = results.comparison()
    if comparison is not None:
        print_statistics(console, comparison)
    if importances:
        table = Table(title="parameter importances (PED-ANOVA)", title_justify="left", box=box.SIMPLE_HEAD,
                      pad_edge=False)
        table.add_column("parameter")
        table.add_column("importance", justify="right")
        for name, value in importances.items():
            table.add_row(name, f"{value:.2f}")
        console.print(table)


def studies_table(studies: list[tuple[Any, StudySpec]]) -> Table:
    """`study list`: each study with its experiment, trials and best value."""
    table = Table(title="studies", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("study", "experiment", "trials", "best", "started"):
        table.add_column(column, justify="right" if column in ("trials", "best") else "left", no_wrap=True)
    for summary, spec in studies:
        best = summary.best_trial.value if summary.best_trial is not None else None
        started = summary.datetime_start.strftime("%Y-%m-%d %H:%M") if summary.datetime_start else "-"
        table.add_row(spec.name, _experiment(spec), f"{summary.n_trials}/{spec.trials}",
                      format_metric(spec.metric, best) if best is not None else "–", started)
    return table


def _experiment(spec: StudySpec) -> str:
    base = spec.base
    return f"{base['dataset']} · {base['task']}"


def format_params(params: dict[str, Any]) -> str:
    """A trial's parameters on one line: `cell=gru train.learning_rate=0.003`."""
    return " ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                    for key, value in params.items())


def _estimate(value: Estimate | None) -> str:
    if value is None:
        return "-"
    if value.half_width is None:
        return f"{value.mean:.3f}"
    return f"{value.mean:.3f}±{value.half_width:.3f}"
