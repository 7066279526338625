"""`workbench plugins`: what is installed (datasets, cells, tasks, loggers), from which package and
version, and what failed to load.

`workbench plugins check NAME` runs a plugin's contract (workbench.conformance) and prints each
check with the reason of any failure: exit 0 when all pass, 1 when one fails (a plugin that did
not load fails its first check, `loads`), 2 for an unknown name.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from workbench.formatting import format_value
from workbench.registry import KINDS, PluginInfo, PluginProblem, default_registry
from workbench.terminal import console as terminal_console

if TYPE_CHECKING:
    from workbench.conformance import CheckResult  # imports torch: loaded only when checks run


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plugins",
                                   help="list installed datasets, cells, tasks, loggers and features")
    parser.add_argument("--json", action="store_true", help="print a JSON array instead of tables")
    parser.set_defaults(handler=list_plugins)
    actions = parser.add_subparsers(dest="plugins_action", metavar="ACTION")
    check = actions.add_parser("check", help="run a plugin's conformance checks")
    check.add_argument("name", help="the plugin's name, as `workbench plugins` lists it")
    check.add_argument("--kind", choices=KINDS, help="which kind, when the name is used by several")
    check.add_argument("--corpora", type=Path, metavar="DIR",
                       help="a dataset's data checks load the corpora in DIR (default: its check corpus, "
                            "else the corpus it finds)")
    check.add_argument("--json", action="store_true", help="print the results as a JSON array")
    check.set_defaults(handler=check_plugin_command)


def list_plugins(args: argparse.Namespace) -> int:
    registry = default_registry()
    if args.json:
        print(json.dumps([info.to_json() for info in registry.all()], indent=2))
        print_problems(registry.problems, terminal_console(stderr=True))
        return 0
    console = terminal_console()
    for kind in KINDS:
        console.print(plugins_table(kind, [registry.plugins[kind][name] for name in registry.names(kind)]))
    print_problems(registry.problems, console)
    return 0


def plugins_table(kind: str, plugins: list[PluginInfo]) -> Table:
    """One row per plugin; every parameter on a line of its own, as a config file would set it.

    Names, packages and parameters are typed and searched for, so they are never broken or cut:
    on a narrow terminal only the description wraps.
    """
    table = Table(title=f"{kind}s", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("package", no_wrap=True)
    table.add_column("description", ratio=1, min_width=12)
    table.add_column("parameters (defaults)", no_wrap=True)
    for info in plugins:
        params = "\n".join(f"{param.name} = {format_value(param.default)}" for param in info.cls.params)
        package = f"{info.source} {info.version}" if info.version else info.source
        table.add_row(*(Text(cell) for cell in (info.name, package, info.cls.description, params)))
    return table


def print_problems(problems: Iterable[PluginProblem], console: Console, debug: bool = False) -> None:
    """One warning line per thing that did not load, naming its package and the reason.

    With `debug`, the Python traceback follows each problem an exception caused.
    """
    for problem in problems:
        console.print(Text.assemble(("warning: ", "yellow"), str(problem)))
        if debug:
            print_traceback(problem.traceback, console)


def print_traceback(text: str, console: Console) -> None:
    """A Python traceback as Python prints it: never wrapped, dimmed (nothing when there is none)."""
    if text:
        console.print(Text(text.rstrip(), style="dim"), soft_wrap=True)


def check_plugin_command(args: argparse.Namespace) -> int:
    from workbench.conformance import CheckResult, check_plugin

    registry = default_registry()
    refused = registry.refused(args.name, args.kind)
    kinds = [args.kind] if args.kind else KINDS
    if refused and not any(args.name in registry.plugins[kind] for kind in kinds):
        # Installed but not loaded: that is its first failed check, shown in full, traceback
        # included, since this is where an author comes to find out why.
        reason = refused[0].reason if len(refused) == 1 else "; ".join(str(problem) for problem in refused)
        code = _report_checks(args, refused[0].subject, [CheckResult("loads", False, reason)])
        if not args.json:
            for problem in refused:
                print_traceback(problem.traceback, terminal_console())
        return code
    info = registry.find(args.name, args.kind)
    title = f"{info.kind} {info.name!r} from {info.source}" + (f" {info.version}" if info.version else "")
    code = _report_checks(args, title, check_plugin(info.cls, corpus_root=args.corpora))
    if not args.json:
        print_problems(refused, terminal_console())  # a namesake that lost a name clash to this plugin, say
    return code


def _report_checks(args: argparse.Namespace, title: str, results: list[CheckResult]) -> int:
    """The results as a table (or JSON); the exit code: 1 when a check failed, else 0."""
    from workbench.conformance import failures

    failed = failures(results)
    if args.json:
        print(json.dumps([{"check": r.name, "passed": r.passed, "reason": r.reason} for r in results]))
        return 1 if failed else 0
    console = terminal_console()
    table = Table(title=Text(title), title_justify="left", expand=False)
    for column in ("check", "result", "reason"):
        table.add_column(column)
    for result in results:
        verdict = Text("pass", style="green") if result.passed else Text("FAIL", style="bold red")
        table.add_row(Text(result.name), verdict, Text(result.reason))
    console.print(table)
    passed = len(results) - len(failed)
    console.print(Text(f"{passed} of {len(results)} checks passed", style="red" if failed else "green"))
    return 1 if failed else 0
