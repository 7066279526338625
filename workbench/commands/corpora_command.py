"""`workbench corpora`: which corpora are installed and where; `workbench corpora pull NAME` gets one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from workbench.corpora import get_manifest, manifests, status, user_corpora_dir
from workbench.corpora_pull import pull

_STYLES = {"ok": "green", "modified": "yellow", "missing": "red"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "corpora", help="list the corpora, where they were found, and download missing ones"
    )
    parser.add_argument("--corpora", type=Path, metavar="DIR", help="look in DIR before the usual places")
    parser.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    parser.set_defaults(handler=list_corpora)
    actions = parser.add_subparsers(dest="corpora_action", metavar="ACTION")
    fetch = actions.add_parser("pull", help="download a corpus, verify its checksums and install it")
    fetch.add_argument("name", choices=sorted(manifests()), help="the corpus to download")
    fetch.add_argument(
        "--to", type=Path, metavar="DIR", help=f"install into DIR (default: {user_corpora_dir()})"
    )
    fetch.add_argument(
        "--from", dest="url", metavar="URL",
        help="download from URL (a mirror or a file:// copy) instead of the manifest's source",
    )
    fetch.set_defaults(handler=pull_corpus)


def list_corpora(args: argparse.Namespace) -> int:
    report = status(args.corpora)
    if args.json:
        print(json.dumps([entry.to_json() for entry in report], indent=2))
        return 0
    table = Table(title="corpora", title_justify="left")
    for column in ("corpus", "status", "path", "source", "licence"):
        table.add_column(column, overflow="fold")
    for entry in report:
        style = _STYLES.get(entry.state, "")
        found = f"{entry.path}\n[dim]via {entry.origin}[/]" if entry.path else "—"
        table.add_row(
            entry.manifest.name, f"[{style}]{entry.state}[/]", found,
            entry.manifest.source_url, entry.manifest.licence,
        )
    console = Console()
    console.print(table)
    for entry in report:
        if entry.state != "ok":
            label = f"[{_STYLES[entry.state]}]{entry.manifest.name}:[/]"
            console.print(f"{label} {entry.detail}", highlight=False)
    return 0


def pull_corpus(args: argparse.Namespace) -> int:
    manifest = get_manifest(args.name)
    console = Console()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"downloading {manifest.name}", total=None)

        def advance(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        installed = pull(args.name, to=args.to, url=args.url, on_progress=advance)
    console.print(f"[green]installed[/] {manifest.name} at {installed} (checksums verified)", highlight=False)
    return 0
