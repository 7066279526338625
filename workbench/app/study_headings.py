"""The runs screen's grouping by study: a heading row above each study's runs, with what the
study adds up to (its runs, their states, the best metric, the time they took together); runs
outside any study come last, under a heading of their own."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from workbench.formatting import format_duration, format_metric
from workbench.runs.directory import RunRecord
from workbench.studies.outcome import study_label

OUTSIDE = "runs outside any study"


@dataclass(frozen=True)
class StudyHeading:
    """A study's heading row (or the heading of the runs outside any study, `study` None)."""

    study: str | None
    records: tuple[RunRecord, ...]

    @property
    def key(self) -> str:
        return f"study:{self.study}" if self.study is not None else "study:"

    @property
    def title(self) -> str:
        return f"study {self.study}" if self.study is not None else OUTSIDE

    def best(self) -> RunRecord | None:
        """The run with the best metric, by its task's direction."""
        scored = [record for record in self.records if record.summary.metric is not None]
        return min(scored, key=lambda record: record.summary.rank()) if scored else None

    def statuses(self) -> str:
        """`3 completed, 1 pruned`: how many runs are in each state."""
        counts = Counter(record.summary.status for record in self.records)
        return ", ".join(f"{count} {status}" for status, count in counts.items())


def with_headings(records: list[RunRecord]) -> list[RunRecord | StudyHeading]:
    """Runs already in study order, each study's under its heading; none when no run has a study."""
    by_study: dict[str | None, list[RunRecord]] = {}
    for record in records:
        label = study_label(record.summary)
        by_study.setdefault(label.study if label is not None else None, []).append(record)
    if set(by_study) == {None}:
        return list(records)
    rows: list[RunRecord | StudyHeading] = []
    for study, members in by_study.items():
        rows.append(StudyHeading(study, tuple(members)))
        rows.extend(members)
    return rows


def heading_cells(heading: StudyHeading) -> tuple[Text | str, ...]:
    """The heading's row in the runs table's columns (run, status, metric, ..., wall time, ...)."""
    best = heading.best()
    wall_times = [time for record in heading.records if (time := record.summary.wall_time) is not None]
    return (
        Text(f"▾ {heading.title}", style="bold"),
        f"{len(heading.records)} runs",
        f"best {_best_metric(best)}" if best is not None else "",
        "",
        "",
        format_duration(sum(wall_times)) if wall_times else "",
        "",
    )


def under_heading(cells: tuple[Text | str, ...]) -> tuple[Text | str, ...]:
    """A run's row indented under its heading."""
    return (Text.assemble("  ", cells[0]), *cells[1:])


def heading_summary(heading: StudyHeading) -> RenderableType:
    """The detail beside a highlighted heading: the study's runs at a glance and what `a` does."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    table.add_row("study" if heading.study is not None else "", Text(heading.study or OUTSIDE))
    table.add_row("runs", heading.statuses())
    cells = sorted({record.summary.cell for record in heading.records})
    table.add_row("cells", Text(", ".join(cells)))
    best = heading.best()
    if best is not None:
        table.add_row("best", Text(f"{_best_metric(best)} ({best.summary.run_id})"))
    hint = Text("a adds these runs to the comparison (F3): runs that differ only by seed get statistics",
                style="dim")
    return Group(table, Text(""), hint)


def _best_metric(record: RunRecord) -> str:
    return format_metric(record.summary.metric_name, record.summary.metric)
