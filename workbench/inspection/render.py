"""Pictures of an inspection as rich renderables: for the terminal, the app and SVG files alike.

Every picture lines characters up in columns, one terminal cell each, so a heatmap's column sits
under the character it belongs to. Colours come from three scales: probabilities and gates (0 to 1),
signed values (blue below zero, red above), and surprisal (green for expected, red for surprising).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import groupby

import torch
from rich.cells import cell_len
from rich.color import Color
from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from torch import Tensor

from workbench.inspection.find import Finding
from workbench.inspection.heatmap import DIRECTIONS, Heatmap
from workbench.inspection.inspector import Inspection
from workbench.inspection.reading import NEXT_TOKEN, Reading

GLYPH = "█"
LABEL_WIDTH = 14
ALTERNATIVES = 5
SURPRISING_BITS = 8.0  # at and above this a character is drawn fully red
# Shades per colour scale: more than the eye tells apart in one terminal cell, and few enough that
# every shade's colour and style are made once, which keeps a repainted heatmap cheap.
SHADES = 64
_SEQUENTIAL = ((0x44, 0x01, 0x54), (0x3B, 0x52, 0x8B), (0x21, 0x91, 0x8C), (0x5E, 0xC9, 0x62),
               (0xFD, 0xE7, 0x25))
_DIVERGING = ((0x43, 0x93, 0xC3), (0x2E, 0x2E, 0x2E), (0xD6, 0x60, 0x4D))
_SURPRISAL = ((0x1A, 0x98, 0x50), (0xFE, 0xE0, 0x8B), (0xD7, 0x30, 0x27))


def shown(token: str, space: str = "·") -> str:
    """One terminal cell for a token: spaces, line breaks and named tokens made visible."""
    if token == " ":
        return space
    if token == "\n":
        return "↵"
    if len(token) > 1:
        return "◆"
    if not token.isprintable() or cell_len(token) != 1:
        return "?"
    return token


def _blend(stops: tuple[tuple[int, int, int], ...], fraction: float) -> Color:
    return _shade(stops, round(min(1.0, max(0.0, fraction)) * (SHADES - 1)))


@cache
def _shade(stops: tuple[tuple[int, int, int], ...], level: int) -> Color:
    scaled = level / (SHADES - 1) * (len(stops) - 1)
    index = min(int(scaled), len(stops) - 2)
    within = scaled - index
    low, high = stops[index], stops[index + 1]
    return Color.from_rgb(*(round(a + (b - a) * within) for a, b in zip(low, high, strict=True)))


@dataclass(frozen=True)
class Scale:
    """How values map to colours: `signed` values around zero up to ±`high`, else `low` to `high`."""

    low: float
    high: float
    signed: bool

    @classmethod
    def of(cls, values: Tensor) -> Scale:
        """Gates and probabilities (all within 0..1) keep that range; other values centre on zero."""
        if values.numel() == 0:
            return cls(0.0, 1.0, False)
        low, high = float(values.min()), float(values.max())
        if low >= 0.0 and high <= 1.0:
            return cls(0.0, 1.0, False)
        reach = max(abs(low), abs(high)) or 1.0
        return cls(-reach, reach, True)

    def colour(self, value: float) -> Color:
        if math.isnan(value):
            return Color.from_rgb(0x2E, 0x2E, 0x2E)
        fraction = (value - self.low) / ((self.high - self.low) or 1.0)
        return _blend(_DIVERGING if self.signed else _SEQUENTIAL, fraction)

    def legend(self) -> Text:
        text = Text.assemble((f"{self.low:+.2f} " if self.signed else f"{self.low:.0f} ", "dim"))
        for step in range(24):
            text.append(GLYPH, Style(color=self.colour(self.low + (self.high - self.low) * step / 23)))
        text.append(f" {self.high:+.2f}" if self.signed else f" {self.high:.0f}", style="dim")
        return text


def surprisal_colour(bits: float | None) -> Color:
    if bits is None:
        return Color.from_rgb(0x60, 0x60, 0x60)
    return _blend(_SURPRISAL, bits / SURPRISING_BITS)


def header(tokens: Sequence[str], start: int, width: int, cursor: int | None = None,
           label: str = "", label_width: int = LABEL_WIDTH) -> Text:
    """The characters of one page of columns, after a label (empty by default)."""
    line = Text.assemble((label[: label_width - 1].ljust(label_width), "dim"))
    for position in range(start, min(start + width, len(tokens))):
        style = "reverse bold" if position == cursor else "bold"
        line.append(shown(tokens[position]), style)
    return line


def value_row(label: str, values: Sequence[float], scale: Scale, start: int, width: int,
              cursor: int | None = None, label_width: int = LABEL_WIDTH) -> CellRow:
    """One labelled row of coloured cells, one per column of the page."""
    cells = [("▼" if position == cursor else GLYPH, _foreground(scale.colour(values[position])))
             for position in range(start, min(start + width, len(values)))]
    return CellRow(label[: label_width - 1].ljust(label_width), cells)


@dataclass(frozen=True)
class CellRow:
    """A label and a row of one-cell glyphs, each with its own style.

    It yields its segments itself: a heatmap page is thousands of differently coloured cells, and
    going through `Text` (a span per cell, styles stacked span by span) made every repaint of the
    Inspect screen several times slower.
    """

    label: str
    cells: list[tuple[str, Style]]

    @property
    def plain(self) -> str:
        return self.label + "".join(glyph for glyph, _ in self.cells)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        yield Segment(self.label, _DIM)
        for style, run in groupby(self.cells, key=lambda cell: cell[1]):
            yield Segment("".join(glyph for glyph, _ in run), style)
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(len(self.plain), len(self.plain))


_DIM = Style(dim=True)


@cache
def _foreground(colour: Color) -> Style:
    return Style(color=colour)


def pages(length: int, width: int) -> Iterator[int]:
    """Where each page of `width` columns starts."""
    yield from range(0, max(length, 1), max(1, width))


def unit_label(heatmap: Heatmap, row: int) -> str:
    return f"L{heatmap.key.layer} u{heatmap.units[row]}"


def heatmap_page(heatmap: Heatmap, tokens: Sequence[str], start: int, width: int,
                 rows: range | None = None, cursor: int | None = None, scale: Scale | None = None) -> Group:
    """One page of a units × characters heatmap: the characters, then a row per unit."""
    scale = scale or Scale.of(heatmap.values)
    lines = [header(tokens, start, width, cursor)]
    for row in rows if rows is not None else range(len(heatmap.units)):
        lines.append(value_row(unit_label(heatmap, row), heatmap.values[row].tolist(), scale, start, width,
                               cursor))
    return Group(*lines)


def heatmap_picture(heatmap: Heatmap, tokens: Sequence[str], width: int) -> Group:
    """The whole heatmap, cut into pages that fit `width` columns, with its caption and legend."""
    scale = Scale.of(heatmap.values)
    columns = max(8, width - LABEL_WIDTH)
    parts: list[RenderableType] = [Text(heatmap.caption, style="bold")]
    for start in pages(len(tokens), columns):
        parts.append(heatmap_page(heatmap, tokens, start, columns, scale=scale))
    parts.append(scale.legend())
    return Group(*parts)


def class_rows(reading: Reading, count: int) -> list[tuple[str, list[float]]]:
    """The classes likeliest at the end of the text, each with its probability after every character."""
    final = reading.top(len(reading) - 1, count)
    index = {label: position for position, label in enumerate(reading.labels)}
    return [(f"{label} {p:.0%}", reading.probabilities[:, index[label]].tolist()) for label, p in final]


def class_picture(reading: Reading, count: int, width: int, cursor: int | None = None) -> Group:
    """How the likeliest classes' probabilities grow or fade as each character is read."""
    scale = Scale(0.0, 1.0, False)
    rows = class_rows(reading, count)
    columns = max(8, width - LABEL_WIDTH)
    parts: list[RenderableType] = [Text("probability of each class after each character", style="bold")]
    for start in pages(len(reading), columns):
        parts.append(header(reading.tokens, start, columns, cursor))
        parts.extend(value_row(label, values, scale, start, columns, cursor) for label, values in rows)
    parts.append(scale.legend())
    return Group(*parts)


def surprisal_text(reading: Reading, cursor: int | None = None) -> Text:
    """The text with each character on a colour of how surprised the model was to read it."""
    text = Text()
    for position, token in enumerate(reading.tokens):
        style = Style(color="black", bgcolor=surprisal_colour(reading.surprisal(position)),
                      reverse=position == cursor, bold=position == cursor)
        text.append(shown(token, space=" ") if token == "\n" or len(token) > 1 else token, style)
        if token == "\n":
            text.append("\n")
    return text


def surprisal_summary(reading: Reading) -> Text:
    """Mean bits per character and the most surprising character."""
    costs = [(bits, position) for position in range(len(reading))
             if (bits := reading.surprisal(position)) is not None and math.isfinite(bits)]
    if not costs:
        return Text("no character was predicted", style="dim")
    mean = sum(bits for bits, _ in costs) / len(costs)
    worst, where = max(costs)
    return Text.assemble(
        (f"{mean:.2f} bits per character", "bold"), f" over {len(costs)} characters; most surprising: ",
        (repr(reading.tokens[where]), "bold"), f" at {where} ({worst:.1f} bits)")


def alternatives(choices: list[tuple[str, float]]) -> Text:
    text = Text()
    for index, (label, p) in enumerate(choices):
        if index:
            text.append(" · ", style="dim")
        text.append(shown(label, space="␣"), "bold")
        text.append(f" {p:.0%}")
    return text


def positions_table(reading: Reading, rows: int) -> Table:
    """Per character: the probability the model gave it, its bits and the likeliest alternatives.

    With more characters than `rows` (0 for all), the most surprising ones are listed, in text order.
    """
    positions = list(range(len(reading)))
    if rows and len(positions) > rows:
        ranked = sorted(positions, key=lambda p: -(reading.surprisal(p) or 0.0))
        positions = sorted(ranked[:rows])
    title = "every character" if len(positions) == len(reading) else \
        f"the {len(positions)} most surprising characters"
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in ("at", "char", "p", "bits"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column(f"top {ALTERNATIVES} alternatives")
    for position in positions:
        chance, bits = reading.chance(position), reading.surprisal(position)
        table.add_row(str(position), shown(reading.tokens[position], space="␣"),
                      "–" if chance is None else f"{chance:.1%}",
                      Text("–" if bits is None else f"{bits:.2f}", style=Style(color=surprisal_colour(bits))),
                      alternatives(reading.top(position, ALTERNATIVES)))
    return table


def next_text(reading: Reading) -> Text:
    """What the model expects after the text."""
    choices = reading.following(ALTERNATIVES)
    return Text.assemble(("after the text: ", "dim"), alternatives(choices)) if choices else Text()


def ranking_table(reading: Reading, count: int) -> Table:
    """The final prediction: the likeliest classes with their probabilities."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, justify="right")
    table.add_column(no_wrap=True)
    for label, p in reading.top(len(reading) - 1, count):
        table.add_row(label, f"{p:.1%}", Text(GLYPH * max(1, round(p * 30)), style="green"))
    return table


def title(inspection: Inspection, text: str) -> Text:
    step = f" · weights of step {inspection.step}" if inspection.step is not None else ""
    return Text.assemble(("inspect ", "dim"), (repr(text if len(text) <= 40 else text[:39] + "…"), "bold"),
                         (f" · {inspection.title}{step}", "dim"))


def inspection_picture(inspection: Inspection, heatmap: Heatmap, text: str, width: int, top: int = 3,
                       rows: int = 40) -> Group:
    """Everything `workbench inspect RUN TEXT` prints."""
    reading = inspection.reading
    parts: list[RenderableType] = [title(inspection, text), Text()]
    if reading.kind == NEXT_TOKEN:
        parts += [surprisal_text(reading), Text(), surprisal_summary(reading), next_text(reading), Text(),
                  positions_table(reading, rows)]
    else:
        parts += [class_picture(reading, top, width), Text(), ranking_table(reading, top)]
    parts += [Text(), heatmap_picture(heatmap, reading.tokens, width)]
    return Group(*parts)


def findings_picture(findings: Sequence[Finding], width: int) -> Group:
    """For each feature: the units that track it best, and the best one drawn over a passage."""
    parts: list[RenderableType] = []
    columns = max(8, width - LABEL_WIDTH)
    for finding in findings:
        parts.append(Text.assemble((finding.feature, "bold"), (f" · {finding.description}", "dim")))
        if not finding.units:
            parts += [Text(f"  never varies over the {finding.characters} characters read: nothing to "
                           "correlate", style="dim"), Text()]
            continue
        table = Table(show_edge=False, pad_edge=False, box=None)
        for column in ("layer", "direction", "unit", "correlation"):
            table.add_column(column, justify="right", no_wrap=True)
        for rank, score in enumerate(finding.units):
            correlation = Text(f"{score.correlation:+.3f}", style="" if rank else "bold")
            table.add_row(str(score.layer), DIRECTIONS[score.direction], str(score.unit), correlation)
        parts.append(table)
        example, best = finding.example, finding.units[0]
        if example is not None:
            feature_scale = Scale.of(torch.tensor(example.feature))
            unit_scale = Scale.of(torch.tensor(example.activation))
            unit = f"L{best.layer} u{best.unit}"
            for start in pages(len(example.tokens), columns):
                parts += [header(example.tokens, start, columns),
                          value_row(finding.feature, example.feature, feature_scale, start, columns),
                          value_row(unit, example.activation, unit_scale, start, columns)]
        parts.append(Text(f"  over {finding.characters:,} characters of validation text", style="dim"))
        parts.append(Text())
    return Group(*parts)


def surprisal_row(reading: Reading, start: int, width: int, cursor: int | None = None,
                  label_width: int = LABEL_WIDTH) -> Text:
    """The bits each character cost, as a row of coloured cells under the characters."""
    line = Text.assemble(("bits".ljust(label_width), "dim"))
    for position in range(start, min(start + width, len(reading))):
        glyph = "▼" if position == cursor else GLYPH
        line.append(glyph, Style(color=surprisal_colour(reading.surprisal(position))))
    return line


def position_detail(reading: Reading, position: int) -> Text:
    """The prediction at one character: its probability, bits and alternatives, or the classes."""
    token = repr(reading.tokens[position])
    if reading.kind == NEXT_TOKEN:
        chance, bits = reading.chance(position), reading.surprisal(position)
        if chance is None or bits is None:
            return Text.assemble((f"{position} {token}", "bold"), ": nothing was predicted before it")
        return Text.assemble((f"{position} {token}", "bold"), f" p {chance:.1%}, {bits:.2f} bits · expected ",
                             alternatives(reading.top(position, ALTERNATIVES)))
    read = "".join(reading.tokens[: position + 1])
    shown_text = read if len(read) <= 24 else "…" + read[-23:]
    choices = " · ".join(f"{label} {p:.0%}" for label, p in reading.top(position, ALTERNATIVES))
    return Text.assemble(("after ", "dim"), (repr(shown_text), "bold"), ": ", choices)
