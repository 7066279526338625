"""Find the unit: score every unit of every layer against character features over validation text.

Windows of validation text are read by the model one at a time; each unit's activation at every
character is correlated (Pearson) with each feature's value there. A unit that counts the position
in a line, or lights up inside quotations, stands out with a correlation near ±1.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import torch
from torch import Tensor

from workbench.inspection.features import Feature
from workbench.inspection.inspector import Inspector
from workbench.inspection.passages import Document
from workbench.inspection.probes import HIDDEN

WINDOW = 400  # characters of a long document read at a time
CHARACTERS = 8000  # characters scored in all, by default
TOP = 3
EXAMPLE = 160  # characters of the passage drawn under each finding


@dataclass(frozen=True)
class UnitScore:
    """One unit and how its activation correlates with a feature (-1 to 1)."""

    layer: int
    direction: int
    unit: int
    correlation: float


@dataclass(frozen=True)
class Example:
    """A passage with a feature's values and the best unit's activation, character by character."""

    tokens: list[str]
    feature: list[float]
    activation: list[float]


@dataclass(frozen=True)
class Finding:
    """The units that track one feature best; none when the feature never varied in the sample."""

    feature: str
    description: str
    units: list[UnitScore]
    example: Example | None
    characters: int


@dataclass
class _Window:
    text: str
    opening: str
    values: dict[str, list[float]] = field(default_factory=dict)


def cut_windows(documents: list[Document], features: list[Feature], characters: int, seed: int,
                window: int = WINDOW) -> list[_Window]:
    """Windows of whole lines (or whole short documents) up to `characters` in all, drawn with `seed`.

    Features read each whole document, then are cut like the text, so context carries into a window.
    """
    candidates = []
    for index, document in enumerate(documents):
        text = document.passage.text
        if len(text) <= window:
            candidates.append((index, 0, len(text)))
            continue
        starts = [0, *(position + 1 for position, char in enumerate(text) if char == "\n")]
        candidates += [(index, start, start + window) for start in starts if start + window <= len(text)]
    random.Random(seed).shuffle(candidates)
    computed: dict[int, dict[str, list[float]]] = {}
    windows: list[_Window] = []
    total = 0
    for index, start, end in candidates:
        if total >= characters:
            break
        document = documents[index]
        if index not in computed:
            computed[index] = {feature.title: feature.values(document.passage) for feature in features}
        values = {title: series[start:end] for title, series in computed[index].items()}
        windows.append(_Window(document.passage.text[start:end], document.opening, values))
        total += end - start
    return windows


def correlations(activations: Tensor, feature: Tensor) -> Tensor:
    """Pearson correlation of each row of (units, n) with a feature (n,); 0 for a constant unit."""
    units = activations - activations.mean(dim=1, keepdim=True)
    centred = feature - feature.mean()
    norms = units.norm(dim=1) * centred.norm()
    return torch.where(norms > 0, units @ centred / norms.clamp(min=1e-12), torch.zeros_like(norms))


@dataclass(frozen=True)
class _Read:
    """A window and the probe's (units, characters) values of each layer and direction on it."""

    window: _Window
    values: dict[tuple[int, int], Tensor]


def find_units(inspector: Inspector, documents: list[Document], features: list[Feature],
               probe: str = HIDDEN, characters: int = CHARACTERS, top: int = TOP,
               seed: int = 0) -> list[Finding]:
    """For each feature, the `top` units whose `probe` values track it best (by |correlation|)."""
    read = []
    for window in cut_windows(documents, features, characters, seed):
        inspection = inspector.inspect(window.opening + window.text)
        if "".join(inspection.reading.tokens) != window.text:
            continue  # named tokens written in the text: its characters and the model's positions differ
        read.append(_Read(window, {(key.layer, key.direction): values
                                   for key, values in inspection.values.items() if key.probe == probe}))
    return [_finding(feature, read, top) for feature in features]


def _finding(feature: Feature, read: list[_Read], top: int) -> Finding:
    series = [value for item in read for value in item.window.values[feature.title]]
    target = torch.tensor(series, dtype=torch.float64)
    if target.numel() < 2 or float(target.std()) == 0.0:
        return Finding(feature.title, feature.description, [], None, target.numel())
    scores = []
    for key in read[0].values:
        activations = torch.cat([item.values[key] for item in read], dim=1).double()
        for unit, r in enumerate(correlations(activations, target).tolist()):
            scores.append(UnitScore(key[0], key[1], unit, r))
    scores.sort(key=lambda score: -abs(score.correlation))
    best = scores[:top]
    return Finding(feature.title, feature.description, best, _example(feature, read, best[0]), target.numel())


def _example(feature: Feature, read: list[_Read], best: UnitScore) -> Example:
    """The start of the window where the feature varies most (else is most present), with the best
    unit's activation."""
    def variety(item: _Read) -> tuple[float, float]:
        values = torch.tensor(item.window.values[feature.title][:EXAMPLE])
        spread = float(values.std()) if len(values) > 1 else 0.0
        return spread, float(values.mean()) if len(values) else 0.0

    chosen = max(read, key=variety)
    window = chosen.window
    activation = chosen.values[(best.layer, best.direction)][best.unit, :EXAMPLE].tolist()
    return Example(list(window.text[:EXAMPLE]), window.values[feature.title][:EXAMPLE], activation)


def feature_variants(features: list[type[Feature]], classes: list[str]) -> list[Feature]:
    """Every feature to score: each class gives the class feature one variant."""
    return [variant for feature in features for variant in feature.variants(classes)]
