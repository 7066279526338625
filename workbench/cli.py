"""The `workbench` command: the app with no arguments, headless subcommands otherwise.

Only the standard library loads before `main` starts: rich, the commands and, through them, torch
load inside it, so Ctrl-C at any moment (even while torch imports) ends with one line and exit
code 130 rather than a traceback, and a reader that closes standard output early (`| head`) ends
the command quietly.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from workbench import __version__
from workbench.errors import INTERRUPTED, OUTPUT_CLOSED, DownloadFailed, WorkbenchError

_LABELS = ((DownloadFailed, "download failed:"), (WorkbenchError, "error:"))


def build_parser() -> argparse.ArgumentParser:
    from workbench.commands import SUBCOMMANDS

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
    try:
        code = _dispatch(argv)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers, and not at exit
        return code
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this line short
        sys.stderr.write("workbench: interrupted\n")
        return INTERRUPTED
    except BrokenPipeError:
        from workbench.terminal import silence_stdout

        silence_stdout()
        return OUTPUT_CLOSED


def _dispatch(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from workbench.app.main import run_app

        return run_app()
    try:
        return args.handler(args) or 0
    except (WorkbenchError, DownloadFailed) as error:
        from rich.text import Text

        from workbench.terminal import console

        label = next(text for kind, text in _LABELS if isinstance(error, kind))
        console(stderr=True).print(Text.assemble((label, "bold red"), " ", str(error)), highlight=False)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
