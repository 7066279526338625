"""`workbench bench`: training tokens/s per cell, the engine against a plain PyTorch loop."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from rich.table import Table

from workbench.bench.settings import DEFAULT_CELLS, BenchSettings
from workbench.terminal import console as terminal_console

if TYPE_CHECKING:
    from workbench.bench.timing import BenchResult

_DEFAULTS = BenchSettings()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="time training steps per cell against plain PyTorch")
    parser.add_argument("--cell", action="append", metavar="CELL",
                        help=f"cell to time (repeat; default {', '.join(DEFAULT_CELLS)})")
    for flag, help_text in (("hidden", "hidden units"), ("batch", "sequences per step"),
                            ("seq", "characters per sequence"), ("layers", "stacked layers"),
                            ("embedding", "embedding size"), ("repeats", "timed repeats per side"),
                            ("steps", "steps per repeat")):
        parser.add_argument(f"--{flag}", type=int, default=getattr(_DEFAULTS, flag),
                            help=f"{help_text} (default {getattr(_DEFAULTS, flag)})")
    parser.add_argument("--device", default=_DEFAULTS.device, choices=("auto", "cpu", "cuda"))
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=bench)


def bench(args: argparse.Namespace) -> int:
    from workbench.bench.timing import custom_time_over_native, run_bench

    settings = BenchSettings(
        cells=tuple(args.cell or DEFAULT_CELLS), hidden=args.hidden, batch=args.batch, seq=args.seq,
        layers=args.layers, embedding=args.embedding, repeats=args.repeats, steps=args.steps,
        device=args.device,
    )
    console = terminal_console(stderr=args.json)
    with console.status("timing…") as status:
        results = run_bench(settings, progress=lambda cell: status.update(f"timing {cell}…"))
    ratios = custom_time_over_native(results)
    if args.json:
        rows = [{**asdict(result), "engine_time_over_plain": result.engine_time_over_plain,
                 "custom_time_over_native": ratios.get(result.cell)} for result in results]
        print(json.dumps({"settings": asdict(settings), "results": rows}, indent=2))
    else:
        console.print(bench_table(results, ratios, settings))
    return 0


def bench_table(results: list[BenchResult], ratios: dict[str, float], settings: BenchSettings) -> Table:
    title = (f"hidden {settings.hidden}, batch {settings.batch}, seq {settings.seq}, "
             f"layers {settings.layers}, median of {settings.repeats} × {settings.steps} steps")
    table = Table(title=title, title_justify="left")
    table.caption = ("time ratios: the engine's step against the plain loop's, and a custom cell's "
                     "against its native twin's (below 1 is faster)")
    for column in ("cell", "engine tok/s", "plain tok/s", "engine ÷ plain", "custom ÷ native"):
        table.add_column(column, justify="left" if column == "cell" else "right")
    for result in results:
        ratio = result.engine_time_over_plain
        table.add_row(
            result.cell, f"{result.engine_tokens_per_second:,.0f}",
            f"{result.plain_tokens_per_second:,.0f}" if result.plain_tokens_per_second else "-",
            f"{ratio:.3f}" if ratio else "-",
            f"{ratios[result.cell]:.3f}" if result.cell in ratios else "-",
        )
    return table
