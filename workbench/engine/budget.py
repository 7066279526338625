"""The time plan of a run: when training must stop, how much of a split an evaluation scores, how
far along the learning-rate schedule is, and how long the rest of the run will take.

A time budget covers the whole run as a person times it: loading, training, every evaluation and
checkpoint, and the final test. Training therefore stops early enough for the closing work (the
last validation, its checkpoint, the test) to fit, planned from what those parts have cost so far
with a margin for their running slower at the end.
One pass over a split may take at most `EVALUATION_SHARE` of the budget: when a full pass would
not fit, it scores an evenly spread share of the split, and its metrics say which share.
"""

from __future__ import annotations

from dataclasses import dataclass

# Evaluation needs no gradients, so it runs at a larger batch than training.
EVALUATION_BATCH_FACTOR = 4
# The most of a time budget one validation pass, or the test, may take.
EVALUATION_SHARE = 0.15
# Before an evaluation has been timed, an evaluated token is taken to cost a third of a trained one
# (a forward pass, without the backward pass and the optimiser step).
EVALUATION_SPEEDUP_GUESS = 3.0
# Before a checkpoint has been timed, writing one is taken to go at this many bytes per second.
SAVE_BYTES_PER_SECOND_GUESS = 100e6
# The smallest share of a split an evaluation scores, however tight the budget.
MINIMUM_SHARE = 0.01
# Slack training leaves beside the closing work's planned cost: this share of that cost, but at most
# CLOSING_MARGIN_CAP of the budget. The plan is measured on earlier passes, and the last ones can run
# slower (another process woke, a cache went cold): with no slack, a closing pass 10% over its
# estimate cut the test to a sample of the split. The cap keeps short budgets, whose evaluations
# may take most of the time, from giving up training for it.
CLOSING_MARGIN = 0.5
CLOSING_MARGIN_CAP = 0.02
_SMOOTHING = 0.2  # weight of the newest step time in the running estimate


@dataclass
class Costs:
    """What the parts of a run cost, in seconds, as measured so far (None: not measured yet)."""

    step: float | None = None
    step_tokens: float | None = None
    evaluation_token: float | None = None
    save: float = 0.0  # best weights and checkpoint after a validation
    showcase: float = 0.0

    @classmethod
    def guessed(cls, checkpoint_bytes: int) -> Costs:
        """Starting estimates, before anything was timed: saving from the checkpoint's size."""
        return cls(save=checkpoint_bytes / SAVE_BYTES_PER_SECOND_GUESS)

    def record_step(self, seconds: float, tokens: int) -> None:
        if self.step is None or self.step_tokens is None:
            self.step, self.step_tokens = seconds, float(tokens)
            return
        self.step += _SMOOTHING * (seconds - self.step)
        self.step_tokens += _SMOOTHING * (tokens - self.step_tokens)

    def record_evaluation(self, seconds: float, tokens: float) -> None:
        if tokens > 0:
            self.evaluation_token = seconds / tokens

    def per_evaluated_token(self) -> float:
        """The measured cost of scoring a token, or the guess from the training steps."""
        if self.evaluation_token is not None:
            return self.evaluation_token
        if self.step is not None and self.step_tokens:
            return self.step / self.step_tokens / EVALUATION_SPEEDUP_GUESS
        return 0.0


@dataclass(frozen=True)
class Bounds:
    """What ends a run and when it evaluates: the resolved training settings that the plan reads."""

    time_budget: float  # seconds; 0 for none
    total_steps: int | None  # the step and epoch bounds, as steps
    steps_per_epoch: int
    eval_every: int  # 0: at each epoch's end
    sample_every: int  # 0: at each evaluation
    validation_tokens: int
    test_tokens: int

    def split_tokens(self, split: str) -> int:
        return self.validation_tokens if split == "validation" else self.test_tokens


class TimePlan:
    """Answers the loop's questions about time from the bounds and the costs measured so far."""

    def __init__(self, bounds: Bounds, costs: Costs):
        self.bounds = bounds
        self.costs = costs

    # What a pass over a split costs
    def pass_seconds(self, tokens: float) -> float:
        return tokens * self.costs.per_evaluated_token()

    def _planned_pass(self, tokens: int) -> float:
        full = self.pass_seconds(tokens)
        budget = self.bounds.time_budget
        return min(full, EVALUATION_SHARE * budget) if budget else full

    def _validation_round(self) -> float:
        """One validation with what follows it: saving, and the showcase unless it has its own rhythm."""
        showcase = 0.0 if self.bounds.sample_every else self.costs.showcase
        return self._planned_pass(self.bounds.validation_tokens) + self.costs.save + showcase

    def closing_seconds(self, validated: bool) -> float:
        """The work after the last step: the last validation (unless one just ran) and the test."""
        test = self._planned_pass(self.bounds.test_tokens)
        return test if validated else self._validation_round() + test

    def _reserved_for_closing(self, validated: bool) -> float:
        """The time training leaves for the closing work: its planned cost with a margin."""
        closing = self.closing_seconds(validated)
        return closing + min(CLOSING_MARGIN * closing, CLOSING_MARGIN_CAP * self.bounds.time_budget)

    # Decisions
    def time_is_up(self, elapsed: float, validated: bool) -> bool:
        """True when one more step would leave too little of the budget for the closing work."""
        budget = self.bounds.time_budget
        if not budget:
            return False
        return elapsed + (self.costs.step or 0.0) + self._reserved_for_closing(validated) >= budget

    def validation_share(self, elapsed: float, closing: bool) -> float:
        """The share of the validation split to score now (1.0: all of it).

        During training a pass may take `EVALUATION_SHARE` of the budget; the closing one also no
        more than what is left once saving and the test are set aside.
        """
        budget = self.bounds.time_budget
        if not budget:
            return 1.0
        allowed = EVALUATION_SHARE * budget
        if closing:
            after = self.costs.save + self.costs.showcase + self._planned_pass(self.bounds.test_tokens)
            allowed = min(allowed, budget - elapsed - after)
        return self._share(allowed, self.bounds.validation_tokens)

    def test_share(self, elapsed: float) -> float:
        """The share of the test split to score: all of it whenever the rest of the budget allows."""
        budget = self.bounds.time_budget
        if not budget:
            return 1.0
        return self._share(budget - elapsed, self.bounds.test_tokens)

    def _share(self, seconds: float, tokens: int) -> float:
        full = self.pass_seconds(tokens)
        if full <= seconds or full <= 0.0:
            return 1.0
        return max(MINIMUM_SHARE, seconds / full)

    def schedule_fraction(self, step: int, elapsed: float, warmup_steps: int) -> float:
        """How far the run is through its learning-rate schedule (0..1), by the bound that will end
        it first: the steps after warm-up, or the training time the budget leaves."""
        fractions = []
        total = self.bounds.total_steps
        if total:
            fractions.append((step - warmup_steps) / max(1, total - warmup_steps))
        budget = self.bounds.time_budget
        if budget:
            training = budget - self._reserved_for_closing(validated=False) - (self.costs.step or 0.0)
            fractions.append(elapsed / training if training > 0 else 1.0)
        return min(1.0, max(fractions)) if fractions else 0.0

    def eta(self, step: int, elapsed: float) -> float | None:
        """Seconds until the run ends, its remaining evaluations and the test included."""
        candidates = []
        budget = self.bounds.time_budget
        if budget:
            candidates.append(budget - elapsed)
        total = self.bounds.total_steps
        if total and self.costs.step is not None:
            candidates.append(self._seconds_to_step_bound(step, total))
        return max(0.0, min(candidates)) if candidates else None

    def _seconds_to_step_bound(self, step: int, total: int) -> float:
        """From the end of `step` (its own validation and showcase still to come) to the end."""
        bounds = self.bounds
        every = bounds.eval_every or bounds.steps_per_epoch
        validations = _multiples(every, step, total)
        last_validated = bool(every) and total % every == 0
        showcases = _multiples(bounds.sample_every, step, total)
        return ((total - step) * (self.costs.step or 0.0)
                + validations * self._validation_round()
                + showcases * self.costs.showcase
                + self.closing_seconds(validated=last_validated))


def _multiples(every: int, first: int, last: int) -> int:
    """How many multiples of `every` lie in first..last (none when `every` is 0)."""
    return last // every - (first - 1) // every if every else 0
