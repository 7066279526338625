"""The rows of a comparison of runs, built once for `workbench runs compare`, the table that ends a
compare in `workbench run`, and the app's Compare tab.

Every validation number of a row comes from one evaluation: the run's best (the best so far while
it trains), named by its step. A best metric beside the last evaluation's loss would describe two
different models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.formatting import format_duration, format_number

TITLE = "validation numbers from each run's best evaluation"


@dataclass(frozen=True)
class Evaluation:
    """One validation pass: the step it ran at and its numbers."""

    step: int | None
    metrics: Mapping[str, Any]


def best_evaluation(summary: Mapping[str, Any]) -> Evaluation:
    """The evaluation a run is judged by: its best validation, as its summary records it."""
    best = summary.get("best_validation")
    if isinstance(best, Mapping) and best:
        return Evaluation(summary.get("best_step"), best)
    return Evaluation(None, {})


@dataclass(frozen=True)
class CompareRow:
    """What one run contributes to a comparison (its label is the table's own business)."""

    status: str
    metric_name: str | None
    evaluation: Evaluation
    wall_time: float | None
    parameters: int | None
    tokens_per_second: float | None

    @property
    def metric(self) -> float | None:
        return self.evaluation.metrics.get(self.metric_name) if self.metric_name else None

    @property
    def loss(self) -> float | None:
        return self.evaluation.metrics.get("loss")


def compare_row(summary: Mapping[str, Any], status: str | None = None) -> CompareRow:
    """The row of a run from its summary (or the summary-shaped numbers of a run still training);
    `status` replaces the summary's where the reader knows better (a killed run reads "running")."""
    return CompareRow(
        status=status or str(summary.get("status", "?")),
        metric_name=summary.get("metric"),
        evaluation=best_evaluation(summary),
        wall_time=summary.get("wall_time"),
        parameters=summary.get("parameters"),
        tokens_per_second=summary.get("tokens_per_second"),
    )


def compare_headers(rows: Sequence[CompareRow]) -> tuple[str, ...]:
    """Column titles after the run's label; one metric's name heads its column when all runs share it."""
    metrics = {row.metric_name for row in rows if row.metric_name}
    metric = f"best {next(iter(metrics))}" if len(metrics) == 1 else "best metric"
    return ("status", metric, "val loss", "at step", "time", "params", "tokens/s")


def compare_cells(row: CompareRow, rows: Sequence[CompareRow]) -> tuple[str, ...]:
    """The row's cells, in the order of `compare_headers(rows)`."""
    one_metric = len({other.metric_name for other in rows if other.metric_name}) <= 1
    metric = format_number(row.metric)
    if not one_metric and row.metric_name:
        metric = f"{row.metric_name} {metric}"
    return (
        row.status,
        metric,
        format_number(row.loss),
        format_number(row.evaluation.step),
        format_duration(row.wall_time),
        format_number(row.parameters),
        format_number(row.tokens_per_second),
    )
