"""A trained model made ready to inspect, and the inspection of one text through it.

The `Inspector` keeps a private copy of the model whose recurrent stack can record probes (a native
stack is swapped for its step-by-step twin holding the same weights), so inspecting never touches
the model a person is using or training. `inspect` asks the task for its reading of the text and
records every probe of every layer and direction during the same pass.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from workbench.cells import Cell, Recurrent
from workbench.errors import ConfigError
from workbench.inspection.probes import ProbeKey, probe_help, recording
from workbench.inspection.reading import Reading
from workbench.tasks import Task

if TYPE_CHECKING:
    from workbench.engine.trained import Trained


@dataclass(frozen=True)
class Inspection:
    """One text read by one model: what it predicted where, and what every unit did meanwhile.

    `values` holds, for each layer, direction and probe, a (units, positions) tensor whose columns
    line up with `reading.tokens`. `probes` names every probe with what it shows, `hidden` first.
    """

    title: str
    step: int | None
    reading: Reading
    values: dict[ProbeKey, Tensor]
    probes: dict[str, str]
    layers: int
    directions: int

    def probes_at(self, layer: int, direction: int) -> list[str]:
        """The probes recorded for one layer and direction, in the order `probes` lists them."""
        return [name for name in self.probes if ProbeKey(layer, direction, name) in self.values]

    def layers_recorded(self) -> list[int]:
        """Layers with any values (a stack without step cells shows only its last layer)."""
        return sorted({key.layer for key in self.values})


class Inspector:
    """A trained model ready to be inspected on any text; see the module docstring."""

    def __init__(self, task: Task, cell: Cell, model: nn.Module, title: str = "", step: int | None = None):
        self.task = task
        self.title = title
        self.step = step
        self.model = copy.deepcopy(model).eval()
        name, recurrent = _recurrent_of(self.model)
        self.recurrent = cell.inspectable(recurrent)
        if self.recurrent is not recurrent:
            self.model.set_submodule(name, self.recurrent)

    @classmethod
    def of(cls, trained: Trained) -> Inspector:
        """The inspector of a model loaded from a run, titled with its run and cell."""
        metadata: dict[str, Any] = trained.metadata
        run_id = metadata.get("run_id") or trained.run_dir.name
        step = (metadata.get("progress") or {}).get("step")
        return cls(trained.task, trained.cell, trained.model, f"{run_id} · {trained.config.cell}", step)

    def inspect(self, text: str) -> Inspection:
        """Read `text` with the model and record every probe (raises ConfigError for empty text)."""
        with torch.no_grad(), recording(self.recurrent) as recorded:
            reading = self.task.read(self.model, text)
        window = slice(reading.offset, reading.offset + len(reading))
        recorded_values = recorded.values(self.recurrent).items()
        values = {key: series[window].t().float().cpu() for key, series in recorded_values}
        return Inspection(self.title, self.step, reading, values, probe_help(self.recurrent),
                          self.recurrent.num_layers, self.recurrent.num_directions)


def _recurrent_of(model: nn.Module) -> tuple[str, Recurrent]:
    """The one recurrent stack inside a task's model, with its name there."""
    found = [(name, module) for name, module in model.named_modules() if isinstance(module, Recurrent)]
    if len(found) != 1:
        raise ConfigError(
            f"The model has {len(found)} recurrent stacks; inspection reads models with exactly one "
            "(a task's build_model should wrap the cell's Recurrent once)."
        )
    return found[0]
