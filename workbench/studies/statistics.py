"""Seed statistics: a mean with its 95% interval per group of runs, each group against the best,
and one sentence that says whether the difference is real.

The test is Welch's t-test (scipy.stats.ttest_ind with equal_var=False). Runs with different seeds
are independent draws of each group's result; a few seeds per group is the usual budget, which is
where the t distribution (rather than a normal approximation) is right; and cells do not vary
equally from seed to seed (a plain RNN spreads more than a GRU), which Welch's test allows and
Student's does not. The interval of a difference is the one the same test implies, so "the
interval excludes zero" and "p < 0.05" always agree.

Every group is tested against the best, and with more than two groups one of those tests comes out
below 0.05 by chance more often than one time in twenty. The p-values and intervals are therefore
Bonferroni-corrected for the number of groups compared with the best: each p-value multiplied by
it, each interval widened to the matching confidence. With two groups nothing changes.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.studies.extras import require
from workbench.studies.outcome import RunOutcome

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
TEST_NAME = "Welch's t-test"
# A spread this small relative to the values is floating-point rounding, not a difference between seeds.
ROUNDING = 1e-12


@dataclass(frozen=True)
class Estimate:
    """A mean and the half-width of its 95% confidence interval (None with fewer than two values)."""

    mean: float
    half_width: float | None
    count: int


@dataclass(frozen=True)
class Difference:
    """A group's mean minus the best group's, with the 95% interval and p-value of Welch's test."""

    value: float
    low: float
    high: float
    p_value: float
    comparisons: int = 1  # groups compared with the best, which the p-value and interval correct for

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class GroupStatistics:
    """One group of runs that differ only by seed."""

    label: str
    runs: int  # all runs in the group, counted or not
    validation: Estimate | None
    test: Estimate | None
    wall_time: float | None
    parameters: int | None
    tokens_per_second: float | None
    difference: Difference | None  # against the best group; None for the best itself


@dataclass(frozen=True)
class Comparison:
    metric: str
    higher_is_better: bool
    groups: list[GroupStatistics]  # best first
    verdict: str
    comparisons: int = 1  # tests against the best, which every difference is corrected for


def cited_test(comparisons: int) -> str:
    """The test, and the correction when there is one: what a table or verdict cites."""
    return TEST_NAME if comparisons == 1 else f"{TEST_NAME} corrected for {comparisons} comparisons"


def estimate(values: Sequence[float]) -> Estimate | None:
    """Mean and 95% t-interval half-width of `values`."""
    if not values:
        return None
    mean = statistics.fmean(values)
    if len(values) < 2:
        return Estimate(mean, None, len(values))
    stats = require("scipy.stats")
    quantile = float(stats.t.ppf(1 - ALPHA / 2, len(values) - 1))
    return Estimate(mean, quantile * statistics.stdev(values) / math.sqrt(len(values)), len(values))


def difference(values: Sequence[float], best: Sequence[float], comparisons: int = 1) -> Difference | None:
    """Welch's test of mean(values) - mean(best), Bonferroni-corrected for `comparisons` tests
    against the best; None when either side has fewer than two values."""
    if len(values) < 2 or len(best) < 2:
        return None
    value = statistics.fmean(values) - statistics.fmean(best)
    rounding = ROUNDING * max(abs(v) for v in (*values, *best))
    if statistics.pstdev(values) <= rounding and statistics.pstdev(best) <= rounding:
        # No spread but rounding (runs identical but for the order of their sums): the test is
        # undefined there, and scipy warns of lost precision, but the answer is not in doubt.
        return Difference(value, value, value, 1.0 if abs(value) <= rounding else 0.0, comparisons)
    stats = require("scipy.stats")
    result = stats.ttest_ind(values, best, equal_var=False)
    interval = result.confidence_interval(1 - ALPHA / comparisons)
    return Difference(value, float(interval.low), float(interval.high),
                      min(1.0, float(result.pvalue) * comparisons), comparisons)


def compare_groups(groups: dict[str, list[RunOutcome]]) -> Comparison:
    """Statistics per group, the best group first, and the verdict on the best against the next."""
    judged = [outcome for members in groups.values() for outcome in members if outcome.metric]
    metric = judged[0].metric if judged else "metric"
    higher = judged[0].higher_is_better if judged else False
    values = {label: [o.validation for o in members if o.counted] for label, members in groups.items()}
    sign = -1.0 if higher else 1.0  # after the sign, lower is better

    def rank(label: str) -> tuple[bool, float]:
        return (not values[label], sign * statistics.fmean(values[label]) if values[label] else 0.0)

    ranked = sorted(groups, key=rank)
    best = values[ranked[0]] if ranked else []
    comparisons = max(1, sum(len(values[label]) >= 2 for label in ranked[1:]))
    rows = []
    for label in ranked:
        counted = [o for o in groups[label] if o.counted]
        rows.append(GroupStatistics(
            label=label,
            runs=len(groups[label]),
            validation=estimate(values[label]),
            test=estimate([o.test for o in counted if o.test is not None]),
            wall_time=_mean([o.wall_time for o in counted]),
            parameters=counted[0].parameters if counted else None,
            tokens_per_second=_mean([o.tokens_per_second for o in counted]),
            difference=None if label == ranked[0] else difference(values[label], best, comparisons),
        ))
    return Comparison(metric, higher, rows, verdict(metric, rows), comparisons)


def verdict(metric: str, rows: list[GroupStatistics]) -> str:
    """The best group against the runner-up, in words."""
    measured = [row for row in rows if row.validation is not None]
    if len(measured) < 2:
        return "Nothing to compare: fewer than two groups have finished runs."
    best, second = measured[0], measured[1]
    seeds = _seed_count(best, second)
    if best.validation.count < 2 or second.validation.count < 2 or second.difference is None:
        return (f"{best.label} leads {second.label}, but with {seeds} per group there is no interval: "
                "run 2 or more seeds (5 is a good start) to tell a difference from seed noise.")
    gap = second.difference
    test = cited_test(gap.comparisons)
    if gap.p_value < ALPHA:
        return (f"{best.label} beats {second.label} on validation {metric} by {abs(gap.value):.3f} "
                f"± {gap.half_width:.3f} over {seeds} ({test}, p = {gap.p_value:.2g}).")
    return (f"No difference detectable with {seeds} between {best.label} and {second.label} on validation "
            f"{metric} ({best.label} ahead by {abs(gap.value):.3f} ± {gap.half_width:.3f}, "
            f"{test}, p = {gap.p_value:.2f}).")


def _seed_count(first: GroupStatistics, second: GroupStatistics) -> str:
    counts = {first.validation.count if first.validation else 0,
              second.validation.count if second.validation else 0}
    if len(counts) == 1:
        count = counts.pop()
        return f"{count} seed" if count == 1 else f"{count} seeds"
    low, high = sorted(counts)
    return f"{low} and {high} seeds"


def _mean(values: Sequence[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.fmean(present) if present else None
