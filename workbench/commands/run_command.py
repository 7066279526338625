"""`workbench run`: train one cell, or compare several on the same data, seed and budget, headless.

Everything is validated before any data loads. On a terminal a progress bar shows step, loss,
metric, throughput and ETA; `--json` prints one JSON object per event and nothing else. SIGINT
and SIGTERM stop the current run cleanly (checkpoint written) and exit with 130; so does a reader
that closes standard output (`--json | head`), whose run is stopped, not failed. `--seeds`,
`--workers` and `--storage` make the cells × seeds a study (workbench.studies), which ends with
statistics over the seeds.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from workbench.commands.plugins_command import print_problems, print_traceback
from workbench.commands.run_report import JsonReport, TerminalReport
from workbench.config import (
    BOUNDS,
    TRAIN_OWNER,
    TRAIN_PARAMS,
    Compare,
    RunConfig,
    logger_names,
    train_defaults,
)
from workbench.engine import clock
from workbench.engine.signals import stop_on_signals
from workbench.errors import INTERRUPTED, ConfigError, traceback_text
from workbench.events import RunFinished
from workbench.formatting import format_number, format_value
from workbench.params import Param
from workbench.registry import Registry, default_registry
from workbench.runs.directory import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    RunRecord,
    default_runs_dir,
    find_run_dir,
    read_run,
)
from workbench.terminal import console as terminal_console

_BOUND_KEYS = {f"{TRAIN_OWNER}.{name}" for name in BOUNDS}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="train a model headless (one cell, or several to compare)",
        description="Train headless. Give --config FILE, or --dataset, --cell and --task; "
                    "repeat --cell to compare cells on the same data, seed and budget.",
        add_help=False,
    )
    parser.add_argument("-h", "--help", action=HelpWithTaskDefaults, help="show this help message and exit")
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML config file")
    parser.add_argument("--dataset", help="dataset plugin name")
    parser.add_argument("--cell", action="append", metavar="CELL",
                        help="cell plugin name (repeat to compare)")
    parser.add_argument("--task", help="task plugin name")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", dest="overrides",
                        help="set an option, e.g. cell.hidden_size=128, gru.layers=1, train.steps=100")
    flags = parser.add_argument_group(
        "training (see `[train]` in a config file)",
        "Defaults are the values a run of each task gets. Giving any of --epochs, --steps and "
        "--time-budget replaces the task's default bounds; bounds given together all apply.",
    )
    add_param_flags(flags, TRAIN_PARAMS, TRAIN_OWNER)
    parser.add_argument("--log", action="append", metavar="LOGGER", dest="loggers",
                        help="also log to this logger, e.g. tensorboard or csv (repeat for several; "
                             "metrics.jsonl is always written)")
    parser.add_argument("--runs-dir", type=Path, metavar="DIR", help="where run directories go")
    parser.add_argument("--corpora", type=Path, metavar="DIR", help="directory holding the corpora")
    parser.add_argument("--resume", metavar="RUN",
                        help="continue a stopped or interrupted run: its directory or its id")
    parser.add_argument("--json", action="store_true", help="print one JSON object per event on stdout")
    parser.add_argument("--debug", action="store_true",
                        help="print the full Python traceback of a plugin that fails to load or to run")
    study = parser.add_argument_group("seeds and workers (a study: needs the `studies` extra)")
    study.add_argument("--seeds", type=int, metavar="N",
                       help="train every cell with seeds 0 to N-1 and end with statistics over the seeds")
    study.add_argument("--workers", type=int, metavar="N", help="train in N worker processes at once")
    study.add_argument("--storage", metavar="URL",
                       help="Optuna storage for the study (default: studies.sqlite3 in the runs directory)")
    parser.set_defaults(handler=run)


def add_param_flags(parser: Any, params: tuple[Param, ...], owner: str) -> None:
    """One `--kebab-name` flag per declared parameter; values are parsed later by the declaration."""
    for param in params:
        parser.add_argument(
            "--" + param.name.replace("_", "-"), dest=f"{owner}__{param.name}",
            metavar=param.type.__name__.upper(),
            help=param_help(param, f"default {format_value(param.default)}"),
        )


class HelpWithTaskDefaults(argparse.Action):
    """`run --help` with the training defaults that runs really get, per task where tasks differ.

    Tasks set their own defaults, so the help needs the plugins (and torch); they are loaded only
    when help is asked for, not every time the command line is read.
    """

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None):
        super().__init__(option_strings, dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        registry = default_registry()
        per_task = {name: train_defaults(registry.get("task", name).cls.train_defaults)
                    for name in registry.names("task")}
        params = {param.name: param for param in TRAIN_PARAMS}
        for action in parser._actions:
            name = action.dest.split("__", 1)[1] if action.dest.startswith(f"{TRAIN_OWNER}__") else None
            if name in params:
                action.help = param_help(params[name], describe_defaults(name, per_task))
        parser.print_help()
        parser.exit()


def describe_defaults(name: str, per_task: dict[str, dict[str, Any]]) -> str:
    """`default 64`, or `default: classify 6, generate 12` when tasks differ."""
    shown = {task: format_value(defaults[name]) for task, defaults in per_task.items()}
    if len(set(shown.values())) == 1:
        return f"default {next(iter(shown.values()))}"
    return "default: " + ", ".join(f"{task} {value}" for task, value in shown.items())


def param_help(param: Param, defaults: str) -> str:
    return f"{param.help} ({param.describe_range()}; {defaults})"


def build_config(args: argparse.Namespace) -> Compare:
    """The config from a file (or the resumed run's), then names, flags and --set overrides on top."""
    flags = [f"{TRAIN_OWNER}.{name.split('__', 1)[1]}={value}" for name, value in vars(args).items()
             if name.startswith(f"{TRAIN_OWNER}__") and value is not None]
    changes = [*args.overrides, *flags]
    if args.resume is not None:
        args.resume = find_run_dir(args.resume, args.runs_dir)  # a run id becomes its directory
    if args.config is not None:
        compare = Compare.from_toml(args.config)
    elif args.resume is not None:
        resumed = RunConfig.from_toml(args.resume / CONFIG_FILE)
        if any(change.partition("=")[0].strip() in _BOUND_KEYS for change in changes):
            # The bounds a run recorded are its defaults on resume: new ones replace them all.
            resumed.train = {key: value for key, value in resumed.train.items() if key not in BOUNDS}
        compare = Compare(resumed)
    elif args.dataset and args.cell and args.task:
        compare = Compare(RunConfig(dataset=args.dataset, cell=args.cell[0], task=args.task))
    else:
        raise ConfigError("Say what to train: give --config FILE, or all of --dataset, --cell and --task "
                          "(see `workbench plugins` for the names).")
    config = compare.base
    if args.dataset:
        config.dataset = args.dataset
    if args.task:
        config.task = args.task
    if args.loggers:  # before the overrides, which may set a chosen logger's options
        config.loggers = logger_names(args.loggers, "--log")
    compare = Compare(config, tuple(args.cell or compare.cells)).apply_overrides(changes)
    compare.base.runs_dir = args.runs_dir or compare.base.runs_dir
    compare.base.corpora = args.corpora or compare.base.corpora
    if args.resume is not None and len(compare.cells) > 1:
        raise ConfigError("--resume continues one run: give at most one --cell.")
    return compare


def run(args: argparse.Namespace) -> int:
    # A single run's time budget covers loading torch and the plugins too, so `time workbench run`
    # agrees with it. In a compare every cell is timed alike, from loading its data.
    began = clock.now()
    from workbench.engine.run import Run  # torch loads only once the arguments are known to be sound

    compare = build_config(args)
    registry = default_registry()
    errors = terminal_console(stderr=True)
    print_problems(registry.problems, errors, debug=args.debug)
    if args.seeds is not None or args.workers is not None or args.storage is not None:
        return _run_study(args, compare, registry)
    compare.resolve(registry)
    configs = compare.configs()
    notes = terminal_console(stderr=args.json)  # JSON output holds events and nothing else
    report = JsonReport() if args.json else TerminalReport(notes, compare=len(configs) > 1)
    records: list[RunRecord] = []
    failed = 0
    with stop_on_signals() as stopper:
        deliver = stopper.guarded(report.on_event)
        for config in configs:
            current = Run(config, registry=registry, resume=args.resume,
                          counted_from=began if len(configs) == 1 else None)
            if current.complete:
                notes.print(_complete_message(read_run(current.run_dir)), highlight=False)
                continue
            stopper.current = current
            if stopper.signalled:
                break  # asked to stop before this run began: it does not begin
            current.subscribe(deliver)
            result = current.run_sync()  # bad input is raised: exit code 2, as for any other
            if args.debug and current.error is not None:
                print_traceback(traceback_text(current.error), errors)
            finished = isinstance(result, RunFinished)
            failed += not finished
            if current.run_dir is not None:
                records.append(read_run(current.run_dir))
                if finished and result.status == "stopped" and not stopper.output_closed:
                    notes.print(_resume_hint(current.run_dir, args), highlight=False)
            if stopper.signalled:
                break
    stopper.guarded(report.finish)(records)
    if stopper.signalled and not records:
        raise KeyboardInterrupt  # nothing began: end as Ctrl-C at any other moment does
    if stopper.signalled:
        return INTERRUPTED
    return 1 if failed else 0


def _run_study(args: argparse.Namespace, compare: Compare, registry: Registry) -> int:
    """Every cell times every seed as one study, run here or in worker processes, then statistics."""
    from workbench.commands.study_execution import Place, run_study
    from workbench.studies.spec import StudyRequest, build_spec, default_study_name
    from workbench.studies.storage import default_storage_url

    if args.resume is not None:
        raise ConfigError("--resume continues one run; --seeds, --workers and --storage start a study. "
                          "Give one or the other.")
    for flag, value in (("--seeds", args.seeds), ("--workers", args.workers)):
        if value is not None and value < 1:
            raise ConfigError(f"{flag} {value}: give a whole number of 1 or more.")
    config = compare.base
    spec = build_spec(registry, compare, StudyRequest(name=default_study_name(config), seeds=args.seeds))
    runs_dir = config.runs_dir or default_runs_dir()
    place = Place(args.storage or default_storage_url(runs_dir), runs_dir, config.corpora)
    return run_study(spec, place, args.workers or 1, registry, args.json)


def _complete_message(record: RunRecord) -> str:
    summary = record.summary
    return (f"{summary.run_id} is already complete ({summary.status} after {format_number(summary.steps)} "
            "steps): nothing to do. To train it further, resume it with a larger bound (--steps, --epochs, "
            "--time-budget or --patience).")


def _resume_hint(run_dir: Path, args: argparse.Namespace) -> str:
    """Where a stopped run's checkpoint is and the exact command that continues it."""
    command = ["workbench", "run", "--resume", str(run_dir)]
    if args.corpora is not None:
        command += ["--corpora", str(args.corpora)]
    return (f"checkpoint: {run_dir / CHECKPOINT_FILE}\n"
            f"resume with: {shlex.join(command)}")
