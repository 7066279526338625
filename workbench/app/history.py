"""Reading a run back from its metrics log (one JSON event per line), whole or as it grows.

The log holds exactly the events the run emitted live, so a run opened from disk draws the same
curves, samples and numbers as it did while training, a resumed run's chart starts with
everything it did before it stopped, and a run training in another process (a study's worker)
can be followed from its log alone.
"""

from __future__ import annotations

from pathlib import Path

from workbench.app.tracking import RunTrack
from workbench.runs.history import EventLog, EventLogTail, read_event_log
from workbench.summary import RunSummary


def load_track(run_dir: Path, track: RunTrack, summary: RunSummary | None = None) -> RunTrack:
    """Fill `track` from `run_dir`'s metrics log. The summary (if given) says the run's state (a
    log cannot tell that its run was killed) and, once the run has ended, its final numbers."""
    _apply(read_event_log(run_dir), track)
    if summary is not None:
        track.state = summary.status
        if summary.ended:
            track.summary = summary
    track.run_dir = str(run_dir)
    return track


class FollowedRun:
    """A track kept up with its run's metrics log while another process writes it."""

    def __init__(self, run_dir: Path, track: RunTrack) -> None:
        self.track = track
        self._tail = EventLogTail(run_dir)
        track.run_dir = str(run_dir)

    def catch_up(self) -> bool:
        """Apply the events logged since the last call; True if there were any."""
        log = self._tail.read_new()
        _apply(log, self.track)
        return bool(log.events or log.damaged_lines)


def _apply(log: EventLog, track: RunTrack) -> None:
    for number in log.damaged_lines:
        track.note(f"{log.path.name} line {number} is damaged and was skipped")
    for event in log.events:
        track.apply(event)
