"""The cell contract: what a cell plugin declares and builds.

A cell plugin builds a `Recurrent`: a stack of layers over a batch of sequences. Native cells wrap
torch.nn's fused modules. A custom cell is written as one time step (`StepCell`) and the workbench
owns the rest (`StepRecurrent`: the time loop, stacking, direction, variable lengths and state),
so its author writes the math and nothing else.

`Recurrent`, `State` and `StepCell` are defined in workbench.recurrent, beside the code that runs
them, and are imported from here by plugin authors as part of this contract.
"""

from __future__ import annotations

from typing import Any, ClassVar

from workbench.params import Param
from workbench.plugin import Plugin
from workbench.recurrent import Recurrent, State, StepCell, StepRecurrent

__all__ = ["COMMON_NAMES", "COMMON_PARAMS", "NONLINEARITY", "Cell", "Recurrent", "State",
           "StepCell", "StepCellPlugin"]

COMMON_PARAMS: tuple[Param, ...] = (
    Param("hidden_size", int, 256, "units in each layer's state", min=1, max=8192),
    Param("layers", int, 2, "stacked recurrent layers", min=1, max=32),
    Param("dropout", float, 0.0, "dropout between stacked layers", min=0.0, max=0.95),
    Param("bidirectional", bool, False, "also read each sequence backwards (classification only)"),
)
COMMON_NAMES = frozenset(param.name for param in COMMON_PARAMS)
# Shared by the native and custom RNN so both accept the same values.
NONLINEARITY = Param("nonlinearity", str, "tanh", "the RNN's activation", choices=("tanh", "relu"))


class Cell(Plugin):
    """Base class of cell plugins: declares options and builds a `Recurrent` for an input size."""

    kind: ClassVar[str] = "cell"
    params: ClassVar[tuple[Param, ...]] = COMMON_PARAMS

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = self.resolve_options(options)

    def build(self, input_size: int) -> Recurrent:
        raise NotImplementedError

    def inspectable(self, recurrent: Recurrent) -> Recurrent:
        """The stack to inspect in place of `recurrent` (built by this cell): the same one by default.

        A cell whose stack cannot record probes (a fused kernel) returns an equal stack that can,
        holding the same weights; the native cells return their step-by-step twins.
        """
        return recurrent


class StepCellPlugin(Cell):
    """A cell plugin whose math is a `StepCell` subclass; set `step` and the workbench does the rest."""

    step: ClassVar[type[StepCell]]

    def build(self, input_size: int) -> Recurrent:
        extra = {k: v for k, v in self.options.items() if k not in COMMON_NAMES}
        return StepRecurrent(
            self.step,
            input_size=input_size,
            hidden_size=self.options["hidden_size"],
            num_layers=self.options["layers"],
            dropout=self.options["dropout"],
            bidirectional=self.options["bidirectional"],
            cell_options=extra,
        )
