"""Typed events a training run emits. Consumers (the CLI, the app, the loggers) subscribe;
the engine never calls UI code. Every event turns into one JSON object (`to_json`) and back
(`event_from_json`).

`RunStarted` says what the run is judged on (the task's metric and its direction) and which
metrics its evaluations report, so a reader of the events never has to ask the plugin registry:
a run of a task that is not installed here still reads right.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from workbench.summary import RunSummary


@dataclass(frozen=True)
class Event:
    run_id: str
    time: float = field(default_factory=time.time, kw_only=True)

    @property
    def kind(self) -> str:
        return _KIND[type(self)]

    def to_json(self) -> dict[str, Any]:
        return {"event": self.kind, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        """The event of `data`, a `to_json` object; fields a newer version added are left out."""
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class RunStarted(Event):
    run_dir: str
    config: dict[str, Any]
    parameters: int
    device: str
    total_steps: int | None
    resumed_from_step: int = 0
    metric: str | None = None  # the validation metric the run is judged on (None in older logs)
    higher_is_better: bool = False
    metric_names: list[str] = field(default_factory=list)  # what its evaluations report, loss first


@dataclass(frozen=True)
class StepDone(Event):
    step: int
    epoch: int
    loss: float
    learning_rate: float
    tokens_per_second: float
    elapsed: float
    eta_seconds: float | None
    tokens: int | None = None  # predicted items so far, resumed sessions included (None in older logs)


@dataclass(frozen=True)
class Evaluated(Event):
    step: int
    split: str
    metrics: dict[str, Any]

    def scalars(self) -> dict[str, float]:
        """The metrics that are numbers, a table of numbers (per-class scores) as `name/key` each;
        what a chart or a spreadsheet can show. Lists such as a confusion matrix are left out."""
        found: dict[str, float] = {}
        for name, value in self.metrics.items():
            if isinstance(value, dict):
                found.update({f"{name}/{key}": float(v) for key, v in value.items() if _is_number(v)})
            elif _is_number(value):
                found[name] = float(value)
        return found


@dataclass(frozen=True)
class Sampled(Event):
    step: int
    texts: list[str]


@dataclass(frozen=True)
class CheckpointSaved(Event):
    step: int
    path: str


@dataclass(frozen=True)
class StateChanged(Event):
    """Paused, resumed or stopping, as asked by a person or a signal."""

    state: str


@dataclass(frozen=True)
class RunFinished(Event):
    status: str  # "completed", "stopped", "early-stopped" or "pruned"
    summary: RunSummary  # as the run's summary.json holds it

    def to_json(self) -> dict[str, Any]:
        return {"event": self.kind, "run_id": self.run_id, "time": self.time, "status": self.status,
                "summary": self.summary.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        summary = data.get("summary")
        if not isinstance(summary, dict):
            raise TypeError("a run_finished event holds no summary")
        return super().from_json({**data, "summary": RunSummary.from_json(summary)})


@dataclass(frozen=True)
class RunFailed(Event):
    """The run ended on an error (workbench.engine.run states the rule): `bad_input` when it was input
    a person can correct, found before training started (exit code 2), else a failure (exit 1)."""

    error: str
    step: int
    bad_input: bool = False  # older logs do not have it


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_KIND: dict[type, str] = {
    RunStarted: "run_started",
    StepDone: "step",
    Evaluated: "evaluation",
    Sampled: "sample",
    CheckpointSaved: "checkpoint",
    StateChanged: "state",
    RunFinished: "run_finished",
    RunFailed: "run_failed",
}
_CLASS: dict[str, type[Event]] = {kind: cls for cls, kind in _KIND.items()}


def event_from_json(data: dict[str, Any]) -> Event | None:
    """The event one metrics-log line records, or None for a kind this version does not know."""
    cls = _CLASS.get(str(data.get("event")))
    return cls.from_json(data) if cls is not None else None
