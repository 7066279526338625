"""A line chart drawn with braille dots: several runs, stable colours, a legend and ticked axes.

Each terminal cell holds a 2x4 grid of braille dots, so a 60x12 chart has 120x48 points of
resolution. Long series are reduced to one averaged point per dot column before drawing, which
keeps the cost of a frame bounded however many steps a run has taken. A chart is a stack of
panels (say the losses of each task, whose scales differ, a validation metric and the learning
rate), each with its own y axis and all on one x axis, so a step lines up from panel to panel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

_BRAILLE_BASE = 0x2800
# Bit of each dot in a braille cell, indexed [row][column].
_DOT_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_AXIS_WIDTH = 8
_MARK = "◆"
PANEL_ROWS = 3  # the fewest plot rows that still show a curve's shape
MARK_SPACING = 3  # cells per marker at most: more would hide the curves they sit on


@dataclass(frozen=True)
class Series:
    """One curve: a legend label, a colour, points (x, y), whether it is drawn as markers, and the
    group (panel) it belongs to. A `thick` line is two dots high (a mean over seeds, drawn over its
    seeds' lines); a series out of the `legend` is explained by another one's entry."""

    label: str
    colour: str
    points: Sequence[tuple[float, float]]
    markers: bool = False
    smoothing: float = 0.0
    group: str = ""
    thick: bool = False
    legend: bool = True


@dataclass(frozen=True)
class Panel:
    """One plot of a chart: its title, its curves, what it says while they have no points, and its
    weight, its share of the chart's height."""

    title: str
    series: Sequence[Series]
    empty: str = "waiting for the first steps…"
    weight: int = 1


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
    """At most one point per dot column: the mean of the points that fall in it, at the x of the
    first of them."""
    if len(points) <= columns:
        return list(points)
    scale = columns / ((x_high - x_low) or 1.0)
    last = columns - 1
    sums = [0.0] * columns
    counts = [0] * columns
    xs = [0.0] * columns
    for x, y in points:  # the repaint's hot loop: plain comparisons, no calls
        column = int((x - x_low) * scale)
        if column > last:
            column = last
        if counts[column]:
            sums[column] += y
            counts[column] += 1
        else:
            xs[column], sums[column], counts[column] = x, y, 1
    return [(xs[column], sums[column] / count) for column, count in enumerate(counts) if count]


def nice_ticks(low: float, high: float, most: int) -> list[float]:
    """Round values (1, 2, 2.5 or 5 times a power of ten apart) inside [low, high], at most `most`."""
    if high - low < 1e-12:
        return [low]
    rough = (high - low) / max(1, most)
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)
    first = math.ceil(low / step - 1e-9)
    ticks = []
    index = first
    while index * step <= high + step * 1e-9:
        ticks.append(round(index * step, 12))
        index += 1
    return ticks


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
        """One Text per row, styled by colour only: a marker looks like the line cells around it
        (a bold or dimmed cell makes terminals reset and repaint its background). Neighbouring
        cells of one colour make one span: fewer spans, a cheaper repaint."""
        lines = []
        for row in range(self.height):
            text = Text()
            run, run_style = [], ""
            for column in range(self.width):
                mark = self.marks[row][column]
                if mark is not None:
                    char, style = _MARK, mark
                elif self.bits[row][column]:
                    char, style = chr(_BRAILLE_BASE + self.bits[row][column]), self.colours[row][column] or ""
                else:
                    char, style = " ", ""
                if style != run_style:
                    text.append("".join(run), style=run_style)
                    run, run_style = [], style
                run.append(char)
            text.append("".join(run), style=run_style)
            lines.append(text)
        return lines


def render_chart(series: Sequence[Series], width: int, height: int, title: str = "",
                 empty: str = "waiting for the first steps…", x_label: str = "step") -> Text:
    """The whole chart as rich Text of exactly `height` lines: one panel per group of series."""
    return render_panels(group_panels(series, title, empty), width, height, x_label)


def group_panels(series: Sequence[Series], title: str, empty: str) -> list[Panel]:
    """One panel per group of series, in the order the groups first appear; with several groups each
    panel's title names its group."""
    groups = list(dict.fromkeys(one.group for one in series)) or [""]
    return [Panel(f"{group} · {title}" if len(groups) > 1 and group else title,
                  [one for one in series if one.group == group], empty) for group in groups]


def render_panels(panels: Sequence[Panel], width: int, height: int, x_label: str = "step",
                  reveal_key: str = "") -> Text:
    """Panels one above the other as rich Text of exactly `height` lines. They share one x range,
    so a step sits at the same column in each, and the x tick values are written once, under the
    last. Panels that cannot get their fewest rows are left out from the last one up, and the first
    panel's title line says how many (and the key that shows them, if given)."""
    panels = list(panels) or [Panel("", ())]
    legends = _legends(panels)
    shown, note = _fitting(panels, legends, width, height, reveal_key)
    xs = [x for panel, _ in shown for one in panel.series for x, _ in one.points]
    x_range = (min(xs), max(xs)) if xs else None
    lines: list[Text] = []
    for index, (panel, rows) in enumerate(shown):
        last = index == len(shown) - 1
        lines += _panel(panel, width, rows, x_range, x_label if last else None, legends[index],
                        note if index == 0 else "")
    while len(lines) < height:
        lines.append(Text())
    return Text("\n").join(lines[:height])


def _legends(panels: Sequence[Panel]) -> list[Text]:
    """Each panel's legend: only the curves no panel above has named (colours belong to runs, so
    the panels below the first mostly need none)."""
    named: set[tuple[str, str]] = set()
    legends = []
    for panel in panels:
        fresh = [one for one in panel.series if one.markers or (one.label, one.colour) not in named]
        named.update((one.label, one.colour) for one in panel.series if not one.markers)
        legends.append(_legend(fresh))
    return legends


def _fitting(panels: Sequence[Panel], legends: Sequence[Text], width: int, height: int,
             reveal_key: str) -> tuple[list[tuple[Panel, int]], str]:
    """The leading panels that fit, each with its number of plot rows, and the note that counts
    the others. The rows left after titles, legends and axes are shared out by weight (the remainder
    to the first), and every panel needs PANEL_ROWS; the first panel is always shown, with whatever
    room there is."""
    for count in range(len(panels), 0, -1):
        chosen = panels[:count]
        note = _hidden_note(len(panels) - count, reveal_key)
        chrome = 1 + sum(2 + _legend_apart(panel.title, note if index == 0 else "", legends[index], width)
                         for index, panel in enumerate(chosen))
        room = max(0, height - chrome)
        weights = sum(panel.weight for panel in chosen)
        rows = [room * panel.weight // weights for panel in chosen]
        rows[0] += room - sum(rows)
        if count == 1 or min(rows) >= PANEL_ROWS:
            return [(panel, max(1, rows[index])) for index, panel in enumerate(chosen)], note
    raise AssertionError("unreachable: the first panel is always shown")


def _hidden_note(hidden: int, reveal_key: str) -> str:
    if not hidden:
        return ""
    return f"+{hidden} panel{'s' if hidden > 1 else ''}" + (f" ({reveal_key})" if reveal_key else "")


def _legend_apart(title: str, note: str, legend: Text, width: int) -> int:
    """1 if the legend needs a line of its own under the title (the title line has no room)."""
    used = len(title) + (len(note) + 2 if note else 0)
    return int(bool(legend.plain) and used + 3 + len(legend.plain) > width)


def _panel(panel: Panel, width: int, plot_height: int, x_range: tuple[float, float] | None,
           x_label: str | None, legend: Text, note: str) -> list[Text]:
    """Title (and legend), the plot with its y ticks, the x axis with its tick marks and, when
    `x_label` is given, the tick values: 2 + plot_height lines, one more for each of those."""
    head = Text(panel.title, style="bold")
    apart = _legend_apart(panel.title, note, legend, width)
    if legend.plain and not apart:
        head = head + Text("   ") + legend
    if note:  # at the right end of the title line
        head = head + Text(" " * max(2, width - len(head.plain) - len(note))) + Text(note, style="dim")
    head.truncate(width)
    top = [head, legend] if apart else [head]
    plot_width = max(2, width - _AXIS_WIDTH)
    canvas = Canvas(plot_width - 1, plot_height)
    drawn = [one for one in panel.series if one.points]
    labels = [] if x_label is None else [Text(x_label.rjust(_AXIS_WIDTH - 1), style="dim")]
    if not drawn or x_range is None:
        body = [Text(" " * _AXIS_WIDTH + "│", style="dim") for _ in range(plot_height)]
        body[plot_height // 2] = Text(" " * _AXIS_WIDTH + "│ " + panel.empty, style="dim")
        axis = Text(" " * _AXIS_WIDTH + "└" + "─" * canvas.width, style="dim")
        return [*top, *body, axis, *labels]
    x_low, x_high = x_range
    curves = [(one, smooth(reduce_points(one.points, x_low, x_high, _columns(one, canvas.width)),
                           one.smoothing)) for one in drawn]
    y_low = min(y for _, points in curves for _, y in points)  # the span of what is drawn
    y_high = max(y for _, points in curves for _, y in points)
    flat = y_high - y_low < 1e-9 * max(1.0, abs(y_high))
    if flat:  # say a constant learning rate: drawn in the middle, its value written beside it
        value = y_high
        pad = 10 ** math.floor(math.log10(abs(value))) if value else 0.5
        y_low, y_high = value - pad, value + pad
    x_span = (x_high - x_low) or 1.0
    dots_x, dots_y = canvas.width * 2 - 1, canvas.height * 4 - 1

    def to_dot(point: tuple[float, float]) -> tuple[int, int]:
        return (round((point[0] - x_low) / x_span * dots_x),
                round((point[1] - y_low) / (y_high - y_low) * dots_y))

    def lifted(dot: tuple[int, int], lift: int) -> tuple[int, int]:
        """A dot `lift` rows higher, or lower at the top edge, so a thick line stays on the plot."""
        return (dot[0], dot[1] + lift if dot[1] + lift <= dots_y else dot[1] - lift)

    for one, points in curves:
        if one.markers:
            for point in points:
                canvas.mark(*to_dot(point), one.colour)
            continue
        for lift in (0, 1) if one.thick else (0,):
            previous = lifted(to_dot(points[0]), lift)
            canvas.dot(*previous, one.colour)
            for point in points[1:]:
                current = lifted(to_dot(point), lift)
                canvas.line(previous, current, one.colour)
                previous = current
    tick_values = [y_low, y_high, value] if flat else nice_ticks(y_low, y_high, max(2, plot_height // 2))
    y_ticks = {canvas.height - 1 - to_dot((x_low, tick))[1] // 4: tick for tick in tick_values}
    rows = []
    for row, text in enumerate(canvas.rows()):
        label = _tick(y_ticks[row]) if row in y_ticks else ""
        axis = "┤" if row in y_ticks else "│"
        rows.append(Text.assemble((label.rjust(_AXIS_WIDTH - 1) + " " + axis, "dim"), text))
    x_ticks = {to_dot((value, y_low))[0] // 2: value
               for value in nice_ticks(x_low, x_high, max(2, canvas.width // 8))}
    axis_line = "".join("┬" if column in x_ticks else "─" for column in range(canvas.width))
    if x_label is not None:
        labels = [_tick_labels(x_ticks, canvas.width, x_label)]
    return [*top, *rows, Text(" " * _AXIS_WIDTH + "└" + axis_line, style="dim"), *labels]


def _columns(series: Series, width: int) -> int:
    """How many points of a series a plot `width` cells wide draws: one per dot column for a curve;
    for markers one per MARK_SPACING cells, so that a long run's evaluations leave the curves
    under them visible."""
    return max(1, width // MARK_SPACING) if series.markers else width * 2


def _tick_labels(ticks: dict[int, float], columns: int, x_label: str) -> Text:
    """The x ticks' values under their marks (left out where they would collide), the axis's name
    at the left."""
    cells = [" "] * columns
    free_from = 0
    for column, value in sorted(ticks.items()):
        label = _tick(value)
        start = min(max(0, column - len(label) // 2), columns - len(label))
        if start < free_from or start < 0:
            continue
        cells[start:start + len(label)] = label
        free_from = start + len(label) + 1
    return Text(x_label[: _AXIS_WIDTH - 1].rjust(_AXIS_WIDTH - 1) + "  " + "".join(cells), style="dim")


def _legend(series: Sequence[Series]) -> Text:
    """One entry per line series; markers share their line's colour, so one entry explains them all."""
    legend = Text()
    for one in series:
        if not one.markers and one.legend:
            legend.append("━ ", style=f"bold {one.colour}")
            legend.append(one.label + "  ")
    if any(one.markers for one in series):
        legend.append(f"{_MARK} validation", style="dim")
    legend.rstrip()
    return legend


def _tick(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.3g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.3g}k"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}"


class LineChart(Widget):
    """A widget showing `Panel`s one above the other; `show` (or `plot`, for series grouped into
    panels) replaces what it shows and repaints once."""

    DEFAULT_CSS = """
    LineChart { height: 1fr; min-height: 6; }
    """

    def __init__(self, title: str = "", empty: str = "waiting for the first steps…", *,
                 reveal_key: str = "", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.empty = empty
        self.reveal_key = reveal_key  # the key that shows panels left out for lack of room
        self.x_label = "step"
        self.panels: tuple[Panel, ...] = ()

    @property
    def series(self) -> tuple[Series, ...]:
        return tuple(one for panel in self.panels for one in panel.series)

    def plot(self, series: Sequence[Series], empty: str | None = None, x_label: str | None = None) -> None:
        if empty is not None:
            self.empty = empty
        self.show(group_panels(series, self.title, self.empty), x_label)

    def show(self, panels: Sequence[Panel], x_label: str | None = None) -> None:
        self.panels = tuple(panels)
        if x_label is not None:
            self.x_label = x_label
        self.refresh()

    def render(self) -> Text:
        panels = self.panels or (Panel(self.title, (), self.empty),)
        return render_panels(panels, self.size.width, self.size.height, self.x_label, self.reveal_key)
