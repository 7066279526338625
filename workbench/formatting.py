"""Numbers as people read them, shared by the terminal reports and the app (no torch here)."""

from __future__ import annotations


def format_duration(seconds: float | None) -> str:
    """`m:ss`, or `h:mm:ss` past an hour; an en dash when unknown."""
    if seconds is None:
        return "–"
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
