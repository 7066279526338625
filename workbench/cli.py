"""The `workbench` command: the app with no arguments, headless subcommands otherwise."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from workbench import __version__
from workbench.commands import SUBCOMMANDS
from workbench.errors import RunFailed, WorkbenchError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Train, watch and compare recurrent networks. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from workbench.app.main import run_app

        return run_app()
    try:
        return args.handler(args) or 0
    except WorkbenchError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        return error.exit_code
    except RunFailed as error:
        Console(stderr=True).print(f"[bold red]run failed:[/] {escape(str(error))}", highlight=False)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
