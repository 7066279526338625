"""An inspection as JSON: every number the pictures show, for scripts and notebooks."""

from __future__ import annotations

import math
from typing import Any

from workbench.inspection.find import Finding
from workbench.inspection.heatmap import DIRECTIONS, Heatmap
from workbench.inspection.inspector import Inspection
from workbench.inspection.reading import NEXT_TOKEN, Reading
from workbench.inspection.render import ALTERNATIVES


def _number(value: float | None) -> float | None:
    """JSON has no NaN or infinity: those become null."""
    return None if value is None or not math.isfinite(value) else round(value, 6)


def _choices(choices: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"label": label, "p": _number(p)} for label, p in choices]


def positions(reading: Reading) -> list[dict[str, Any]]:
    """Per shown character: its token and the prediction there."""
    found = []
    for position, token in enumerate(reading.tokens):
        entry: dict[str, Any] = {"token": token}
        if reading.kind == NEXT_TOKEN:
            entry["p"] = _number(reading.chance(position))
            entry["bits"] = _number(reading.surprisal(position))
            entry["alternatives"] = _choices(reading.top(position, ALTERNATIVES))
        else:
            row = reading.probabilities[position].tolist()
            entry["classes"] = {label: _number(p) for label, p in zip(reading.labels, row, strict=True)}
        found.append(entry)
    return found


def inspection_json(inspection: Inspection, heatmap: Heatmap, text: str) -> dict[str, Any]:
    reading = inspection.reading
    document: dict[str, Any] = {
        "model": inspection.title,
        "step": inspection.step,
        "text": text,
        "kind": reading.kind,
        "tokens": list(reading.tokens),
        "positions": positions(reading),
        "layers": inspection.layers,
        "directions": inspection.directions,
        "probes": dict(inspection.probes),
        "heatmap": {
            "layer": heatmap.key.layer,
            "direction": DIRECTIONS[heatmap.key.direction],
            "probe": heatmap.key.probe,
            "order": heatmap.order,
            "total_units": heatmap.total,
            "units": [{"unit": unit, "values": [_number(v) for v in heatmap.values[row].tolist()]}
                      for row, unit in enumerate(heatmap.units)],
        },
    }
    if reading.after is not None:
        document["after"] = _choices(reading.following(ALTERNATIVES))
    return document


def findings_json(findings: list[Finding]) -> list[dict[str, Any]]:
    return [{
        "feature": finding.feature,
        "description": finding.description,
        "characters": finding.characters,
        "units": [{"layer": score.layer, "direction": DIRECTIONS[score.direction], "unit": score.unit,
                   "correlation": _number(score.correlation)} for score in finding.units],
        "example": None if finding.example is None else {
            "tokens": finding.example.tokens,
            "feature": [_number(v) for v in finding.example.feature],
            "activation": [_number(v) for v in finding.example.activation],
        },
    } for finding in findings]
