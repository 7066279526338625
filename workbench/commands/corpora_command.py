"""`workbench corpora`: which corpora are installed and where; `workbench corpora pull NAME` gets one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from workbench.corpora import CorpusStatus, get_manifest, manifests, status, user_corpora_dir
from workbench.corpora_pull import pull
from workbench.terminal import console as terminal_console

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
    terminal_console().print(corpora_listing(report))
    return 0


def corpora_listing(report: list[CorpusStatus]) -> Table:
    """A block per corpus with one field a line: paths and addresses are long single words, so
    side by side in columns they would be broken mid-word on an 80-column terminal."""
    listing = Table.grid(padding=(0, 2))
    listing.add_column(no_wrap=True)
    listing.add_column(overflow="fold")  # only a path wider than the whole terminal is broken
    for number, entry in enumerate(report):
        if number:
            listing.add_row()
        listing.add_row(Text(entry.manifest.name, style="bold"),
                        Text(entry.state, style=_STYLES.get(entry.state, "")))
        found = f"{entry.path} (via {entry.origin})" if entry.path else "not found"
        rows = [("path", found), ("source", entry.manifest.source_url), ("licence", entry.manifest.licence)]
        if entry.state != "ok":
            rows.append(("to do" if entry.state == "missing" else "problem", entry.detail))
        for label, value in rows:
            listing.add_row(Text(f"  {label}", style="dim"), Text(value))
    return listing


def pull_corpus(args: argparse.Namespace) -> int:
    manifest = get_manifest(args.name)
    console = terminal_console()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"downloading {manifest.name}", total=None)

        def advance(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        installed = pull(args.name, to=args.to, url=args.url, on_progress=advance)
    where = f" {manifest.name} at {installed} (checksums verified)"
    console.print(Text.assemble(("installed", "green"), where), highlight=False)
    return 0
