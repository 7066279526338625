"""Time budgets and the time plan: the whole run fits its budget, pauses cost nothing, evaluations
are planned in (on a sample when a full pass would not fit) and the ETA counts them.

The engine runs on a simulated clock here (timed-classify's steps and evaluated examples take set
seconds on it), so every number is exact on any machine; nothing real is timed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from engine_support import TimedClassify, registry_with_faults, simulated_time, tiny_config

from workbench.engine.budget import EVALUATION_BATCH_FACTOR, EVALUATION_SHARE, Bounds, Costs, TimePlan
from workbench.engine.run import Run
from workbench.events import Event, RunFinished, StateChanged, StepDone

BATCH = 8


def timed_run(corpora: Path, tmp_path: Path, **train: object) -> Run:
    config = tiny_config(corpora, tmp_path / "runs", **{"steps": 0, "epochs": 0, "eval_every": 0,
                                                         "batch_size": BATCH, **train})
    config.task = "timed-classify"
    return Run(config, registry=registry_with_faults())


def finish(run: Run) -> tuple[RunFinished, list[Event]]:
    events: list[Event] = []
    run.subscribe(events.append)
    result = run.run_sync()
    assert isinstance(result, RunFinished), result
    return result, events


@pytest.mark.parametrize("budget", [12.0, 20.0, 40.0])
def test_the_whole_run_ends_within_its_time_budget(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, budget: float
) -> None:
    # Evaluating an example costs 0.5 s: much slower than the plan guesses before it has timed one,
    # so the first validation's measurement must correct the plan.
    simulated_time(monkeypatch, step_seconds=1.0, item_seconds=0.5)
    result, _ = finish(timed_run(tiny_corpora, tmp_path, time_budget=budget, eval_every=3))
    summary = result.summary
    assert summary.ended_by == "time_budget"
    assert 0.9 * budget <= summary.wall_time <= 1.1 * budget
    assert summary.test, "the test ran inside the budget"


def test_a_validation_that_would_not_fit_scores_a_sample_and_says_so(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulated_time(monkeypatch, step_seconds=1.0, item_seconds=0.5)
    budget = 12.0
    result, _ = finish(timed_run(tiny_corpora, tmp_path, time_budget=budget, eval_every=3))
    validations = [e for e in TimedClassify.evaluations if e["split"] == "validation"]
    full = validations[0]["of"] * 0.5
    assert full > EVALUATION_SHARE * budget, "the scenario needs a validation too long for the budget"
    # The first one is planned on a guess; once timed, validations score a sample.
    assert all(e["items"] < e["of"] for e in validations[1:]) and len(validations) >= 2
    assert 0 < result.summary.final_validation["share"] < 1
    assert result.summary.wall_time <= 1.1 * budget


def test_a_test_slower_than_planned_still_scores_the_whole_split_within_the_budget(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short steps let training end close to the budget; the test's examples then take 25% longer
    # than the validations' that planned it, as on a machine that got busy at the end.
    simulated_time(monkeypatch, step_seconds=0.01, item_seconds=0.1)
    monkeypatch.setattr(TimedClassify, "slowdown", {"test": 1.25})
    budget = 10.0
    result, _ = finish(timed_run(tiny_corpora, tmp_path, time_budget=budget, eval_every=200))
    assert result.summary.ended_by == "time_budget"
    test = [e for e in TimedClassify.evaluations if e["split"] == "test"]
    assert len(test) == 1 and test[0]["items"] == test[0]["of"], "the whole test split was scored"
    assert result.summary.wall_time <= budget


def test_evaluation_runs_in_inference_mode_at_a_larger_batch(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulated_time(monkeypatch, step_seconds=1.0, item_seconds=0.01)
    finish(timed_run(tiny_corpora, tmp_path, steps=6, eval_every=3))
    assert [e["split"] for e in TimedClassify.evaluations] == ["validation", "validation", "test"]
    assert all(e["inference_mode"] for e in TimedClassify.evaluations)
    assert {e["batch_size"] for e in TimedClassify.evaluations} == {BATCH * EVALUATION_BATCH_FACTOR}
    assert all(e["share"] == 1.0 for e in TimedClassify.evaluations), "no budget: full passes"


def test_the_eta_counts_the_evaluations_still_to_come(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulated_time(monkeypatch, step_seconds=1.0, item_seconds=0.5)
    result, events = finish(timed_run(tiny_corpora, tmp_path, steps=6, eval_every=3))
    steps = {e.step: e for e in events if isinstance(e, StepDone)}
    evaluations = {e["split"]: e["items"] * 0.5 for e in TimedClassify.evaluations}
    # After the last step a validation (step 6 is an evaluation step) and the test are left.
    assert steps[6].eta_seconds == pytest.approx(evaluations["validation"] + evaluations["test"], rel=0.01)
    # At step 4: two more steps, the validation at 6 and the test.
    assert steps[4].eta_seconds == pytest.approx(2.0 + steps[6].eta_seconds, rel=0.01)
    assert result.summary.wall_time == pytest.approx(steps[6].elapsed + steps[6].eta_seconds, rel=0.01)


def test_pausing_spends_neither_the_budget_nor_wall_time_nor_throughput(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = simulated_time(monkeypatch, step_seconds=1.0, item_seconds=0.01)
    run = timed_run(tiny_corpora, tmp_path, time_budget=20.0)
    paused = threading.Event()
    events: list[Event] = []

    def watch(event: Event) -> None:
        events.append(event)
        if isinstance(event, StepDone) and event.step == 3:
            run.pause()
        if isinstance(event, StateChanged) and event.state == "paused":
            paused.set()

    run.subscribe(watch)
    run.start()
    assert paused.wait(60.0), "the run did not pause"
    clock.advance(1000.0)  # a long pause
    run.resume()
    assert run.join(timeout=120.0)
    summary = run.result.summary
    assert summary.status == "completed" and summary.ended_by == "time_budget"
    assert summary.steps >= 15, "the pause cut the training short"
    assert summary.wall_time <= 22.0
    assert summary.tokens_per_second >= BATCH - 1  # about a batch per simulated second
    after = [e for e in events if isinstance(e, StepDone) and e.step == 4][0]
    assert after.elapsed < 10.0


def test_the_learning_rate_schedule_spans_the_bound_that_ends_the_run(
    tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulated_time(monkeypatch, step_seconds=1.0, item_seconds=0.01)
    result, events = finish(timed_run(tiny_corpora, tmp_path, steps=1000, time_budget=20.0,
                                      schedule="linear", learning_rate=0.01))
    assert result.summary.ended_by == "time_budget" and result.summary.steps < 1000
    rates = [e.learning_rate for e in events if isinstance(e, StepDone)]
    assert rates[0] > 0.009 and rates[-1] < 0.002, "the schedule should reach its end with the budget"


def test_training_leaves_the_closing_work_half_its_cost_again_but_at_most_a_fiftieth_of_the_budget() -> None:
    costs = Costs(step=1.0, step_tokens=100.0, evaluation_token=0.01)
    # Cheap evaluations: a validation and a test of 1 s each, and 1 s of margin.
    cheap = TimePlan(Bounds(1000.0, None, 10, 0, 0, 100, 100), costs)
    assert not cheap.time_is_up(995.95, validated=False) and cheap.time_is_up(996.05, validated=False)
    # Evaluations of 10 s each on a 100 s budget: the margin stops at 2 s, not 10.
    costly = TimePlan(Bounds(100.0, None, 10, 0, 0, 1000, 1000), costs)
    assert not costly.time_is_up(76.95, validated=False) and costly.time_is_up(77.05, validated=False)


def test_a_plan_without_a_budget_never_samples_or_runs_out_of_time() -> None:
    plan = TimePlan(Bounds(0.0, 100, 10, 0, 0, 10_000, 10_000), Costs(step=1.0, step_tokens=100.0))
    assert plan.validation_share(elapsed=1e6, closing=True) == 1.0 and plan.test_share(1e6) == 1.0
    assert not plan.time_is_up(1e6, validated=False)
    # After step 50: 50 more steps, validations at 50 (still to come), 60, ..., 100, then the test.
    per_pass = 10_000 * (1.0 / 100.0 / 3.0)
    assert plan.eta(50, 0.0) == pytest.approx(50 + 6 * per_pass + per_pass)
