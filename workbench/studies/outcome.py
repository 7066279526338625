"""What a study needs to know about one run, taken from the run's summary in one place.

Every other module of the package goes through `read_outcome`. Outcomes travel as JSON in the
study's storage, which is how `study show` works on a machine that never saw the run directories.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from workbench.runs.directory import read_run
from workbench.summary import RunSummary

COUNTED_STATUSES = ("completed", "early-stopped")  # runs that reached their end: the ones statistics use


@dataclass(frozen=True)
class RunOutcome:
    """One run's final numbers: best validation metric, test metric and cost."""

    run_id: str
    run_dir: str
    cell: str
    status: str
    metric: str | None  # None: the run's summary does not say (written by an older version)
    higher_is_better: bool
    validation: float | None
    test: float | None
    wall_time: float | None
    parameters: int | None
    tokens_per_second: float | None
    error: str | None = None
    study: str | None = None
    trial: int | None = None
    host: str | None = None

    @property
    def counted(self) -> bool:
        """True when the run reached its end, so its numbers belong in statistics."""
        return self.status in COUNTED_STATUSES and self.validation is not None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunOutcome:
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class StudyLabel:
    """Which study and trial a run was trained for, and on which host."""

    study: str
    trial: int | None
    host: str | None


def study_label(summary: RunSummary) -> StudyLabel | None:
    """The study a run belongs to, from its summary; None for a run outside any study."""
    labels = summary.labels
    if not labels.get("study"):
        return None
    return StudyLabel(str(labels["study"]), labels.get("trial"), labels.get("host"))


def read_outcome(run_dir: Path) -> RunOutcome:
    """The outcome of a run directory (a CheckpointError if it is not one)."""
    summary = read_run(run_dir).summary
    label = study_label(summary)
    return RunOutcome(
        run_id=summary.run_id,
        run_dir=str(Path(run_dir).resolve()),
        cell=summary.cell,
        status=summary.status,
        metric=summary.metric_name,
        higher_is_better=summary.higher_is_better,
        validation=summary.metric,
        test=summary.test_metric,
        wall_time=summary.wall_time,
        parameters=summary.parameters,
        tokens_per_second=summary.tokens_per_second,
        error=summary.error,
        study=label.study if label else None,
        trial=label.trial if label else None,
        host=label.host if label else None,
    )
