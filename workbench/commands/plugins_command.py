"""`workbench plugins`: what is installed, where it came from, and what failed to load."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from workbench.registry import KINDS, default_registry


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plugins", help="list installed datasets, cells and tasks")
    parser.add_argument("--json", action="store_true", help="print a JSON array instead of tables")
    parser.set_defaults(handler=list_plugins)


def list_plugins(args: argparse.Namespace) -> int:
    registry = default_registry()
    if args.json:
        print(json.dumps([info.to_json() for info in registry.all()], indent=2))
        return 0
    console = Console()
    for kind in KINDS:
        table = Table(title=f"{kind}s", title_justify="left", expand=False)
        for column in ("name", "source", "version", "parameters"):
            table.add_column(column)
        for name in registry.names(kind):
            info = registry.plugins[kind][name]
            params = ", ".join(f"{p.name}={p.default!r}" for p in info.cls.params)
            table.add_row(name, info.source, info.version, params)
        console.print(table)
    for problem in registry.problems:
        console.print(f"[yellow]warning:[/] plugin {problem.source} not loaded: {problem.reason}")
    return 0
