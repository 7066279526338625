"""One trial of a study is one ordinary run: its config from the trial's parameters, its
validation metric reported to Optuna as it is evaluated, its outcome stored with the trial.

A trial Optuna wants to prune stops its run through the engine (`Run.stop("pruned")`), so the run
ends like any stopped run, with its checkpoint, and with the status `pruned`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.engine.run import Run
from workbench.engine.signals import Stopper
from workbench.events import Evaluated, Event
from workbench.registry import Registry
from workbench.studies.extras import require
from workbench.studies.outcome import read_outcome
from workbench.studies.spec import StudySpec
from workbench.studies.storage import SLOT_ATTR

OUTCOME_ATTR = "outcome"  # the run's RunOutcome as JSON
RUN_ATTR = "run"  # where the run trains: run id, directory and host, set when it starts
INTERRUPTED_ATTR = "interrupted"  # a signal stopped the run; the trial was queued again
SURPLUS_ATTR = "surplus"


class TrialRunFailed(Exception):
    """The trial's run failed (its error is in the stored outcome); the trial counts as failed."""


class SurplusTrial(Exception):
    """Optuna made a fresh trial because another worker took the last queued one first. It is not
    one of the study's planned trials, so it ends at once and is never counted."""


class TrialInterrupted(Exception):
    """A signal stopped the trial's run; the worker stops too."""


@dataclass
class TrialRunner:
    """The objective Optuna calls: trains one run per trial and returns its best validation metric."""

    spec: StudySpec
    registry: Registry
    runs_dir: Path | None
    corpora: Path | None
    stopper: Stopper
    on_run: Callable[[Run, Any], None] | None = None  # e.g. attach a progress report to the run
    host: str = field(default_factory=socket.gethostname)
    competing_threads: int = 0  # threads of this process that need a core too (the app's UI)

    def __call__(self, trial: Any) -> float:
        if SLOT_ATTR not in trial.user_attrs:
            trial.set_user_attr(SURPLUS_ATTR, True)
            raise SurplusTrial(f"trial {trial.number} was not queued")
        params = {key: trial.suggest_categorical(key, values) for key, values in self.spec.grid.items()}
        params.update({dimension.key: dimension.suggest(trial) for dimension in self.spec.space})
        config = self.spec.trial_config(params, self.runs_dir, self.corpora)
        labels = {"study": self.spec.name, "trial": trial.number, "host": self.host}
        run = Run(config, registry=self.registry, labels=labels, competing_threads=self.competing_threads)
        run.subscribe(_pruning(trial, run, self.spec.metric))
        if self.on_run is not None:
            self.on_run(run, trial)
        self.stopper.current = run
        try:
            if self.stopper.signalled:
                run.stop()
            run.run_sync()  # bad input is raised and ends the study, as it would end a single run
        finally:
            self.stopper.current = None
        if run.run_dir is None:  # a plugin failed while the run got ready, before it had a directory
            raise TrialRunFailed(str(run.error or "the run failed before it started training"))
        trial.set_user_attr(RUN_ATTR, {"run_id": run.run_id, "run_dir": str(run.run_dir.resolve()),
                                       "host": self.host})
        outcome = read_outcome(run.run_dir)
        trial.set_user_attr(OUTCOME_ATTR, outcome.to_json())
        if outcome.status == "failed":
            raise TrialRunFailed(outcome.error or "the run failed")
        if outcome.status == "pruned":
            raise require("optuna").TrialPruned(f"trial {trial.number} was pruned")
        if outcome.status == "stopped":  # queued again at once, for another worker or a later run
            trial.set_user_attr(INTERRUPTED_ATTR, True)
            trial.study.enqueue_trial(trial.params, user_attrs={SLOT_ATTR: trial.user_attrs[SLOT_ATTR]})
            raise TrialInterrupted(f"trial {trial.number} was stopped by a signal")
        assert outcome.validation is not None
        return float(outcome.validation)


def _pruning(trial: Any, run: Run, metric: str) -> Callable[[Event], None]:
    """Report each validation metric to Optuna; stop the run as `pruned` when Optuna says so."""

    def on_event(event: Event) -> None:
        if isinstance(event, Evaluated) and event.split == "validation" and metric in event.metrics:
            trial.report(float(event.metrics[metric]), event.step)
            if trial.should_prune():
                run.stop("pruned")

    return on_event

