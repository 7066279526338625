"""`workbench corpora`: which corpora are installed and where; `workbench corpora pull NAME` gets one;
`workbench corpora check PATH` says what a person's own text or labelled data holds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from workbench.corpora.manifests import get_manifest, manifests
from workbench.corpora.pull import pull
from workbench.corpora.search import CorpusStatus, status, user_corpora_dir
from workbench.errors import ConfigError, WorkbenchError
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
    check = actions.add_parser(
        "check", help="say what your own file, directory or glob holds, read as the text or labelled data"
    )
    check.add_argument("path", help="a text file, a directory of .txt files, a glob, or a CSV/TSV file")
    check.add_argument("--as", dest="dataset", default="text", metavar="DATASET",
                         help="read it as this dataset: text (the default) or labelled")
    check.add_argument("--set", action="append", default=[], dest="options", metavar="KEY=VALUE",
                         help="a dataset option, e.g. documents=blank_lines or label_column=category")
    check.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    check.set_defaults(handler=check_source)


def list_corpora(args: argparse.Namespace) -> int:
    report = status(args.corpora)
    if args.json:
        print(json.dumps([entry.to_json() for entry in report], indent=2))
        return 0
    console = terminal_console()
    console.print(corpora_listing(report))
    console.print(Text("Your own data: `workbench corpora check PATH` (--as labelled for classes), then "
                       "`workbench run --dataset text --set text.path=PATH ...`.", style="dim"))
    return 0


def corpora_listing(report: list[CorpusStatus]) -> Table:
    """A block per corpus with one field a line: paths and addresses are long single words, so
    side by side in columns they would be broken mid-word on an 80-column terminal."""
    listing = _listing()
    for entry in report:
        found = f"{entry.path} (via {entry.origin})" if entry.path else "not found"
        rows = [("path", found), ("source", entry.manifest.source_url), ("licence", entry.manifest.licence)]
        if entry.state != "ok":
            rows.append(("to do" if entry.state == "missing" else "problem", entry.detail))
        _add_block(listing, entry.manifest.name, entry.state, _STYLES.get(entry.state, ""), rows)
    return listing


def _listing() -> Table:
    listing = Table.grid(padding=(0, 2))
    listing.add_column(no_wrap=True)
    listing.add_column(overflow="fold")  # only a path wider than the whole terminal is broken
    return listing


def _add_block(listing: Table, name: str, state: str, style: str, rows: list[tuple[str, str]]) -> None:
    if listing.row_count:
        listing.add_row()
    listing.add_row(Text(name, style="bold"), Text(state, style=style))
    for label, value in rows:
        listing.add_row(Text(f"  {label}", style="dim"), Text(value))


def check_source(args: argparse.Namespace) -> int:
    """What the path holds, in the corpora listing's layout, or what is wrong with it (exit 2)."""
    from workbench.datasets import Dataset
    from workbench.registry import default_registry

    dataset = default_registry().get("dataset", args.dataset).cls
    if dataset.summarise_source is Dataset.summarise_source:
        raise ConfigError(
            f"Dataset {args.dataset!r} reads a corpus of its own, not a path you give: "
            "check it with --as text or --as labelled."
        )
    options: dict[str, str] = {"path": args.path}
    for item in args.options:
        key, separator, value = item.partition("=")
        if not separator:
            raise ConfigError(f"--set {item!r} has no '=': write KEY=VALUE, such as documents=blank_lines.")
        options[key.strip().removeprefix(f"{args.dataset}.")] = value
    try:
        summary, state, detail = dataset(options).summarise_source(), "ok", ""
    except WorkbenchError as error:
        summary, state, detail = None, "error", str(error)
    if args.json:
        print(json.dumps({"dataset": args.dataset, "path": args.path, "status": state,
                          **(summary.to_json() if summary else {"detail": detail})}, indent=2))
        return 0 if summary else 2
    listing = _listing()
    found = ("found", summary.describe()) if summary else ("problem", detail)
    _add_block(listing, f"{args.dataset} dataset", state, "green" if summary else "red",
               [("path", args.path), found])
    terminal_console().print(listing)
    return 0 if summary else 2


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
