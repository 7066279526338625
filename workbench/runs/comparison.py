"""The cells of a comparison of runs, for `workbench runs compare`, the table that ends a compare in
`workbench run`, and the app's Compare tab. Each row is a run's `RunSummary` (a run still training
shows its summary so far), so every table shows the same numbers.

Every validation number of a row comes from one evaluation: the run's best (the best so far while
it trains), named by its step. A best metric beside the last evaluation's loss would describe two
different models.
"""

from __future__ import annotations

from collections.abc import Sequence

from workbench.formatting import format_duration, format_metric, format_number
from workbench.summary import RunSummary

TITLE = "validation numbers from each run's best evaluation"


def compare_headers(rows: Sequence[RunSummary]) -> tuple[str, ...]:
    """Column titles after the run's label; one metric's name heads its column when all runs share it."""
    metrics = _metric_names(rows)
    metric = f"best {next(iter(metrics))}" if len(metrics) == 1 else "best metric"
    return ("status", metric, "val loss", "at step", "time", "params", "tokens/s")


def compare_cells(row: RunSummary, rows: Sequence[RunSummary]) -> tuple[str, ...]:
    """The row's cells, in the order of `compare_headers(rows)`."""
    if len(_metric_names(rows)) <= 1:
        metric = format_number(row.metric)
    else:
        metric = format_metric(row.metric_name, row.metric)
    return (
        row.status,
        metric,
        format_number(row.loss),
        format_number(row.best.step),
        format_duration(row.wall_time),
        format_number(row.parameters),
        format_number(row.tokens_per_second),
    )


def _metric_names(rows: Sequence[RunSummary]) -> set[str]:
    return {row.metric_name for row in rows if row.metric_name}
