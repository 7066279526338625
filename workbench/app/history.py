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
    """Fill `track` from `run_dir`'s metrics log. The summary (if given) says the run's state (a
    log cannot tell that its run was killed) and, once the run has ended, its final numbers."""
    log = read_event_log(run_dir)
    for number in log.damaged_lines:
        track.note(f"{log.path.name} line {number} is damaged and was skipped")
    for event in log.events:
        track.apply(event)
    if summary is not None:
        track.state = summary.status
        if summary.ended:
            track.summary = summary
    track.run_dir = str(run_dir)
    return track
