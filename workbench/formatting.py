"""Values as people read them, shared by the terminal reports, the errors and the app (no torch here).

A run's numbers (metrics, losses, steps, times, counts) are formatted here and nowhere else, so a
value reads the same in `workbench run`'s lines, `workbench runs`, the compare tables and the app.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def format_value(value: Any) -> str:
    """A setting's value as a TOML config file writes it: `false`, `0.003`, `"tanh"`, `["a", "b"]`.

    Config files, tables, help and error messages all show values this way, so what a person
    reads can be typed back into a config file (or after `--set`) as it is.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # also inf and nan, which TOML spells the same way
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string: quotes and escapes agree
    if isinstance(value, Path):
        return format_value(str(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{format_value(str(k))} = {format_value(v)}" for k, v in value.items()) + "}"
    if hasattr(value, "isoformat"):  # the dates and times TOML reads
        return value.isoformat()
    return repr(value)  # no TOML form (None, from JSON, say): as Python writes it


def format_duration(seconds: float | None) -> str:
    """`m:ss`, or `h:mm:ss` past an hour; an en dash when unknown."""
    if seconds is None:
        return "–"
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_number(value: Any) -> str:
    """Numbers as people read them in a table: 4 significant digits, thousands separated."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def format_metric(name: str | None, value: Any) -> str:
    """`accuracy 0.8123`: a named metric as tables and messages show it (the value alone unnamed)."""
    return f"{name} {format_number(value)}" if name else format_number(value)


def format_metrics(metrics: Mapping[str, Any]) -> str:
    """An evaluation on one line, `loss 0.9123  accuracy 0.8123`: its numbers (tables of numbers,
    such as a confusion matrix, are left out), and a note when it scored a share of its split."""
    shown = "  ".join(format_metric(name, value) for name, value in metrics.items()
                      if name != "share" and _is_number(value))
    share = metrics.get("share")
    if _is_number(share):
        shown += f"  (on {format_percent(share)} of the split, to fit the time budget)"
    return shown


def format_percent(share: float, decimals: int = 0) -> str:
    """A share as a percentage: `83%`, or `83.4%` with one decimal."""
    return f"{share:.{decimals}%}"


def format_count(count: int) -> str:
    """A count in at most four characters, for narrow columns: 845, 1.2k, 12k."""
    if count < 1000:
        return str(count)
    return f"{count / 1000:.1f}k" if count < 10_000 else f"{count // 1000}k"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
