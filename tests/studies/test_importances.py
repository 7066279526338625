"""Parameter importances rank the settings a study chose, never the seed."""

from __future__ import annotations

import optuna

from workbench.studies.results import importances

CELLS = optuna.distributions.CategoricalDistribution(["rnn", "gru"])
SEEDS = optuna.distributions.IntDistribution(0, 4)
RATES = optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)


def study_of(trials: list[tuple[dict, float]]) -> optuna.Study:
    study = optuna.create_study(direction="minimize")
    for params, value in trials:
        distributions = {"cell": CELLS, "train.seed": SEEDS, "train.learning_rate": RATES}
        study.add_trial(optuna.trial.create_trial(
            params=params, distributions={name: distributions[name] for name in params}, value=value))
    return study


def test_the_seed_is_not_ranked_beside_the_chosen_parameters() -> None:
    trials = [({"cell": cell, "train.seed": seed, "train.learning_rate": rate},
               (1.0 if cell == "rnn" else 2.0) + rate + seed / 100)
              for cell in ("rnn", "gru") for seed in range(3) for rate in (1e-3, 3e-3)]
    found = importances(study_of(trials))
    assert set(found) == {"cell", "train.learning_rate"}
    assert abs(sum(found.values()) - 1) < 1e-6


def test_cells_by_seeds_alone_have_nothing_to_rank() -> None:
    trials = [({"cell": cell, "train.seed": seed}, (1.0 if cell == "rnn" else 2.0) + seed / 10)
              for cell in ("rnn", "gru") for seed in range(5)]
    assert importances(study_of(trials)) == {}
