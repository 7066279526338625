"""Seeds on the chart: a study's trials of one cell share a colour, each seed is a thin faded line
and their mean a thick line in the full colour, named once in the legend."""

from __future__ import annotations

from workbench import events as ev
from workbench.app.chart import Series, render_chart
from workbench.app.seed_lines import faded, mean_curve, seed_series
from workbench.app.tracking import Board, RunTrack


def trained(track: RunTrack, losses: list[float], seconds_per_step: float) -> RunTrack:
    for step, loss in enumerate(losses, start=1):
        track.apply(ev.StepDone("r", step, 0, loss, 0.01, 10.0, step * seconds_per_step, None, step * 8))
    return track


def test_a_study_key_shares_a_colour_and_other_runs_still_never_do() -> None:
    board = Board()
    gru_0, rnn_0 = board.add("gru seed 0", colour_key="s:gru"), board.add("rnn seed 0", colour_key="s:rnn")
    gru_1, plain = board.add("gru seed 1", colour_key="s:gru"), board.add("lstm")
    assert gru_0.colour == gru_1.colour
    assert len({gru_0.colour, rnn_0.colour, plain.colour}) == 3


def test_the_mean_runs_over_the_steps_every_started_seed_has_logged() -> None:
    board = Board()
    ahead = trained(board.add("gru seed 0", seed_group="gru"), [4.0, 2.0, 1.0], 1.0)
    behind = trained(board.add("gru seed 1", seed_group="gru"), [2.0, 1.0], 3.0)
    waiting = board.add("gru seed 2", seed_group="gru")  # queued: not in the mean yet
    assert mean_curve([ahead, behind, waiting], "train", "steps") == [(1.0, 3.0), (2.0, 1.5)]
    assert mean_curve([ahead, behind], "train", "seconds") == [(2.0, 3.0), (4.0, 1.5)]
    assert mean_curve([waiting], "train", "steps") == []


def test_seed_groups_become_faded_seed_lines_under_a_thick_mean_and_other_runs_stay_as_they_are() -> None:
    board = Board()
    seeds = [trained(board.add(f"gru seed {seed}", colour_key="s:gru", seed_group="gru", study="s",
                               task="classify"), [3.0 - seed, 2.0, 1.0], 1.0) for seed in (0, 1)]
    alone = trained(board.add("lstm", task="classify"), [2.0, 1.0], 1.0)
    series, rest = seed_series(board.tracks, "train", "steps", 0.0, markers="validation")
    assert rest == [alone]
    assert [(one.label, one.legend, one.thick, one.markers) for one in series] == [
        ("gru seed 0", False, False, False), ("gru seed 1", False, False, False),
        ("gru", True, True, False), ("gru val", True, False, True)]
    colour = seeds[0].colour
    assert series[0].colour == series[1].colour == faded(colour) != colour and series[2].colour == colour
    assert series[2].points == [(1.0, 2.5), (2.0, 2.0), (3.0, 1.0)]


def test_a_thick_line_is_two_dots_high_and_a_series_out_of_the_legend_is_not_named() -> None:
    thin = render_chart([Series("a", "red", [(0, 0.0), (10, 0.0)]), Series("b", "red", [(0, 1.0)])], 30, 8)
    thick = render_chart([Series("a", "red", [(0, 0.0), (10, 0.0)], thick=True),
                          Series("b", "red", [(0, 1.0)], legend=False)], 30, 8)
    dots = {"thin": thin.plain, "thick": thick.plain}
    assert "⣀" in dots["thin"] and "⣤" in dots["thick"]  # the bottom row of dots, then the bottom two
    assert "━ b" in thin.plain.splitlines()[0] and "━ b" not in thick.plain.splitlines()[0]
