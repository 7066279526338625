"""Reading a past run back into a RunTrack from its metrics log (one JSON event per line).

The log holds exactly the events the run emitted live, so a run opened from disk draws the same
curves, samples and numbers as it did while training.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.app.tracking import RunTrack
from workbench.errors import CheckpointError
from workbench.events import event_from_json

METRICS_FILE = "metrics.jsonl"  # the engine's name for it (workbench.runs, which imports torch)


def load_track(run_dir: Path, track: RunTrack, summary: dict[str, Any] | None = None) -> RunTrack:
    """Fill `track` from `run_dir`'s metrics log; the summary (if given) wins for final numbers."""
    path = Path(run_dir) / METRICS_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CheckpointError(f"Cannot read {path} ({error.strerror}); the run has no metrics log.") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = event_from_json(json.loads(line))
        except (ValueError, TypeError):
            track.note(f"{path.name} line {number} is damaged and was skipped")
            continue
        if event is not None:
            track.apply(event)
    if summary is not None and summary.get("status") not in (None, "running"):
        track.summary = dict(summary)
        track.state = str(summary["status"])
    track.run_dir = str(run_dir)
    return track
