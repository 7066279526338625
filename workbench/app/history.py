"""Reading a past run back from its metrics log (one JSON event per line).

The log holds exactly the events the run emitted live, so a run opened from disk draws the same
curves, samples and numbers as it did while training, and a resumed run's chart starts with
everything it did before it stopped.
"""

from __future__ import annotations

from pathlib import Path

from workbench.app.tracking import RunTrack
from workbench.runs import read_event_log
from workbench.summary import RunSummary


def load_track(run_dir: Path, track: RunTrack, summary: RunSummary | None = None) -> RunTrack:
    """Fill `track` from `run_dir`'s metrics log; the summary (if given) wins for final numbers
    once the run has ended."""
    log = read_event_log(run_dir)
    for number in log.damaged_lines:
        track.note(f"{log.path.name} line {number} is damaged and was skipped")
    for event in log.events:
        track.apply(event)
    if summary is not None and summary.ended:
        track.summary = summary
        track.state = summary.status
    track.run_dir = str(run_dir)
    return track
