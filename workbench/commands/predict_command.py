"""`workbench predict RUN TEXT` (top labels with probabilities) and `workbench sample RUN` (streamed text).

Both load the run's weights and vocabulary from its checkpoint; neither reads the training data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from workbench.formatting import format_percent, format_value
from workbench.runs.directory import find_run_dir
from workbench.sampling_settings import TEMPERATURE, TOP_K
from workbench.terminal import console as terminal_console

if TYPE_CHECKING:
    from workbench.engine.trained import Trained


def register(subparsers: argparse._SubParsersAction) -> None:
    predict = subparsers.add_parser("predict", help="classify a string with a trained run")
    add_run_arguments(predict)
    predict.add_argument("text", help="the string to classify, e.g. a surname")
    predict.add_argument("--top", type=int, default=3, help="how many labels to show (default 3)")
    predict.set_defaults(handler=run_predict)

    sample = subparsers.add_parser("sample", help="generate text with a trained run, streamed")
    add_run_arguments(sample)
    sample.add_argument("--prompt", default="", help="text to continue")
    sample.add_argument("--length", type=int, default=300, help="most characters to generate (default 300)")
    for param in (TEMPERATURE, TOP_K):
        sample.add_argument("--" + param.name.replace("_", "-"), type=param.type, default=param.default,
                            help=f"{param.help} ({param.describe_range()}; default {param.default})")
    sample.add_argument("--seed", type=int, default=None, help="seed for repeatable samples")
    sample.set_defaults(handler=run_sample)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """RUN and the flags that choose its weights: shared by the commands that use a trained model."""
    parser.add_argument("run", metavar="RUN", help="run directory or run id")
    parser.add_argument("--runs-dir", type=Path, metavar="DIR", help="where run directories are")
    parser.add_argument("--which", choices=("best", "last"), default="best",
                        help="weights at the best validation metric (default) or the latest")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")


def load_run(args: argparse.Namespace) -> Trained:
    from workbench.engine.trained import load_trained

    trained = load_trained(find_run_dir(args.run, args.runs_dir), device=args.device, which=args.which)
    if trained.note:
        terminal_console(stderr=True).print(Text.assemble(("note:", "yellow"), " ", trained.note))
    return trained


def note_unknown_characters(trained: Trained, text: str) -> None:
    """Say on stderr which characters of what the person typed the model cannot read."""
    note = trained.unknown_note(text)
    if note:
        terminal_console(stderr=True).print(Text.assemble(("note:", "yellow"), " ", note))


def run_predict(args: argparse.Namespace) -> int:
    trained = load_run(args)
    note_unknown_characters(trained, args.text)
    console = terminal_console()
    # The run id on a line of its own, so that it is never wrapped: people copy it from here.
    run_id = str(trained.metadata.get("run_id", ""))
    console.print(Text.assemble((run_id, "bold"), f" · {trained.config.cell}"))
    table = Table(title=Text(format_value(args.text)), title_justify="left")
    table.add_column("label")
    table.add_column("probability", justify="right")
    for label, probability in trained.predict(args.text, args.top):
        table.add_row(Text(label), format_percent(probability, 1))
    console.print(table)
    return 0


def run_sample(args: argparse.Namespace) -> int:
    trained = load_run(args)
    note_unknown_characters(trained, args.prompt)
    stream = trained.sample(args.prompt, args.length, args.temperature, args.top_k, args.seed)
    sys.stdout.write(args.prompt)
    for character in stream:
        sys.stdout.write(character)
        sys.stdout.flush()
    sys.stdout.write("\n")
    return 0
