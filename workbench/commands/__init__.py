"""Headless subcommands, one module each; every module has `register(subparsers)`."""

from workbench.commands import (
    bench_command,
    corpora_command,
    inspect_command,
    plugins_command,
    predict_command,
    run_command,
    runs_command,
    study_command,
)

SUBCOMMANDS = [plugins_command, corpora_command, run_command, runs_command, study_command, predict_command,
               inspect_command, bench_command]
