"""A study's results, read from its storage alone: what `study show` and `study list` report,
on any machine that reaches the storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.studies.extras import require
from workbench.studies.grouping import SEED_KEY, group_by_seed
from workbench.studies.outcome import RunOutcome
from workbench.studies.spec import StudySpec
from workbench.studies.statistics import Comparison, compare_groups
from workbench.studies.storage import SLOT_ATTR
from workbench.studies.trials import OUTCOME_ATTR, RUN_ATTR, SURPLUS_ATTR


@dataclass(frozen=True)
class TrialView:
    """One planned trial as it stands: its latest attempt, and how many attempts a dead worker cost."""

    number: int
    slot: int
    state: str  # complete, pruned, fail, running or waiting
    params: dict[str, Any]
    value: float | None
    outcome: RunOutcome | None
    run: dict[str, Any]
    retries: int


@dataclass(frozen=True)
class StudyResults:
    spec: StudySpec
    trials: list[TrialView]  # one per planned trial that has started or is queued, by slot

    def count(self, state: str) -> int:
        return sum(trial.state == state for trial in self.trials)

    @property
    def done(self) -> bool:
        return all(trial.state in ("complete", "pruned", "fail") for trial in self.trials)

    def best(self, limit: int = 5) -> list[TrialView]:
        """Finished trials, best validation metric first."""
        finished = [trial for trial in self.trials if trial.state == "complete" and trial.value is not None]
        maximize = self.spec.direction == "maximize"
        return sorted(finished, key=lambda trial: trial.value, reverse=maximize)[:limit]  # type: ignore

    def comparison(self) -> Comparison | None:
        """Statistics over groups of trials that differ only by seed; None unless a group has two."""
        items = [(trial.params, trial.outcome) for trial in self.trials if trial.outcome is not None]
        groups = group_by_seed(items)
        if not any(len(members) > 1 for members in groups.values()):
            return None
        return compare_groups(groups)


def read_results(study: Any, spec: StudySpec) -> StudyResults:
    """The latest attempt of each planned trial, with its stored outcome."""
    attempts: dict[int, list[Any]] = {}
    for trial in study.get_trials(deepcopy=False):
        if SLOT_ATTR in trial.user_attrs and not trial.user_attrs.get(SURPLUS_ATTR):
            attempts.setdefault(trial.user_attrs[SLOT_ATTR], []).append(trial)
    views = []
    for slot, trials in sorted(attempts.items()):
        latest = max(trials, key=lambda trial: trial.number)
        outcome = latest.user_attrs.get(OUTCOME_ATTR)
        views.append(TrialView(
            number=latest.number, slot=slot, state=latest.state.name.lower(), params=dict(latest.params),
            value=latest.value, outcome=RunOutcome.from_json(outcome) if outcome else None,
            run=dict(latest.user_attrs.get(RUN_ATTR, {})), retries=len(trials) - 1,
        ))
    return StudyResults(spec, views)


def importances(study: Any) -> dict[str, float]:
    """How much each chosen parameter matters to the validation metric (Optuna's PED-ANOVA evaluator),
    or {} when the finished trials are too few or too alike to say.

    The seed is left out: it is not a setting anyone chooses, and its share is the noise between
    seeds that the statistics table already gives. One parameter alone always gets all of the
    importance, which says nothing, so it gets {} too.
    """
    optuna = require("optuna")
    finished = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    chosen = sorted({name for trial in finished for name in trial.params} - {SEED_KEY})
    if len(finished) < 2 or len(chosen) < 2:
        return {}
    evaluator = optuna.importance.PedAnovaImportanceEvaluator()
    try:
        found = dict(optuna.importance.get_param_importances(study, evaluator=evaluator, params=chosen))
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}
    return found if any(found.values()) else {}
