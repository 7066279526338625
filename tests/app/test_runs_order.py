"""The runs screen's orders: newest, best metric (per the task's direction), fastest, by cell, by study."""

from pathlib import Path

from workbench.app.runs_screen import ORDERS, sort_records
from workbench.runs.directory import RunRecord
from workbench.summary import RunSummary


def record(run_id: str, cell: str, metric: float | None, higher: bool, wall: float | None,
           labels: dict | None = None) -> RunRecord:
    best = {"m": metric} if metric is not None else {}
    summary = RunSummary(run_id, "completed", dataset="names", cell=cell, task="t", metric_name="m",
                         higher_is_better=higher, steps=1, wall_time=wall, parameters=1,
                         best_validation=best, best_step=1 if best else None, labels=labels or {})
    return RunRecord(Path(run_id), summary)


def ids(records: list[RunRecord]) -> list[str]:
    return [one.summary.run_id for one in records]


def test_each_order_puts_the_right_run_first_and_unknown_numbers_last():
    runs = [
        record("20261101-a", "lstm", 0.80, True, 120.0),
        record("20261103-b", "gru", 0.85, True, None),
        record("20261102-c", "rnn", None, True, 30.0),
    ]
    assert ids(sort_records(runs, "newest")) == ["20261103-b", "20261102-c", "20261101-a"]
    assert ids(sort_records(runs, "best metric")) == ["20261103-b", "20261101-a", "20261102-c"]
    assert ids(sort_records(runs, "fastest")) == ["20261102-c", "20261101-a", "20261103-b"]
    assert ids(sort_records(runs, "cell")) == ["20261103-b", "20261101-a", "20261102-c"]
    assert set(ORDERS) == {"newest", "best metric", "fastest", "cell", "study"}


def test_by_study_groups_a_studys_runs_in_trial_order_and_puts_other_runs_last():
    runs = [
        record("1", "gru", 0.8, True, 1.0),
        record("2", "gru", 0.8, True, 1.0, {"study": "seeds", "trial": 1}),
        record("3", "rnn", 0.8, True, 1.0, {"study": "search", "trial": 0}),
        record("4", "rnn", 0.8, True, 1.0, {"study": "seeds", "trial": 0}),
    ]
    assert ids(sort_records(runs, "study")) == ["3", "4", "2", "1"]


def test_best_metric_means_lowest_for_a_loss_like_metric():
    runs = [record("1", "lstm", 2.4, False, 1.0), record("2", "gru", 2.1, False, 1.0)]
    assert ids(sort_records(runs, "best metric")) == ["2", "1"]


def test_the_summary_pane_names_a_runs_study_and_trial():
    from rich.console import Console

    from workbench.app.runs_screen import _summary
    from workbench.app.tracking import RunTrack

    console = Console(width=60, record=True)
    console.print(_summary(record("2", "gru", 0.8, True, 1.0, {"study": "seeds", "trial": 3}).summary,
                           RunTrack(label="gru", colour="red")))
    assert "study      seeds, trial 3" in console.export_text()
    console.print(_summary(record("1", "gru", 0.8, True, 1.0).summary, RunTrack(label="gru", colour="red")))
    assert console.export_text().count("study") == 0
