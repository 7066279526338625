"""Events survive the trip through the metrics log: to_json, then event_from_json."""

import json

from workbench.events import Evaluated, RunFinished, RunStarted, StepDone, event_from_json
from workbench.summary import RunSummary


def test_every_logged_event_reads_back_as_itself():
    summary = RunSummary("r1", "completed", ended_by="steps", dataset="names", cell="gru", task="classify",
                         metric_name="accuracy", higher_is_better=True, steps=3,
                         best_validation={"loss": 1.2, "accuracy": 0.5}, best_step=3,
                         extra={"stateful": False})
    for event in (
        RunStarted("r1", "runs/r1", {"dataset": "names"}, 1234, "cpu", 6, 0, "accuracy", True,
                   ["loss", "accuracy", "macro_f1"]),
        StepDone("r1", step=3, epoch=0, loss=1.5, learning_rate=0.01, tokens_per_second=900.0,
                 elapsed=2.0, eta_seconds=None),
        Evaluated("r1", step=3, split="validation", metrics={"loss": 1.2, "bpc": 1.73}),
        RunFinished("r1", status="completed", summary=summary),
    ):
        line = json.dumps(event.to_json())
        assert event_from_json(json.loads(line)) == event


def test_a_finished_event_holds_its_summary_in_summary_json_layout():
    summary = RunSummary("r1", "completed", metric_name="bpc", extra={"stateful": True})
    logged = RunFinished("r1", "completed", summary).to_json()["summary"]
    assert logged["metric"] == "bpc" and logged["stateful"] is True and "extra" not in logged


def test_an_older_run_started_event_does_not_say_what_the_run_is_judged_on():
    older = {"event": "run_started", "run_id": "r1", "time": 1.0, "run_dir": "runs/r1", "config": {},
             "parameters": 10, "device": "cpu", "total_steps": 4, "resumed_from_step": 0}
    event = event_from_json(older)
    assert isinstance(event, RunStarted) and event.metric is None and event.metric_names == []


def test_an_unknown_kind_from_a_newer_version_is_skipped():
    assert event_from_json({"event": "telemetry", "run_id": "r1"}) is None
