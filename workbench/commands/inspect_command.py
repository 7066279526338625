"""`workbench inspect RUN TEXT`: what a trained model predicts at each character and what its units do.

`--find FEATURE` scores every unit against character features over the run's validation text.
Output is rich colour on a terminal, `--json` with every number shown, `--svg FILE` for a picture.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console, RenderableType

from workbench.commands.predict_command import add_run_arguments, load_run
from workbench.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "inspect", help="see what a trained model predicts and what its units do, character by character",
        description="Read TEXT with a trained run: the prediction at each character (class probabilities, "
                    "or surprisal and alternatives) and a heatmap of units × characters for one layer, "
                    "direction and probe. --find scores every unit against character features.")
    add_run_arguments(parser)
    parser.add_argument("text", nargs="?", metavar="TEXT", help="the text to read (optional with --find)")
    parser.add_argument("--layer", type=int, default=None, help="layer of the heatmap (default the last; 0 "
                                                                 "is nearest the input)")
    parser.add_argument("--direction", choices=("forward", "backward"), default="forward",
                        help="which direction of a bidirectional model (default forward)")
    parser.add_argument("--probe", default="hidden",
                        help="what to draw: hidden (every cell) or a probe the cell declares, such as "
                             "forget_gate (default hidden)")
    parser.add_argument("--units", type=int, default=16, help="units in the heatmap; 0 for all (default 16)")
    parser.add_argument("--order", choices=("varying", "active"), default="varying",
                        help="the units that vary most along the text first, or the most active "
                             "(default varying)")
    parser.add_argument("--top", type=int, default=3, help="classes to follow when classifying (default 3)")
    parser.add_argument("--rows", type=int, default=40,
                        help="characters listed with their alternatives; the most surprising when there are "
                             "more; 0 for all (default 40)")
    parser.add_argument("--find", action="append", metavar="FEATURE",
                        help="find the units that track a character feature (repeat; 'all' for every one; "
                             "`workbench plugins` lists them)")
    parser.add_argument("--characters", type=int, default=8000,
                        help="characters of validation text --find reads (default 8000)")
    parser.add_argument("--best", type=int, default=3, help="units listed per feature (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="which validation passages --find reads")
    parser.add_argument("--json", action="store_true", help="print every number as JSON instead of pictures")
    parser.add_argument("--svg", type=Path, metavar="FILE", help="also save the picture as an SVG file")
    parser.add_argument("--width", type=int, default=None,
                        help="columns of the picture (default: the terminal's)")
    parser.set_defaults(handler=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    from workbench.inspection.export import findings_json, inspection_json
    from workbench.inspection.heatmap import DIRECTIONS, choose_heatmap
    from workbench.inspection.inspector import Inspector
    from workbench.inspection.render import findings_picture, inspection_picture
    from workbench.runs.atomic import atomic_write

    if args.text is None and not args.find:
        raise ConfigError("Give a TEXT to inspect, or --find FEATURE to look for the units that track "
                          "one (for example: workbench inspect RUN 'nel mezzo', or workbench inspect RUN "
                          "--find all).")
    _check_counts(args)
    trained = load_run(args)
    inspector = Inspector.of(trained)
    quiet = io.StringIO() if args.json else None  # JSON alone on stdout; the picture only for --svg
    console = Console(record=args.svg is not None, width=args.width, file=quiet, markup=False)
    pictures: list[RenderableType] = []
    document: dict[str, Any] = {}
    if args.text is not None:
        inspection = inspector.inspect(args.text)
        heatmap = choose_heatmap(inspection, args.layer, DIRECTIONS.index(args.direction), args.probe,
                                 args.units, args.order)
        pictures.append(inspection_picture(inspection, heatmap, args.text, console.width, args.top,
                                           args.rows))
        document = inspection_json(inspection, heatmap, args.text)
    if args.find:
        findings = _find(args, trained, inspector)
        pictures.append(findings_picture(findings, console.width))
        document["find"] = findings_json(findings)
    for picture in pictures:
        console.print(picture)
    if args.json:
        print(json.dumps(document, ensure_ascii=False))
    if args.svg is not None:
        title = f"workbench inspect {trained.run_dir.name}"
        atomic_write(args.svg, console.export_svg(title=title).encode("utf-8"))
    return 0


def _check_counts(args: argparse.Namespace) -> None:
    for flag, least in (("units", 0), ("rows", 0), ("top", 1), ("characters", 1), ("best", 1)):
        if getattr(args, flag) < least:
            raise ConfigError(f"--{flag} {getattr(args, flag)} is too small: give {least} or more.")


def _find(args: argparse.Namespace, trained: Any, inspector: Any) -> list[Any]:
    from workbench.inspection.find import feature_variants, find_units
    from workbench.inspection.passages import validation_documents
    from workbench.registry import default_registry

    registry = default_registry()
    names = registry.names("feature") if "all" in args.find else list(dict.fromkeys(args.find))
    features = [registry.get("feature", name).cls for name in names]
    if args.probe not in _recordable(inspector):
        raise ConfigError(f"probe {args.probe!r} is not recorded for this cell: choose one of "
                          f"{', '.join(_recordable(inspector))}.")
    documents, classes = validation_documents(trained, registry)
    return find_units(inspector, documents, feature_variants(features, classes), args.probe, args.characters,
                      args.best, args.seed)


def _recordable(inspector: Any) -> list[str]:
    from workbench.inspection.probes import probe_help

    return list(probe_help(inspector.recurrent))
