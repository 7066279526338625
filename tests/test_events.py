"""Events survive the trip through the metrics log: to_json, then event_from_json."""

import json

from workbench.events import Evaluated, RunFinished, StepDone, event_from_json


def test_every_logged_event_reads_back_as_itself():
    for event in (
        StepDone("r1", step=3, epoch=0, loss=1.5, learning_rate=0.01, tokens_per_second=900.0,
                 elapsed=2.0, eta_seconds=None),
        Evaluated("r1", step=3, split="validation", metrics={"loss": 1.2, "bpc": 1.73}),
        RunFinished("r1", status="completed", summary={"steps": 3}),
    ):
        line = json.dumps(event.to_json())
        assert event_from_json(json.loads(line)) == event


def test_an_unknown_kind_from_a_newer_version_is_skipped():
    assert event_from_json({"event": "telemetry", "run_id": "r1"}) is None
