"""The top line of every screen: the app's name, one tab per screen with its key, and what the
screen shows now.

The screen keys live here rather than in the footer: with them the footer of the busiest screen
overflowed 80 columns, hiding its last bindings. Each tab is also a link that switches screens.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

# (key, screen name, title), in the order the tabs are shown.
TABS = (("f2", "setup", "Set-up"), ("f3", "live", "Live"), ("f4", "runs", "Runs"), ("f5", "model", "Model"),
        ("f6", "inspect", "Inspect"))


class NavBar(Widget):
    """Tabs for the screens, the current one highlighted; the screen's sub-title on the right."""

    DEFAULT_CSS = """
    NavBar { dock: top; height: 1; width: 100%; background: $panel; color: $text; }
    """

    def on_mount(self) -> None:
        self.watch(self.screen, "sub_title", lambda _: self.refresh())

    def render(self) -> Text:
        line = Text(" workbench ", style="bold")
        current = self.screen.id
        for key, name, title in TABS:
            link = Style(meta={"@click": f"app.show('{name}')"})
            if name == current:
                line.append(f" {key} {title} ", style=Style(bold=True, reverse=True) + link)
            else:
                line.append(" ")
                line.append(key, style=Style(dim=True) + link)
                line.append(f" {title} ", style=link)
        if self.screen.sub_title:
            line.append("  " + self.screen.sub_title, style="italic")
        line.truncate(self.size.width, overflow="ellipsis")
        return line
