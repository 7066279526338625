"""A run's summary: what `summary.json` holds, typed, and what every reader takes from it.

The engine writes a summary when a run starts ("running"), when it ends and when it fails; the
`RunFinished` event carries the same object. Lists, compare tables, the app, studies and figures
read it back through `RunSummary.from_json`, never as a dict. A run is judged by one evaluation,
its best validation on the task's metric in the task's direction (`best`); the shown metric and
the loss beside it both come from that evaluation, so no two readers can pick differently.

Files written by earlier versions still load: keys they lack take their defaults, and keys this
version does not know (a task's own `summary_fields`, say) are kept and written back as found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

RUNNING = "running"
ENDED = ("completed", "stopped", "early-stopped", "pruned", "failed")  # what a run ends as


@dataclass(frozen=True)
class Evaluation:
    """One validation pass: the step it ran at (None when not recorded) and its numbers."""

    step: int | None
    metrics: Mapping[str, Any]

    def number(self, name: str | None) -> float | None:
        """The metric `name` of this evaluation, or None when it has no such number."""
        value = self.metrics.get(name) if name is not None else None
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class RunSummary:
    """Status and numbers of one run. `metric_name` (`"metric"` in the file) and
    `higher_is_better` say what the run is judged on; None when an older file does not say."""

    run_id: str
    status: str
    ended_by: str | None = None  # "steps", "epochs", "time_budget", "patience" or "stop"
    dataset: str = "?"
    cell: str = "?"
    task: str = "?"
    metric_name: str | None = None
    higher_is_better: bool = False
    steps: int = 0
    epochs: int = 0
    wall_time: float | None = None
    parameters: int | None = None
    tokens_per_second: float | None = None
    threads: int | None = None
    final_validation: dict[str, Any] = field(default_factory=dict)
    best_validation: dict[str, Any] = field(default_factory=dict)
    best_step: int | None = None
    test: dict[str, Any] = field(default_factory=dict)  # on the best weights; empty if not tested
    extra: dict[str, Any] = field(default_factory=dict)  # the task's summary_fields, unknown keys
    versions: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    labels: dict[str, Any] = field(default_factory=dict)  # e.g. the study and trial of the run

    @property
    def ended(self) -> bool:
        """True once the run has ended, so these are its final numbers."""
        return self.status in ENDED

    @property
    def best(self) -> Evaluation:
        """The evaluation the run is judged by: its best validation (the best so far while it trains)."""
        return Evaluation(self.best_step, self.best_validation)

    @property
    def final(self) -> Evaluation:
        """The last validation of the run (its best one where the summary holds no other)."""
        if self.final_validation:
            return Evaluation(None, self.final_validation)  # its step is not recorded
        return self.best

    @property
    def metric(self) -> float | None:
        """The shown metric: the run's metric in its best evaluation."""
        return self.best.number(self.metric_name)

    @property
    def loss(self) -> float | None:
        """The validation loss of that same evaluation."""
        return self.best.number("loss")

    @property
    def test_metric(self) -> float | None:
        """The run's metric on the test split, scored on its best weights."""
        return Evaluation(None, self.test).number(self.metric_name)

    def rank(self) -> tuple[bool, float]:
        """A sort key that puts the best metric first, in the run's own direction; runs with no
        metric yet go last."""
        if self.metric is None:
            return (True, 0.0)
        return (False, -self.metric if self.higher_is_better else self.metric)

    def to_json(self) -> dict[str, Any]:
        """The layout of summary.json: `metric` names the metric, a task's own fields at the top."""
        document: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "extra":
                document.update(value)
            else:
                document[_KEY_OF.get(item.name, item.name)] = value
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> RunSummary:
        """The summary a summary.json document (or a RunFinished event's) holds; a ValueError or
        TypeError when a value has the wrong type."""
        values: dict[str, Any] = {"run_id": "", "status": "?"}
        extra: dict[str, Any] = {}
        for key, value in document.items():
            name = _FIELD_OF.get(key)
            if name is None:
                extra[key] = value
            elif value is not None:
                values[name] = value
        for name in _DICT_FIELDS:
            if not isinstance(values.get(name, {}), Mapping):
                raise TypeError(f"{_KEY_OF.get(name, name)} is not a JSON object")
        for name in ("steps", "epochs"):
            values[name] = int(values.get(name, 0))
        return cls(**values, extra=extra)


_KEY_OF = {"metric_name": "metric"}  # field names whose key in the file differs
_FIELD_OF = {_KEY_OF.get(item.name, item.name): item.name
             for item in fields(RunSummary) if item.name != "extra"}
_DICT_FIELDS = ("final_validation", "best_validation", "test", "versions", "labels")
