"""A worker pulls queued trials of one study until the study is done.

"Done" is read from the storage, not from a count a worker keeps: no trial waiting and none
running. A trial whose worker died stays "running" until its heartbeat is stale; every worker
checks for stale trials before each trial and while it waits, so the dead worker's trial is failed,
queued again and picked up by whoever is still working.
"""

from __future__ import annotations

import time
from typing import Any

from workbench.engine.signals import Stopper
from workbench.studies.extras import require
from workbench.studies.spec import StudySpec
from workbench.studies.storage import SLOT_ATTR
from workbench.studies.trials import (
    INTERRUPTED_ATTR,
    OUTCOME_ATTR,
    SurplusTrial,
    TrialRunFailed,
    TrialRunner,
)

POLL_SECONDS = 0.5


def work(study: Any, runner: TrialRunner, stopper: Stopper) -> None:
    """Run queued trials until none waits or runs; raises TrialInterrupted when a signal stopped one."""
    optuna = require("optuna")
    waiting, running = optuna.trial.TrialState.WAITING, optuna.trial.TrialState.RUNNING
    while not stopper.signalled:
        optuna.storages.fail_stale_trials(study)
        active = study.get_trials(deepcopy=False, states=(waiting, running))
        if any(trial.state == waiting for trial in active):
            study.optimize(runner, n_trials=1, catch=(TrialRunFailed, SurplusTrial))
        elif active:  # other workers' trials: wait for them to end, or to go stale
            time.sleep(POLL_SECONDS)
        else:
            return


def requeue_unfinished(study: Any, spec: StudySpec) -> int:
    """Queue again each planned trial that has no live or finished trial (one whose workers died
    more often than the retries allow, or a signal stopped before it could queue it again).
    Returns how many."""
    optuna = require("optuna")
    state = optuna.trial.TrialState
    by_slot: dict[int, list[Any]] = {}
    for trial in study.get_trials(deepcopy=False):
        if SLOT_ATTR in trial.user_attrs:
            by_slot.setdefault(trial.user_attrs[SLOT_ATTR], []).append(trial)
    queued = 0
    for slot in range(spec.trials):
        trials = by_slot.get(slot, [])
        live = any(trial.state in (state.WAITING, state.RUNNING, state.COMPLETE, state.PRUNED)
                   or (trial.state == state.FAIL and OUTCOME_ATTR in trial.user_attrs
                       and not trial.user_attrs.get(INTERRUPTED_ATTR))
                   for trial in trials)
        if trials and not live:
            study.enqueue_trial(trials[-1].params, user_attrs={SLOT_ATTR: slot})
            queued += 1
    return queued
