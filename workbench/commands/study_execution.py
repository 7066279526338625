"""Running a study from this machine: create it (or continue it), work on it in this process or
in a pool of worker processes, then show its results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from workbench.commands.run_report import JsonReport, TerminalReport
from workbench.engine.run import Run
from workbench.engine.signals import Stopper, stop_on_signals
from workbench.events import Event, RunFailed, RunFinished, RunStarted
from workbench.formatting import format_duration, format_metric
from workbench.registry import Registry
from workbench.studies.pool import INTERRUPTED, oversubscription_warning, run_pool
from workbench.studies.report import format_params, print_study
from workbench.studies.results import importances, read_results
from workbench.studies.spec import StudySpec
from workbench.studies.storage import connect, create_study
from workbench.studies.trials import TrialInterrupted, TrialRunner
from workbench.studies.worker import requeue_unfinished, work
from workbench.terminal import console as terminal_console


@dataclass(frozen=True)
class Place:
    """Where a study's trials run and are recorded."""

    storage: str
    runs_dir: Path | None
    corpora: Path | None


def run_study(spec: StudySpec, place: Place, workers: int, registry: Registry, json: bool) -> int:
    """Create or continue `spec`'s study, work until it is done, show the results; the exit code is
    130 after a signal, 1 when a trial's run failed, else 0."""
    console, errors = terminal_console(), terminal_console(stderr=True)
    create_study(place.storage, spec)
    study, spec = connect(place.storage, spec.name)
    requeued = requeue_unfinished(study, spec)
    if requeued and not json:
        console.print(f"continuing study {spec.name!r}: {requeued} unfinished trials queued again")
    warning = oversubscription_warning(workers)
    if warning:
        errors.print(Text.assemble(("warning: ", "bold yellow"), warning), highlight=False)
    if workers > 1:
        code = run_pool(workers, place.storage, spec.name, place.runs_dir, place.corpora, json)
    else:
        report = JsonReport() if json else TerminalReport(console, compare=False)
        with stop_on_signals() as stopper:
            code = work_here(study, spec, place, registry, attach_report(console, report, json), stopper)
    results = read_results(study, spec)
    if not json:
        print_study(console, results, importances(study) if results.done else {}, place.storage)
        console.print(f"study {spec.name!r}: `workbench study show {spec.name}` shows it again", style="dim")
    if code:
        return code
    return 1 if results.count("fail") else 0


def work_here(study: Any, spec: StudySpec, place: Place, registry: Registry,
              on_run: Callable[[Run, Any], None], stopper: Stopper) -> int:
    """This process as a worker of the study until it is done; 130 when a signal stopped it."""
    runner = TrialRunner(spec, registry, place.runs_dir, place.corpora, stopper, on_run)
    try:
        work(study, runner, stopper)
    except TrialInterrupted:
        pass
    return INTERRUPTED if stopper.signalled else 0


def attach_report(console: Console, report: Any, json: bool) -> Callable[[Run, Any], None]:
    """Follow each trial's run with a run report (progress bars, or JSON lines)."""

    def attach(run: Run, trial: Any) -> None:
        if not json:
            console.print(Text.assemble((f"trial {trial.number} ", "bold"), format_params(trial.params)),
                          highlight=False)
        run.subscribe(report.on_event)

    return attach


def trial_lines(console: Console) -> Callable[[Run, Any], None]:
    """One line when a trial starts and one when it ends: what several workers can share a
    terminal with. Lines are never wrapped (a narrow terminal folds them itself), so a log keeps
    each run directory whole on its trial's line."""

    def attach(run: Run, trial: Any) -> None:
        def on_event(event: Event) -> None:
            if isinstance(event, RunStarted):  # the run's directory exists from here on
                started = f"trial {trial.number} started: {format_params(trial.params)} → {event.run_dir}"
                console.print(started, highlight=False, soft_wrap=True)
            elif isinstance(event, RunFinished):
                summary = event.summary
                best = summary.metric
                shown = format_metric(summary.metric_name, best) if best is not None else "no metric"
                console.print(f"trial {trial.number} {event.status}: {shown}, "
                              f"{format_duration(summary.wall_time)}", highlight=False, soft_wrap=True)
            elif isinstance(event, RunFailed):
                console.print(f"trial {trial.number} failed: {event.error}", highlight=False, soft_wrap=True)

        run.subscribe(on_event)

    return attach

