"""A line chart drawn with braille dots: several runs, stable colours, a legend and axes.

Each terminal cell holds a 2x4 grid of braille dots, so a 60x12 chart has 120x48 points of
resolution. Long series are reduced to one averaged point per dot column before drawing, which
keeps the cost of a frame bounded however many steps a run has taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

_BRAILLE_BASE = 0x2800
# Bit of each dot in a braille cell, indexed [row][column].
_DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_AXIS_WIDTH = 8


@dataclass(frozen=True)
class Series:
    """One curve: a legend label, a colour, points (x, y) and whether it is drawn as a line."""

    label: str
    colour: str
    points: Sequence[tuple[float, float]]
    markers: bool = False
    smoothing: float = 0.0


def smooth(points: Sequence[tuple[float, float]], weight: float) -> list[tuple[float, float]]:
    """Exponential moving average of y (weight 0 keeps the points as they are), bias-corrected."""
    if weight <= 0:
        return list(points)
    smoothed: list[tuple[float, float]] = []
    average = 0.0
    for index, (x, y) in enumerate(points, start=1):
        average = weight * average + (1 - weight) * y
        smoothed.append((x, average / (1 - weight**index)))
    return smoothed


def reduce_points(points: Sequence[tuple[float, float]], x_low: float, x_high: float,
                  columns: int) -> list[tuple[float, float]]:
    """At most one point per dot column: the mean of the points that fall in it."""
    if len(points) <= columns:
        return list(points)
    span = (x_high - x_low) or 1.0
    buckets: dict[int, list[float]] = {}
    xs: dict[int, float] = {}
    for x, y in points:
        column = min(columns - 1, int((x - x_low) / span * columns))
        buckets.setdefault(column, []).append(y)
        xs.setdefault(column, x)
    return [(xs[column], sum(ys) / len(ys)) for column, ys in sorted(buckets.items())]


class Canvas:
    """A grid of braille cells; each cell takes the colour of the last series that touched it."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.bits = [[0] * width for _ in range(height)]
        self.colours: list[list[str | None]] = [[None] * width for _ in range(height)]
        self.marks: list[list[str | None]] = [[None] * width for _ in range(height)]

    def dot(self, x: int, y: int, colour: str) -> None:
        """Set dot (x, y), where y = 0 is the bottom row of dots."""
        if not (0 <= x < self.width * 2 and 0 <= y < self.height * 4):
            return
        row = self.height - 1 - y // 4
        column = x // 2
        self.bits[row][column] |= _DOT_BITS[3 - y % 4][x % 2]
        self.colours[row][column] = colour

    def line(self, start: tuple[int, int], end: tuple[int, int], colour: str) -> None:
        (x0, y0), (x1, y1) = start, end
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            self.dot(round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps), colour)

    def mark(self, x: int, y: int, colour: str) -> None:
        row = self.height - 1 - max(0, min(self.height * 4 - 1, y)) // 4
        column = max(0, min(self.width * 2 - 1, x)) // 2
        self.marks[row][column] = colour

    def rows(self) -> list[Text]:
        lines = []
        for row in range(self.height):
            text = Text()
            for column in range(self.width):
                mark = self.marks[row][column]
                if mark is not None:
                    text.append("◆", style=f"bold {mark}")
                elif self.bits[row][column]:
                    text.append(chr(_BRAILLE_BASE + self.bits[row][column]),
                                style=self.colours[row][column] or "")
                else:
                    text.append(" ")
            lines.append(text)
        return lines


def render_chart(series: Sequence[Series], width: int, height: int, title: str = "",
                 empty: str = "waiting for the first steps…") -> Text:
    """The whole chart (axes, curves, legend) as rich Text of exactly `height` lines."""
    legend = _legend(series)
    plot_height = max(1, height - 2 - (1 if title else 0))
    plot_width = max(1, width - _AXIS_WIDTH)
    drawn = [s for s in series if s.points]
    lines: list[Text] = []
    if title:
        lines.append(Text(title, style="bold"))
    if not drawn:
        body = [Text(" " * _AXIS_WIDTH + "│") for _ in range(plot_height)]
        body[plot_height // 2] = Text(" " * _AXIS_WIDTH + "│ " + empty, style="dim")
        lines += body + [Text(" " * _AXIS_WIDTH + "└" + "─" * (plot_width - 1), style="dim"), legend]
        return Text("\n").join(lines[:height])
    x_low = min(p[0] for s in drawn for p in s.points)
    x_high = max(p[0] for s in drawn for p in s.points)
    y_low = min(p[1] for s in drawn for p in s.points)
    y_high = max(p[1] for s in drawn for p in s.points)
    if y_high - y_low < 1e-9:
        y_low, y_high = y_low - 0.5, y_high + 0.5
    canvas = Canvas(plot_width - 1, plot_height)
    dots_x, dots_y = canvas.width * 2 - 1, canvas.height * 4 - 1

    def to_dot(point: tuple[float, float]) -> tuple[int, int]:
        x_span = (x_high - x_low) or 1.0
        return (round((point[0] - x_low) / x_span * dots_x),
                round((point[1] - y_low) / (y_high - y_low) * dots_y))

    for one in drawn:
        points = smooth(reduce_points(one.points, x_low, x_high, canvas.width * 2), one.smoothing)
        if one.markers:
            for point in points:
                canvas.mark(*to_dot(point), one.colour)
            continue
        previous = to_dot(points[0])
        canvas.dot(*previous, one.colour)
        for point in points[1:]:
            current = to_dot(point)
            canvas.line(previous, current, one.colour)
            previous = current
    for row, text in enumerate(canvas.rows()):
        label = ""
        if row == 0:
            label = _tick(y_high)
        elif row == plot_height - 1:
            label = _tick(y_low)
        elif row == plot_height // 2 and plot_height > 4:
            label = _tick((y_high + y_low) / 2)
        lines.append(Text(label.rjust(_AXIS_WIDTH - 1) + " │", style="dim") + text)
    lines.append(Text(" " * _AXIS_WIDTH + "└" + "─" * (plot_width - 1), style="dim"))
    steps = Text(f"step {_tick(x_low)}–{_tick(x_high)}   ", style="dim")
    footer = Text(" " * _AXIS_WIDTH) + steps + legend
    footer.truncate(width)
    lines.append(footer)
    return Text("\n").join(lines[:height])


def _legend(series: Sequence[Series]) -> Text:
    """One entry per line series; markers share their line's colour and are explained in the title."""
    legend = Text()
    for one in series:
        if not one.markers:
            legend.append("━ ", style=f"bold {one.colour}")
            legend.append(one.label + "  ")
    return legend


def _tick(value: float) -> str:
    if abs(value) >= 10000:
        return f"{value:.3g}"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}"


class LineChart(Widget):
    """A widget showing several `Series`; `plot` replaces them and repaints once."""

    DEFAULT_CSS = """
    LineChart { height: 1fr; min-height: 6; }
    """

    def __init__(self, title: str = "", empty: str = "waiting for the first steps…", *,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.empty = empty
        self.series: tuple[Series, ...] = ()

    def plot(self, series: Sequence[Series], empty: str | None = None) -> None:
        self.series = tuple(series)
        if empty is not None:
            self.empty = empty
        self.refresh()

    def render(self) -> Text:
        return render_chart(self.series, self.size.width, self.size.height, self.title, self.empty)
