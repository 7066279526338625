"""The pieces under the screens: the braille chart and folding events into run tracks."""

from __future__ import annotations

from rich.console import Console

from workbench import events as ev
from workbench.app.chart import Panel, Series, reduce_points, render_chart, render_panels, smooth
from workbench.app.feed import EventFeed
from workbench.app.tracking import Board
from workbench.formatting import format_duration, format_number
from workbench.summary import RunSummary


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
    assert "◆" in text.plain and "━ gru" in lines[0] and "━ lstm" in lines[0]
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
    feed.push(ev.RunFinished("r1", "completed", RunSummary("r1", "completed", steps=2)))
    for event in feed.drain():
        first.apply(event)
    assert feed.drain() == []
    assert first.train == [(1, 2.0), (2, 1.0)] and first.validation == [(2, 1.5)]
    assert first.metrics == {"loss": 1.5, "accuracy": 0.5}
    assert first.samples == [(2, "a"), (2, "b")]
    assert first.finished and first.summary == RunSummary("r1", "completed", steps=2)
    assert first.parameters == 120
    assert board.remove_finished() == 1 and board.tracks == [second]
    assert board.add("lstm").colour not in (first.colour, second.colour)


def test_numbers_read_as_people_expect() -> None:
    assert (format_number(None), format_number(12345), format_number(0.123456)) == ("–", "12,345", "0.1235")
    assert (format_duration(65), format_duration(3725)) == ("1:05", "1:02:05")


def _plot_cells(text) -> list[tuple[str, object]]:  # noqa: ANN001 - rich Text
    """(character, style) of every cell of a rendered chart's plot rows (not its legend)."""
    console = Console(width=200, color_system="truecolor")
    rows = [line for line in text.split("\n") if "│" in line.plain or "┤" in line.plain]
    return [(char, segment.style) for row in rows for segment in row.render(console) for char in segment.text]


def test_runs_of_different_tasks_get_panels_of_their_own() -> None:
    classify = [(float(x), 0.5 + 1.0 / x) for x in range(1, 50)]
    generate = [(float(x), 4.4 + 1.0 / x) for x in range(1, 50)]
    series = [Series("gru", "red", classify, group="classify"),
              Series("lstm", "blue", generate, group="generate")]
    lines = render_chart(series, 60, 24, "loss (nats)").plain.split("\n")
    assert len(lines) == 24
    titles = [number for number, line in enumerate(lines) if "· loss (nats)" in line]
    assert [lines[number].split(" · ")[0] for number in titles] == ["classify", "generate"]
    top, bottom = lines[titles[0]:titles[1]], lines[titles[1]:]
    assert "━ gru" in top[0] and "━ lstm" not in top[0] and "━ lstm" in bottom[0]
    y_labels = [[float(line.split("┤")[0]) for line in panel if "┤" in line] for panel in (top, bottom)]
    assert max(y_labels[0]) < 2 and min(y_labels[1]) > 4  # each panel spans its own losses


def test_both_axes_have_ticks_with_values_and_the_x_axis_is_named() -> None:
    lines = render_chart([Series("gru", "red", [(0, 3.0), (100, 1.0)])], 60, 14, "loss",
                         x_label="tokens").plain.split("\n")
    assert sum("┤" in line for line in lines) >= 3
    axis = next(line for line in lines if "└" in line)
    labels = lines[lines.index(axis) + 1]
    assert axis.count("┬") >= 3 and labels.split()[0] == "tokens"
    assert [int(label) for label in labels.split()[1:]] == sorted(int(label) for label in labels.split()[1:])
    for column, char in enumerate(axis):
        if char == "┬":  # every tick mark has its value written under it
            assert labels[column] != " "


def test_validation_points_are_drawn_like_the_curve_they_belong_to() -> None:
    series = [Series("gru", "#4ea8de", [(x, 3.0 - x / 50) for x in range(100)]),
              Series("gru val", "#4ea8de", [(20, 2.6), (60, 1.8)], markers=True)]
    cells = _plot_cells(render_chart(series, 50, 12, "loss"))
    drawn = [style for char, style in cells if char == "◆" or 0x2800 < ord(char) <= 0x28FF]
    marks = [style for char, style in cells if char == "◆"]
    assert len(marks) == 2
    for style in drawn:  # a bold or dimmed cell makes the terminal repaint its background
        assert not style.bold and not style.dim and style.bgcolor is None
    assert {str(style.color.triplet) for style in marks} == {str(style.color.triplet) for style in drawn}


def test_runs_on_the_board_at_the_same_time_never_share_a_colour() -> None:
    board = Board()
    first = board.add("gru")
    for index in range(7):  # the turn of colours comes back round to the first run's
        board.add(f"other {index}").state = "completed"
    board.remove_finished()
    later = [board.add(f"later {index}") for index in range(3)]
    colours = [track.colour for track in (first, *later)]
    assert len(set(colours)) == len(colours)


def test_curves_can_be_drawn_against_steps_tokens_or_seconds() -> None:
    track = Board().add("gru")
    for step in (1, 2, 3):
        track.apply(ev.StepDone("r", step, 0, 3.0 - step, 0.01, 100.0, step * 0.5, None, step * 64))
    track.apply(ev.Evaluated("r", 2, "validation", {"loss": 1.5}))
    assert track.curve("train", "steps") == [(1, 2.0), (2, 1.0), (3, 0.0)]
    assert track.curve("train", "tokens") == [(64.0, 2.0), (128.0, 1.0), (192.0, 0.0)]
    assert track.curve("validation", "seconds") == [(1.0, 1.5)]
    old = Board().add("lstm")
    old.apply(ev.StepDone("r", 1, 0, 2.0, 0.01, 100.0, 0.5, None))  # a log from before token counts
    assert old.curve("train", "tokens") == [] and old.curve("train", "seconds") == [(0.5, 2.0)]


def _three_panels(steps: int = 100) -> list[Panel]:
    loss = [(float(x), 3.0 - x / 50) for x in range(1, steps + 1)]
    accuracy = [(float(x), 0.2 + x / 200) for x in range(10, steps + 1, 10)]
    rates = [(float(x), 0.002 * min(1.0, x / 10)) for x in range(1, steps + 1)]
    return [Panel("loss (nats)", [Series("gru", "red", loss)], weight=2),
            Panel("validation accuracy", [Series("gru", "red", accuracy)]),
            Panel("learning rate", [Series("gru", "red", rates)])]


def test_panels_share_one_x_axis_whose_values_are_written_once_under_the_last() -> None:
    lines = render_panels(_three_panels(), 60, 24, "steps").plain.split("\n")
    assert len(lines) == 24 and max(len(line) for line in lines) <= 60
    titles = [number for number, line in enumerate(lines) if line.split("   ")[0] in
              ("loss (nats)", "validation accuracy", "learning rate")]
    assert len(titles) == 3
    axes = [line for line in lines if "└" in line]
    assert len(axes) == 3 and len(set(axes)) == 1  # the same ticks at the same columns in every panel
    assert [line.split()[0] for line in lines if line.strip().startswith("steps")] == ["steps"]
    assert lines[-1].split()[0] == "steps"
    for start, end in zip(titles, [*titles[1:], len(lines)], strict=True):
        assert sum("┤" in line for line in lines[start:end]) >= 2  # every panel has its own y ticks
    assert "━ gru" in lines[0] and "━ gru" not in "".join(lines[1:])  # a run is named once


def test_panels_that_do_not_fit_are_left_out_from_the_last_and_counted() -> None:
    small = render_panels(_three_panels(), 46, 13, "steps", reveal_key="v").plain
    assert "+2 panels (v)" in small.split("\n")[0]
    assert "validation accuracy" not in small and "learning rate" not in small
    assert sum("┤" in line or "│" in line for line in small.split("\n")) >= 8  # the loss keeps its room
    middle = render_panels(_three_panels(), 60, 16, "steps").plain
    assert "+1 panel" in middle and "validation accuracy" in middle and "learning rate" not in middle
    assert "panel" not in render_panels(_three_panels(), 82, 22, "steps").plain


def test_a_flat_curve_is_drawn_in_the_middle_with_its_value_on_a_tick() -> None:
    lines = render_panels([Panel("learning rate", [Series("gru", "red", [(1, 0.003), (50, 0.003)])])],
                          40, 8, "steps").plain.split("\n")
    labelled = {line.split("┤")[0].strip(): line for line in lines if "┤" in line}
    assert set(labelled) == {"0.002", "0.003", "0.004"}
    assert any(0x2800 < ord(char) <= 0x28FF for char in labelled["0.003"])


def test_tracks_keep_every_learning_rate_and_validation_metric_and_forget_them_on_resume() -> None:
    track = Board().add("gru", metric="accuracy")
    track.apply(ev.RunStarted("r", "runs/r", {"cell": "gru"}, 120, "cpu", 4))
    for step, rate in ((1, 0.001), (2, 0.002), (3, 0.0015)):
        track.apply(ev.StepDone("r", step, 0, 1.0, rate, 100.0, step * 0.5, None, step * 64))
        track.apply(ev.Evaluated("r", step, "validation", {"loss": 1.0, "accuracy": step / 10}))
    assert track.curve("learning rate", "steps") == [(1, 0.001), (2, 0.002), (3, 0.0015)]
    assert track.curve("learning rate", "tokens") == [(64.0, 0.001), (128.0, 0.002), (192.0, 0.0015)]
    assert track.curve("metric", "seconds") == [(0.5, 0.1), (1.0, 0.2), (1.5, 0.3)]
    track.apply(ev.RunStarted("r", "runs/r", {"cell": "gru"}, 120, "cpu", 4, resumed_from_step=2))
    assert track.learning_rates == [(1, 0.001), (2, 0.002)]
    assert track.validation_metric == [(1, 0.1), (2, 0.2)]


def test_many_evaluations_are_thinned_so_the_curves_under_them_stay_visible() -> None:
    train = [(float(x), 3.0 - x / 1000) for x in range(1, 2001)]
    validation = [(float(x), 3.1 - x / 1000) for x in range(50, 2001, 50)]  # 40 evaluations
    series = [Series("gru", "red", train), Series("gru val", "red", validation, markers=True)]
    cells = _plot_cells(render_chart(series, 46, 13, "loss"))
    assert 0 < sum(char == "◆" for char, _ in cells) <= (46 - 9) // 3
    assert sum(0x2800 < ord(char) <= 0x28FF for char, _ in cells) >= 30
