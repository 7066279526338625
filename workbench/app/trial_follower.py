"""A study's trials on the board, wherever they train.

Every trial is an ordinary run directory whose summary names its study, so the follower finds the
study's trials by looking for new run directories in the runs directory, and follows each one's
metrics log as it grows. Trials in worker processes therefore show exactly like trials trained in
the app's own process. A study's trials of one cell share a colour; trials that differ only by
seed share a seed group, which the live chart draws as thin lines around their mean.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from workbench.app.history import FollowedRun
from workbench.app.tracking import Board, RunTrack
from workbench.errors import CheckpointError
from workbench.runs.directory import INTERRUPTED, RunRecord, read_run, run_settings
from workbench.studies.grouping import SEED_KEY, group_by_seed
from workbench.studies.outcome import StudyLabel, study_label
from workbench.studies.space import CELL_KEY
from workbench.studies.spec import StudySpec


class TrialFollower:
    """Finds `spec`'s trials in `runs_dir` and keeps a track of each on the board."""

    def __init__(self, board: Board, runs_dir: Path, spec: StudySpec) -> None:
        self.board = board
        self.runs_dir = Path(runs_dir)
        self.spec = spec
        self.followed: list[FollowedRun] = []
        self._settings: list[tuple[dict[str, Any], RunTrack]] = []
        self._passed = set(_entries(self.runs_dir))  # what was there before the study is none of its trials
        self._seeded = SEED_KEY in spec.grid

    def poll(self) -> list[RunTrack]:
        """Take in new trials and what every trial logged since the last call; returns the trials
        that ended since then."""
        self._discover()
        ended = []
        for followed in self.followed:
            if followed.track.finished:
                continue
            followed.catch_up()
            if followed.track.finished:
                ended.append(followed.track)
        return ended

    def close(self) -> None:
        """After the study's work ended: a trial still unfinished lost its process (the worker was
        killed), which its run directory says too; its retry, if any, is a trial of its own."""
        for followed in self.followed:
            track = followed.track
            if track.finished:
                continue
            try:
                status = read_run(Path(track.run_dir)).summary.status
            except CheckpointError:
                status = INTERRUPTED
            if status == INTERRUPTED:
                track.mark(INTERRUPTED, "its process ended while it trained")

    def _discover(self) -> None:
        for name in sorted(_entries(self.runs_dir)):  # run ids begin with their time: oldest first
            if name in self._passed:
                continue
            run_dir = self.runs_dir / name
            try:
                record = read_run(run_dir)
            except CheckpointError:
                if not run_dir.is_dir():
                    self._passed.add(name)
                continue  # a run still opening has no summary yet: look again next time
            self._passed.add(name)
            label = study_label(record.summary)
            if label is not None and label.study == self.spec.name:
                self._follow(record, label)

    def _follow(self, record: RunRecord, label: StudyLabel) -> None:
        summary = record.summary
        settings = {CELL_KEY: summary.cell, **run_settings(record)}
        track = self.board.add(self._label(summary.cell, label, settings.get(SEED_KEY)),
                               colour_key=f"{self.spec.name}:{summary.cell}", run_id=summary.run_id,
                               cell=summary.cell, task=summary.task, dataset=summary.dataset,
                               metric=self.spec.metric, higher_is_better=self.spec.direction == "maximize",
                               study=self.spec.name)
        track.mark("opening", f"trial {label.trial} of study {self.spec.name} on {label.host}")
        self.followed.append(FollowedRun(record.run_dir, track))
        self._settings.append((settings, track))
        if self._seeded:
            for group, tracks in group_by_seed(self._settings).items():
                for member in tracks:
                    member.seed_group = group  # the labels name what sets groups apart: they change

    def _label(self, cell: str, label: StudyLabel, seed: Any) -> str:
        """`gru seed 1` in a study of cells and seeds, else `gru trial 7`."""
        if self._seeded and set(self.spec.grid) <= {CELL_KEY, SEED_KEY} and not self.spec.space:
            return f"{cell} seed {seed}"
        return f"{cell} trial {label.trial}"


def _entries(runs_dir: Path) -> list[str]:
    try:
        return os.listdir(runs_dir)
    except OSError:
        return []  # not made yet: the first trial makes it
