"""Which values a heatmap shows: one layer, direction and probe of an inspection, its units ranked.

A hidden layer has hundreds of units; most do little on a given text. Ranking puts first the units
that vary most along it (or that are most active) so the first rows are the ones worth reading.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from workbench.errors import ConfigError
from workbench.inspection.inspector import Inspection
from workbench.inspection.probes import HIDDEN, ProbeKey

ORDERS = {"varying": "most varying first", "active": "most active first"}
DIRECTIONS = ("forward", "backward")
DEFAULT_UNITS = 16


@dataclass(frozen=True)
class Heatmap:
    """Units × positions of one probe: `values` has a row per unit of `units`, in rank order."""

    key: ProbeKey
    order: str
    units: list[int]
    values: Tensor
    total: int

    @property
    def caption(self) -> str:
        shown = f"{len(self.units)} of {self.total} units" if len(self.units) < self.total else \
            f"all {self.total} units"
        return (f"layer {self.key.layer} · {DIRECTIONS[self.key.direction]} · {self.key.probe} · "
                f"{shown}, {ORDERS[self.order]}")


def rank_units(values: Tensor, order: str) -> list[int]:
    """Unit indices of a (units, positions) tensor, the most varying (or most active) first."""
    if order not in ORDERS:
        raise ConfigError(f"order {order!r} is not one of {', '.join(ORDERS)}.")
    if values.shape[1] == 0:
        return list(range(values.shape[0]))
    score = values.std(dim=1, correction=0) if order == "varying" else values.abs().mean(dim=1)
    return score.argsort(descending=True, stable=True).tolist()


def choose_heatmap(
    inspection: Inspection,
    layer: int | None = None,
    direction: int = 0,
    probe: str = HIDDEN,
    units: int = DEFAULT_UNITS,
    order: str = "varying",
) -> Heatmap:
    """The heatmap of one layer (the last when None), direction and probe; `units` 0 shows them all.

    Raises ConfigError naming the choices when the layer, direction or probe does not exist.
    """
    layers = inspection.layers_recorded()
    layer = layers[-1] if layer is None else layer
    if layer not in layers:
        raise ConfigError(f"layer {layer} has no recorded values: choose one of "
                          f"{', '.join(map(str, layers))} (0 is nearest the input).")
    if not 0 <= direction < inspection.directions:
        raise ConfigError("direction 'backward' needs a bidirectional model; this one reads forwards only.")
    probes = inspection.probes_at(layer, direction)
    if probe not in probes:
        choices = ", ".join(probes)
        raise ConfigError(f"probe {probe!r} is not recorded for this cell: choose one of {choices}.")
    if units < 0:
        raise ConfigError(f"units = {units} is not allowed: give 0 for all units or a positive count.")
    key = ProbeKey(layer, direction, probe)
    values = inspection.values[key]
    ranked = rank_units(values, order)
    chosen = ranked[:units] if units else ranked
    return Heatmap(key, order, chosen, values[chosen], values.shape[0])
