"""Seed statistics: intervals, Welch's test, the verdict, and grouping runs that differ by seed."""

from __future__ import annotations

import warnings

import pytest
from scipy import stats

from workbench.studies.grouping import group_by_seed
from workbench.studies.outcome import RunOutcome
from workbench.studies.report import statistics_table
from workbench.studies.statistics import compare_groups, difference, estimate


def outcome(cell: str, validation: float, status: str = "completed", test: float | None = None) -> RunOutcome:
    return RunOutcome(run_id=f"{cell}-{validation}", run_dir="/runs/x", cell=cell, status=status,
                      metric="bpc", higher_is_better=False, validation=validation, test=test,
                      wall_time=10.0, parameters=1000, tokens_per_second=500.0)


def test_the_interval_of_a_mean_uses_the_t_distribution() -> None:
    found = estimate([1.0, 2.0, 3.0])
    assert found is not None and found.mean == 2.0 and found.count == 3
    assert found.half_width == pytest.approx(4.302653 / 3 ** 0.5, rel=1e-5)  # t(0.975, 2) · s / √n, s = 1
    single = estimate([1.5])
    assert single is not None and single.half_width is None
    assert estimate([]) is None


def test_a_difference_is_welchs_test_with_its_interval() -> None:
    ours, best = [1.50, 1.52, 1.49, 1.55], [1.40, 1.41, 1.43, 1.39, 1.42]
    found = difference(ours, best)
    welch = stats.ttest_ind(ours, best, equal_var=False)
    assert found is not None
    assert found.value == pytest.approx(sum(ours) / 4 - sum(best) / 5)
    assert found.p_value == pytest.approx(welch.pvalue)
    assert (found.low, found.high) == pytest.approx(tuple(welch.confidence_interval(0.95)))
    assert found.low > 0, "the interval of a clear difference excludes zero"
    assert difference([1.0], best) is None
    same = difference([1.0, 1.0], [1.0, 1.0])
    assert same is not None and same.p_value == 1.0 and same.half_width == 0.0


def test_runs_identical_but_for_rounding_have_no_spread_and_raise_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's warning of lost precision would fail the test
        apart = difference([1.0, 1.0 + 2e-16, 1.0], [2.0, 2.0, 2.0 + 4e-16])
        level = difference([1.0, 1.0 + 2e-16, 1.0], [1.0, 1.0, 1.0 + 4e-16])
    assert apart is not None and apart.p_value == 0.0 and apart.value == pytest.approx(-1.0)
    assert level is not None and level.p_value == 1.0 and level.half_width == 0.0


def test_the_verdict_names_the_winner_only_when_the_difference_is_real() -> None:
    clear = compare_groups({"gru": [outcome("gru", v) for v in (1.40, 1.41, 1.43, 1.39, 1.42)],
                            "lstm": [outcome("lstm", v) for v in (1.50, 1.52, 1.49, 1.55, 1.51)],
                            "rnn": [outcome("rnn", v) for v in (1.70, 1.62, 1.66, 1.69, 1.64)]})
    assert [row.label for row in clear.groups] == ["gru", "lstm", "rnn"], "lower bpc is better"
    assert clear.groups[0].difference is None and clear.groups[1].difference.value > 0
    assert clear.verdict.startswith("gru beats lstm on validation bpc by 0.104 ± ")
    assert "over 5 seeds (Welch's t-test corrected for 2 comparisons, p = " in clear.verdict
    noisy = compare_groups({"gru": [outcome("gru", v) for v in (1.40, 1.60, 1.45)],
                            "lstm": [outcome("lstm", v) for v in (1.50, 1.42, 1.58)]})
    assert noisy.verdict.startswith("No difference detectable with 3 seeds between ")
    one_seed = compare_groups({"gru": [outcome("gru", 1.4)], "lstm": [outcome("lstm", 1.5)]})
    assert "no interval" in one_seed.verdict and "2 or more seeds" in one_seed.verdict


def test_with_more_than_two_groups_the_tests_against_the_best_are_corrected_together() -> None:
    best = [1.400, 1.404, 1.395, 1.402, 1.398]  # bits per character: lower is better
    close = [1.407, 1.404, 1.405, 1.404, 1.403]  # p is about 0.034 on its own
    far = [1.50, 1.52, 1.49, 1.55, 1.51]
    welch = stats.ttest_ind(close, best, equal_var=False)
    assert 0.025 < welch.pvalue < 0.05, "the scenario needs a difference that passes only uncorrected"
    groups = {"gru": [outcome("gru", v) for v in best], "rnn": [outcome("rnn", v) for v in close]}
    two = compare_groups(groups)
    assert two.groups[1].difference.p_value == pytest.approx(welch.pvalue)
    assert two.verdict.startswith("gru beats rnn"), "two groups: one test, nothing to correct"
    three = compare_groups({**groups, "lstm": [outcome("lstm", v) for v in far]})
    corrected = three.groups[1].difference
    assert corrected.comparisons == 2 and corrected.p_value == pytest.approx(2 * welch.pvalue)
    assert (corrected.low, corrected.high) == pytest.approx(tuple(welch.confidence_interval(0.975)))
    assert three.verdict.startswith("No difference detectable with 5 seeds between gru and rnn")
    assert "corrected for 2 comparisons" in three.verdict
    assert "corrected for 2 comparisons" in str(statistics_table(three).title)
    assert "corrected" not in str(statistics_table(two).title)


def test_runs_that_did_not_reach_their_end_are_left_out_of_the_numbers() -> None:
    comparison = compare_groups({"gru": [outcome("gru", 1.4, test=1.45), outcome("gru", 1.5, test=1.55),
                                         outcome("gru", 9.0, status="pruned"),
                                         outcome("gru", 9.0, status="stopped")]})
    (row,) = comparison.groups
    assert row.runs == 4 and row.validation.count == 2 and row.validation.mean == pytest.approx(1.45)
    assert row.test.mean == pytest.approx(1.5)


def test_groups_differ_by_everything_but_the_seed() -> None:
    settings = [({"cell": "gru", "train.seed": 0, "train.threads": 1, "train.learning_rate": 0.01}, "a"),
                ({"cell": "gru", "train.seed": 1, "train.threads": 2, "train.learning_rate": 0.01}, "b"),
                ({"cell": "lstm", "train.seed": 0, "train.threads": 1, "train.learning_rate": 0.01}, "c")]
    groups = group_by_seed((values, outcome(values["cell"], 1.0)) for values, _ in settings)
    assert {label: len(members) for label, members in groups.items()} == {"gru": 2, "lstm": 1}
    rates = [({"cell": "gru", "train.seed": seed, "train.learning_rate": rate}, outcome("gru", 1.0))
             for seed in (0, 1) for rate in (0.01, 0.001)]
    assert sorted(group_by_seed(rates)) == ["train.learning_rate=0.001", "train.learning_rate=0.01"]
