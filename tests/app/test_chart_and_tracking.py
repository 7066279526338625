"""The pieces under the screens: the braille chart and folding events into run tracks."""

from __future__ import annotations

from workbench import events as ev
from workbench.app.chart import Series, reduce_points, render_chart, smooth
from workbench.app.feed import EventFeed
from workbench.app.tracking import Board
from workbench.formatting import format_duration, format_number


def test_reduce_points_keeps_one_mean_per_column_and_short_series_whole() -> None:
    points = [(float(x), float(x % 2)) for x in range(100)]
    reduced = reduce_points(points, 0, 99, 10)
    assert len(reduced) == 10
    assert all(abs(y - 0.5) < 1e-9 for _, y in reduced)
    assert reduce_points(points[:5], 0, 4, 10) == points[:5]


def test_smoothing_follows_a_constant_exactly_and_damps_noise() -> None:
    assert smooth([(0, 2.0), (1, 2.0), (2, 2.0)], 0.6) == [(0, 2.0), (1, 2.0), (2, 2.0)]
    noisy = [(x, 1.0 + (-1) ** x) for x in range(50)]
    smoothed = [y for _, y in smooth(noisy, 0.6)][10:]
    assert max(smoothed) - min(smoothed) < 1.0


def test_chart_has_its_size_draws_every_series_and_a_legend() -> None:
    series = [Series("gru", "red", [(0, 3.0), (10, 1.0)]), Series("lstm", "blue", [(0, 2.0), (10, 2.5)]),
              Series("gru val", "red", [(5, 2.0)], markers=True)]
    text = render_chart(series, 40, 12, "loss")
    lines = text.plain.split("\n")
    assert len(lines) == 12 and max(len(line) for line in lines) <= 40
    assert "◆" in text.plain and "━ gru" in lines[-1] and "━ lstm" in lines[-1]
    colours = {str(span.style) for span in text.spans}
    assert "red" in colours and "blue" in colours
    assert "waiting" in render_chart([], 40, 8).plain


def test_events_fold_into_a_track_and_colours_stay_with_their_runs() -> None:
    board = Board()
    first, second = board.add("gru"), board.add("gru")
    assert second.label == "gru #2" and first.colour != second.colour
    feed = EventFeed()
    feed.push(ev.RunStarted("r1", "runs/r1", {"cell": "gru"}, 120, "cpu", 10))
    for step in (1, 2):
        feed.push(ev.StepDone("r1", step, 0, 2.0 / step, 0.01, 50.0, step * 0.5, 1.0))
    feed.push(ev.Evaluated("r1", 2, "validation", {"loss": 1.5, "accuracy": 0.5, "confusion": [[1]]}))
    feed.push(ev.Sampled("r1", 2, ["a", "b"]))
    feed.push(ev.RunFinished("r1", "completed", {"steps": 2}))
    for event in feed.drain():
        first.apply(event)
    assert feed.drain() == []
    assert first.train == [(1, 2.0), (2, 1.0)] and first.validation == [(2, 1.5)]
    assert first.metrics == {"loss": 1.5, "accuracy": 0.5}
    assert first.samples == [(2, "a"), (2, "b")]
    assert first.finished and first.summary == {"steps": 2} and first.parameters == 120
    assert board.remove_finished() == 1 and board.tracks == [second]
    assert board.add("lstm").colour not in (first.colour, second.colour)


def test_numbers_read_as_people_expect() -> None:
    assert (format_number(None), format_number(12345), format_number(0.123456)) == ("–", "12,345", "0.1235")
    assert (format_duration(65), format_duration(3725)) == ("1:05", "1:02:05")
