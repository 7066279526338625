"""A heatmap row draws one cell per character, each in its value's shade, the cursor as ▼."""

from __future__ import annotations

from rich.console import Console

from workbench.inspection.render import GLYPH, SHADES, Scale, value_row


def rendered_cells(row) -> list[tuple[str, str | None]]:  # noqa: ANN001 - a CellRow
    console = Console(width=80, color_system="truecolor")
    cells = []
    for segment in console.render(row):
        if segment.text == "\n" or (segment.style and segment.style.dim):
            continue
        colour = segment.style.color.triplet.hex if segment.style and segment.style.color else None
        cells.extend((glyph, colour) for glyph in segment.text)
    return cells


def test_each_cell_takes_its_own_values_shade_and_the_cursor_is_marked() -> None:
    values = [0.0, 0.25, 0.25, 0.5, 1.0, 0.75]
    scale = Scale(0.0, 1.0, False)
    row = value_row("L0 u3", values, scale, start=1, width=4, cursor=3, label_width=8)
    cells = rendered_cells(row)
    assert row.plain == "L0 u3   " + GLYPH * 2 + "▼" + GLYPH
    assert [glyph for glyph, _ in cells] == [GLYPH, GLYPH, "▼", GLYPH]
    assert [colour for _, colour in cells] == [scale.colour(value).triplet.hex for value in values[1:5]]
    assert cells[0][1] != cells[2][1] != cells[3][1]


def test_values_closer_than_one_shade_share_a_colour_and_far_ones_do_not() -> None:
    scale = Scale(0.0, 1.0, False)
    assert scale.colour(0.5) == scale.colour(0.5 + 0.2 / SHADES)
    assert scale.colour(0.5) != scale.colour(0.5 + 2.0 / SHADES)
