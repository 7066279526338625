"""The pick lists of the set-up screen (cells, loggers), where picked and unpicked items read
differently without colour.

Textual's SelectionList draws the same `X` in every toggle and tells them apart by colour alone,
which many terminal themes make invisible. Here a picked item shows a tick and an unpicked one an
empty box.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist

PICKED = "✓"
UNPICKED = " "


class TickList(SelectionList[str]):
    """A SelectionList whose toggle shows ✓ for a picked item and a blank for the others."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        mark = PICKED if option.value in self.selected else UNPICKED
        segments = list(strip)
        if len(segments) < 2 or segments[1].text != ToggleButton.BUTTON_INNER:
            return strip  # not the toggle layout this was written for: keep Textual's own
        segments[1] = Segment(mark, segments[1].style)
        return Strip(segments, strip.cell_length)
