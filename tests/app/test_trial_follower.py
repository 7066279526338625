"""Following a study's trials from their run directories: only the study's runs, each log read as
it grows (a line half written waits), one colour per cell, seeds grouped, the ends reported once."""

from __future__ import annotations

import json
from pathlib import Path

from app_support import builtin_registry, trial_dir

from workbench import events as ev
from workbench.app.tracking import Board
from workbench.app.trial_follower import TrialFollower
from workbench.config import Compare, RunConfig
from workbench.runs.directory import INTERRUPTED, METRICS_FILE
from workbench.runs.history import EventLogTail
from workbench.studies.spec import StudyRequest, build_spec
from workbench.summary import RunSummary

STUDY = "names-seeds"


def spec():  # noqa: ANN201 - a StudySpec of gru and rnn with seeds 0 and 1
    compare = Compare(RunConfig(dataset="names", cell="gru", task="classify"), ("gru", "rnn"))
    return build_spec(builtin_registry(), compare, StudyRequest(name=STUDY, seeds=2))


def log(run_dir: Path, *events: ev.Event, cut: int = 0) -> str:
    """Append events to the run's log, less the last `cut` characters, which are returned."""
    text = "".join(json.dumps(event.to_json()) + "\n" for event in events)
    with open(run_dir / METRICS_FILE, "a", encoding="utf-8") as file:
        file.write(text[: len(text) - cut])
    return text[len(text) - cut:]


def started(run_dir: Path) -> ev.RunStarted:
    return ev.RunStarted(run_dir.name, str(run_dir), {}, 100, "cpu", 4)


def step(run_dir: Path, number: int) -> ev.StepDone:
    return ev.StepDone(run_dir.name, number, 0, 1.0 / number, 0.003, 100.0, number * 0.1, None, number * 10)


def test_only_the_studys_new_runs_are_followed_and_their_logs_are_read_as_they_grow(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    before = trial_dir(runs, "a-before", "gru", 0, 0, STUDY)  # there before the study started: not its trial
    board = Board()
    follower = TrialFollower(board, runs, spec())
    gru_0 = trial_dir(runs, "b-gru-0", "gru", 0, 0, STUDY)
    trial_dir(runs, "c-other", "gru", 0, 0, study="another study")
    (runs / "d-opening").mkdir()  # no summary yet: looked at again next time
    unwritten = log(gru_0, started(gru_0), step(gru_0, 1), step(gru_0, 2), cut=5)
    assert follower.poll() == []
    (track,) = board.tracks
    assert track.run_dir == str(gru_0) and track.state == "running" and track.train == [(1, 1.0)]
    log(before, started(before))
    gru_1 = trial_dir(runs, "d-opening-gru-1", "gru", 1, 1, STUDY)
    rnn_0 = trial_dir(runs, "e-rnn-0", "rnn", 0, 2, STUDY)
    with open(gru_0 / METRICS_FILE, "a", encoding="utf-8") as file:  # the rest of the cut line
        file.write(unwritten)
    log(gru_0, ev.RunFinished(gru_0.name, "completed", RunSummary(gru_0.name, "completed")))
    assert follower.poll() == [track]
    assert track.train == [(1, 1.0), (2, 0.5)] and track.state == "completed"
    assert not any("damaged" in line for line in track.log)
    assert follower.poll() == [], "an end is reported once"
    assert [one.label for one in board.tracks] == ["gru seed 0", "gru seed 1", "rnn seed 0"]
    gru_colours = {one.colour for one in board.tracks if one.cell == "gru"}
    assert len(gru_colours) == 1 and board.tracks[2].colour not in gru_colours
    assert [one.seed_group for one in board.tracks] == ["gru", "gru", "rnn"]
    assert all(one.study == STUDY and one.metric == "accuracy" and one.higher_is_better
               for one in board.tracks)
    assert {one.run_dir for one in board.tracks} == {str(gru_0), str(gru_1), str(rnn_0)}


def test_a_trial_whose_process_died_is_marked_interrupted_once_the_study_ends(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    board = Board()
    follower = TrialFollower(board, runs, spec())
    run_dir = trial_dir(runs, "killed", "gru", 0, 0, STUDY)
    log(run_dir, started(run_dir), step(run_dir, 1))
    follower.poll()
    follower.close()  # nobody holds the run's lock: the summary's "running" is a dead process's
    assert board.tracks[0].state == INTERRUPTED


def test_a_log_tail_returns_whole_lines_only_and_numbers_damaged_ones(tmp_path: Path) -> None:
    tail = EventLogTail(tmp_path)
    assert tail.read_new().events == []  # no log yet
    first = json.dumps(step(tmp_path, 1).to_json())
    (tmp_path / METRICS_FILE).write_text(first + "\nnot json\n" + first[:10], encoding="utf-8")
    read = tail.read_new()
    assert [event.step for event in read.events] == [1] and read.damaged_lines == [2]
    with open(tmp_path / METRICS_FILE, "a", encoding="utf-8") as file:
        file.write(first[10:] + "\n{\n")
    read = tail.read_new()
    assert [event.step for event in read.events] == [1] and read.damaged_lines == [4]
    assert tail.read_new().events == []
