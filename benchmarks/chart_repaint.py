"""Measure what one repaint of the live chart costs while runs train (run by hand; not part of the suite).

    .venv/bin/python benchmarks/chart_repaint.py [--runs 3] [--steps 2000] [--batch 50]

Three runs of 2,000 steps (a noisy falling loss, a validation every 50 steps with its accuracy, a
cosine learning-rate schedule after 100 warm-up steps) reach the app's run tracks in batches of 50
steps, as the app's timer hands them over. After each batch the chart is rebuilt from the tracks
and rendered into the lines a terminal shows, at the chart's size in an 80x24 terminal (46x13) and
in a 120x40 one (82x22), with the panels the live screen asks for (loss, validation metric,
learning rate; at 46x13 only the loss fits and the title line counts the others).

If textual-plot and textual-plotext are installed (`pip install textual-plot textual-plotext`; they
are not dependencies of workbench), the same three panels drawn by each are timed side by side in
the same process, taking turns first within each batch, and reported as ratios to workbench's
chart: ratios taken side by side hold up on a busy machine better than absolute times. Times are
the CPU time of the drawing thread (waiting for a core shared with other work is left out).
Rendering stops at the widgets' lines (what the compositor asks each widget for); writing to a
terminal costs the same for all.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.widget import Widget

from workbench import events as ev
from workbench.app.chart import LineChart
from workbench.app.live_screen import SMOOTHING, chart_panels
from workbench.app.tracking import Board, RunTrack

SIZES = ((46, 13), (82, 22))  # the chart's box in an 80x24 and in a 120x40 terminal
EVAL_EVERY = 50
WARMUP = 100


def feed(tracks: list[RunTrack], start: int, stop: int, total: int) -> None:
    """Steps start+1..stop of every run, as the engine's events."""
    for index, track in enumerate(tracks):
        scale = 1.0 + 0.3 * index
        for step in range(start + 1, stop + 1):
            loss = 3.0 * (0.35 + 0.65 * math.exp(-step / (total / 3 * scale))) + 0.08 * math.sin(step * scale)
            warm = min(1.0, step / WARMUP)
            rate = 0.002 * warm * 0.5 * (1 + math.cos(math.pi * max(0, step - WARMUP) / (total - WARMUP)))
            track.apply(ev.StepDone(track.run_id, step, 0, loss, rate, 1000.0, step * 0.1, None, step * 64))
            if step % EVAL_EVERY == 0:
                accuracy = min(0.95, 0.3 + 0.6 * step / total / scale)
                track.apply(ev.Evaluated(track.run_id, step, "validation", {"loss": loss * 1.05,
                                                                            "accuracy": accuracy}))


# Each candidate: (make the widget, draw the tracks on it).
def _workbench() -> Widget:
    return LineChart("loss (nats)", reveal_key="v")


def _workbench_draw(chart: LineChart, tracks: list[RunTrack]) -> None:
    chart.show(chart_panels(tracks, "all", "steps", SMOOTHING), x_label="steps")


def _textual_plot() -> Widget:
    from textual_plot import PlotWidget

    panels = [PlotWidget(allow_pan_and_zoom=False) for _ in range(3)]
    for panel in panels:
        panel.styles.height = "1fr"
    return Vertical(*panels)


def _textual_plot_draw(box: Vertical, tracks: list[RunTrack]) -> None:
    from textual_plot import HiResMode, PlotWidget

    loss, metric, rate = box.query(PlotWidget)
    if loss.margin_bottom != 1:  # its tightest margins: a y label above, tick values below
        for panel in (loss, metric, rate):
            panel.margin_top = 1
            panel.margin_bottom = 1 if panel is not rate else 3
            panel.refresh(layout=True)
    for panel, label in ((loss, "loss (nats)"), (metric, "validation accuracy"), (rate, "learning rate")):
        panel.clear()
        panel.set_ylabel(label)
    for track in tracks:
        for panel, points in ((loss, track.train), (metric, track.validation_metric),
                              (rate, track.learning_rates)):
            if points:
                xs, ys = zip(*points, strict=True)
                panel.plot(xs, ys, line_style=track.colour, hires_mode=HiResMode.BRAILLE,
                           label=track.label if panel is loss else None)
        if track.validation:
            xs, ys = zip(*track.validation, strict=True)
            loss.scatter(xs, ys, marker="◆", marker_style=track.colour)
    rate.set_xlabel("steps")
    loss.show_legend()


def _textual_plotext() -> Widget:
    from textual_plotext import PlotextPlot

    return PlotextPlot()


def _textual_plotext_draw(widget: Any, tracks: list[RunTrack]) -> None:
    plt = widget.plt
    plt.clear_figure()
    plt.subplots(3, 1)
    for row, (title, curve) in enumerate((("loss (nats)", "train"), ("validation accuracy", "metric"),
                                          ("learning rate", "learning rate")), start=1):
        panel = plt.subplot(row, 1)
        panel.title(title)
        for track in tracks:
            points = track.curve(curve, "steps")
            colour = tuple(int(track.colour[i:i + 2], 16) for i in (1, 3, 5))
            if points:
                xs, ys = zip(*points, strict=True)
                panel.plot(xs, ys, marker="braille", color=colour, label=track.label if row == 1 else None)
            if row == 1 and track.validation:
                xs, ys = zip(*track.validation, strict=True)
                panel.scatter(xs, ys, marker="◆", color=colour)
    panel.xlabel("steps")
    widget.refresh()


CANDIDATES: dict[str, tuple[Callable[[], Widget], Callable[[Any, list[RunTrack]], None], str | None]] = {
    "workbench": (_workbench, _workbench_draw, None),
    "textual-plot": (_textual_plot, _textual_plot_draw, "textual_plot"),
    "textual-plotext": (_textual_plotext, _textual_plotext_draw, "textual_plotext"),
}


class SideBySide(App[None]):
    """The candidates' charts next to each other, each in a box of the chart's size."""

    def __init__(self, names: list[str], size: tuple[int, int]) -> None:
        super().__init__()
        self.names = names
        self.box = size

    def compose(self) -> ComposeResult:
        with Horizontal():
            for name in self.names:
                with Vertical(id=f"box-{name}") as box:
                    box.styles.width, box.styles.height = self.box
                    widget = CANDIDATES[name][0]()
                    widget.styles.height = "1fr"
                    yield widget


def repaint(root: Widget) -> None:
    """Render every widget of `root`'s tree into its lines, parents first, as a repaint does."""
    for widget in (root, *root.walk_children(Widget)):
        widget.refresh()
        widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))


async def measure(names: list[str], size: tuple[int, int], runs: int, steps: int,
                  batch: int) -> dict[str, list[float]]:
    board = Board()
    tracks = [board.add(cell, run_id=f"run-{cell}", task="classify", metric="accuracy")
              for cell in ("gru", "lstm", "rnn", "gru-custom", "lstm-custom")[:runs]]
    seconds: dict[str, list[float]] = {name: [] for name in names}
    app = SideBySide(names, size)
    async with app.run_test(size=(size[0] * len(names) + 2, size[1] + 2)) as pilot:
        await pilot.pause()
        widgets = {name: app.query_one(f"#box-{name}").children[0] for name in names}
        for name in names:  # untimed: the first drawing sets the widgets up
            CANDIDATES[name][1](widgets[name], tracks)
        await pilot.pause()
        for turn, start in enumerate(range(0, steps, batch)):
            feed(tracks, start, min(steps, start + batch), steps)
            order = names[turn % len(names):] + names[:turn % len(names)]
            for name in order:
                began = time.thread_time()
                CANDIDATES[name][1](widgets[name], tracks)
                repaint(widgets[name])
                seconds[name].append(time.thread_time() - began)
            await pilot.pause()  # let the widgets' own messages (resizes, refreshes) run, untimed
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    options = parser.parse_args()
    names = [name for name, (_, _, module) in CANDIDATES.items()
             if module is None or importlib.util.find_spec(module) is not None]
    missing = sorted(set(CANDIDATES) - set(names))
    print(f"{options.runs} runs x {options.steps} steps, a repaint every {options.batch} steps"
          + (f"; not installed: {', '.join(missing)}" if missing else ""))
    for size in SIZES:
        seconds = asyncio.run(measure(names, size, options.runs, options.steps, options.batch))
        base = sum(seconds["workbench"])
        print(f"chart {size[0]}x{size[1]}:")
        for name in names:
            times = seconds[name]
            print(f"  {name:16} {sum(times) / base:6.2f}x   median {statistics.median(times) * 1e3:7.2f} ms, "
                  f"last {times[-1] * 1e3:7.2f} ms per repaint (CPU)")


if __name__ == "__main__":
    main()
