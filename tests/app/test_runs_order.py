"""The runs screen's orders: newest, best metric (per the task's direction), fastest, by cell."""

from pathlib import Path

from workbench.app.runs_screen import ORDERS, sort_records
from workbench.runs import RunRecord


def record(run_id: str, cell: str, metric: float | None, higher: bool, wall: float | None) -> RunRecord:
    return RunRecord(run_id=run_id, run_dir=Path(run_id), dataset="names", cell=cell, task="t",
                     status="completed", steps=1, metric_name="m", metric=metric, loss=None,
                     wall_time=wall, parameters=1, tokens_per_second=None,
                     summary={"higher_is_better": higher})


def ids(records: list[RunRecord]) -> list[str]:
    return [one.run_id for one in records]


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
    assert set(ORDERS) == {"newest", "best metric", "fastest", "cell"}


def test_best_metric_means_lowest_for_a_loss_like_metric():
    runs = [record("1", "lstm", 2.4, False, 1.0), record("2", "gru", 2.1, False, 1.0)]
    assert ids(sort_records(runs, "best metric")) == ["2", "1"]
