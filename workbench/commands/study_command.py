"""`workbench study`: studies on Optuna (seeds, grids, searches, many workers).

    study create FILE    declare a study and queue its trials (for workers started elsewhere)
    study run FILE       create or continue it, work on it here (--workers N processes), show it
    study worker         work on an existing study until it is done (start one per machine)
    study show NAME      best trials, statistics over seeds, parameter importances
    study list           the studies in a storage
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from workbench.commands.plugins_command import print_problems
from workbench.config import RunConfig
from workbench.errors import ConfigError
from workbench.registry import default_registry
from workbench.runs.directory import default_runs_dir
from workbench.terminal import console


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "study", help="seeds, sweeps and searches on Optuna, on one machine or many",
        description="Studies run many trials of one experiment; each trial is an ordinary run. The "
                    "storage defaults to a file in the runs directory; --storage URL shares one "
                    "(e.g. PostgreSQL) between machines.",
    )
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
    commands = parser.add_subparsers(dest="study_command", metavar="COMMAND")

    create = commands.add_parser("create", help="declare a study and queue its trials")
    _add_declaration(create)
    _add_place(create)
    create.set_defaults(handler=create_command)

    run = commands.add_parser("run", help="create or continue a study, work on it here, show it")
    _add_declaration(run)
    _add_place(run)
    run.add_argument("--workers", type=int, metavar="N", help="worker processes on this machine (default 1)")
    run.add_argument("--json", action="store_true", help="print one JSON object per run event")
    run.set_defaults(handler=run_command)

    worker = commands.add_parser("worker", help="work on an existing study until it is done")
    worker.add_argument("--study", required=True, metavar="NAME", help="the study's name")
    _add_place(worker)
    worker.add_argument("--threads", type=int, metavar="N", help="torch threads for this worker's runs")
    worker.add_argument("--json", action="store_true", help="print one JSON object per run event")
    worker.set_defaults(handler=worker_command)

    show = commands.add_parser("show", help="a study's best trials, statistics and importances")
    show.add_argument("name", metavar="NAME")
    _add_storage(show)
    show.add_argument("--json", action="store_true", help="print JSON instead of tables")
    show.set_defaults(handler=show_command)

    listing = commands.add_parser("list", help="the studies in a storage")
    _add_storage(listing)
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=list_command)


def _add_declaration(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="config file with a [study] table")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", dest="overrides",
                        help="set an option of the experiment, as for `workbench run`")
    group = parser.add_argument_group("the study (flags win over the [study] table)")
    group.add_argument("--name", help="study name (default: the file's name)")
    group.add_argument("--trials", type=int, metavar="N", help="number of trials")
    group.add_argument("--seeds", type=int, metavar="N", help="run every setting with seeds 0 to N-1")
    group.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                       help="a grid dimension, e.g. cell=rnn,gru or train.learning_rate=0.001,0.003")
    group.add_argument("--search", action="append", default=[], metavar="KEY=RANGE",
                       help="a searched parameter: train.learning_rate=1e-4..1e-2:log, "
                            "cell.hidden_size=64,128,256 (choices)")
    group.add_argument("--sampler", help="tpe or random")
    group.add_argument("--pruner", help="none or median (stop runs whose validation metric is worse than the "
                                        "median of earlier trials at the same step)")
    group.add_argument("--heartbeat", type=int, metavar="SECONDS",
                       help="worker heartbeat; a worker silent for 3 beats is presumed dead")


def _add_storage(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--storage", metavar="URL",
                        help="Optuna storage URL (default: studies.sqlite3 in the runs directory)")
    parser.add_argument("--runs-dir", type=Path, metavar="DIR", help="where run directories go")


def _add_place(parser: argparse.ArgumentParser) -> None:
    _add_storage(parser)
    parser.add_argument("--corpora", type=Path, metavar="DIR", help="directory holding the corpora")


def _place(args: argparse.Namespace, config: RunConfig | None = None) -> Any:
    from workbench.commands.study_execution import Place
    from workbench.studies.storage import default_storage_url

    runs_dir = args.runs_dir or (config.runs_dir if config else None) or default_runs_dir()
    corpora = getattr(args, "corpora", None) or (config.corpora if config else None)
    return Place(args.storage or default_storage_url(runs_dir), runs_dir, corpora)


def _declared(args: argparse.Namespace) -> tuple[Any, Any, Any, RunConfig]:
    """From the file and flags: the checked StudySpec, the request it came from, the registry it
    was checked against and the experiment's config."""
    from workbench.studies.space import parse_grid_flag, parse_search_flag
    from workbench.studies.spec import build_spec, read_study_file

    experiment, request = read_study_file(args.file)
    experiment = experiment.apply_overrides(args.overrides)
    for key in ("name", "trials", "seeds", "sampler", "pruner", "heartbeat"):
        if getattr(args, key) is not None:
            setattr(request, key, getattr(args, key))
    if getattr(args, "workers", None) is not None:
        request.workers = args.workers
    request.grid.update(dict(parse_grid_flag(text) for text in args.grid))
    flagged = [parse_search_flag(text) for text in args.search]
    replaced = {dimension.key for dimension in flagged}
    request.space = [*(d for d in request.space if d.key not in replaced), *flagged]
    registry = default_registry()
    print_problems(registry.problems, console(stderr=True))
    return build_spec(registry, experiment, request), request, registry, experiment.base


def create_command(args: argparse.Namespace) -> int:
    from workbench.studies.storage import create_study

    spec, _, _, config = _declared(args)
    place = _place(args, config)
    create_study(place.storage, spec)
    console().print(f"study {spec.name!r}: {spec.trials} trials queued in {place.storage}; start workers "
                    f"with `workbench study worker --study {spec.name} --storage URL`", highlight=False)
    return 0


def run_command(args: argparse.Namespace) -> int:
    from workbench.commands.study_execution import run_study
    from workbench.studies.spec import STUDY_OWNER, WORKERS

    spec, request, registry, config = _declared(args)
    workers = WORKERS.parse(request.workers, STUDY_OWNER)
    return run_study(spec, _place(args, config), workers, registry, args.json)


def worker_command(args: argparse.Namespace) -> int:
    from workbench.engine.signals import stop_on_signals  # first: Ctrl-C while torch loads stops cleanly too

    with stop_on_signals() as stopper:
        if args.threads is not None and args.threads < 1:
            raise ConfigError(f"--threads {args.threads}: give a whole number of 1 or more.")
        import torch

        from workbench.commands.run_report import JsonReport
        from workbench.commands.study_execution import trial_lines, work_here
        from workbench.studies.storage import connect

        if args.threads:
            torch.set_num_threads(args.threads)
        place = _place(args)
        study, spec = connect(place.storage, args.study)
        report = JsonReport() if args.json else None
        on_run = (lambda run, trial: run.subscribe(report.on_event)) if report else trial_lines(console())
        return work_here(study, spec, place, default_registry(), on_run, stopper)


def show_command(args: argparse.Namespace) -> int:
    from workbench.studies.report import print_study
    from workbench.studies.results import importances, read_results
    from workbench.studies.storage import connect

    place = _place(args)
    study, spec = connect(place.storage, args.name, wait=0)
    results = read_results(study, spec)
    found = importances(study) if results.done else {}
    if args.json:
        print(json.dumps(_results_json(results, found), indent=2))
    else:
        print_study(console(), results, found, place.storage)
    return 0


def list_command(args: argparse.Namespace) -> int:
    from workbench.studies.report import studies_table
    from workbench.studies.storage import list_specs

    place = _place(args)
    studies = list_specs(place.storage)
    if args.json:
        print(json.dumps([{"name": spec.name, "dataset": spec.base["dataset"], "task": spec.base["task"],
                           "trials": spec.trials, "started": summary.n_trials,
                           "best": summary.best_trial.value if summary.best_trial else None}
                          for summary, spec in studies], indent=2))
    elif not studies:
        console().print(f"No studies in {place.storage} yet: start one with `workbench study run FILE`.")
    else:
        console().print(studies_table(studies))
    return 0


def _results_json(results: Any, found: dict[str, float]) -> dict[str, Any]:
    comparison = results.comparison()
    return {
        "study": results.spec.to_json(),
        "trials": [{"number": trial.number, "slot": trial.slot, "state": trial.state, "params": trial.params,
                    "value": trial.value, "retries": trial.retries, "run": trial.run,
                    "outcome": trial.outcome.to_json() if trial.outcome else None}
                   for trial in results.trials],
        "statistics": None if comparison is None else {
            "metric": comparison.metric, "verdict": comparison.verdict,
            "groups": [{"label": row.label, "runs": row.runs,
                        "validation": vars(row.validation) if row.validation else None,
                        "test": vars(row.test) if row.test else None,
                        "difference": vars(row.difference) if row.difference else None,
                        "wall_time": row.wall_time, "parameters": row.parameters,
                        "tokens_per_second": row.tokens_per_second} for row in comparison.groups],
        },
        "importances": found,
    }
