"""The cell contract.

A cell plugin builds a `Recurrent`: a stack of layers over a batch of sequences. Native cells wrap
torch.nn's fused modules. A custom cell is written as one time step (`StepCell`) and the workbench
owns the rest (`StepRecurrent`: the time loop, stacking, direction, variable lengths and state),
so its author writes the math and nothing else.

State, for every cell, is a tuple of tensors each shaped (layers * directions, batch, size):
`(h,)` for RNN and GRU, `(h, c)` for LSTM. The first tensor is always the output state h.

A step cell also names its *probes*: the intermediate values of a step worth seeing (gates,
candidates, a cell state). Its `forward` hands them to `record`, which does nothing unless
workbench.inspection is listening, so training pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from workbench.params import Param
from workbench.plugin import Plugin

State = tuple[Tensor, ...]

COMMON_PARAMS: tuple[Param, ...] = (
    Param("hidden_size", int, 256, "units in each layer's state", min=1, max=8192),
    Param("layers", int, 2, "stacked recurrent layers", min=1, max=32),
    Param("dropout", float, 0.0, "dropout between stacked layers", min=0.0, max=0.95),
    Param("bidirectional", bool, False, "also read each sequence backwards (classification only)"),
)
COMMON_NAMES = frozenset(param.name for param in COMMON_PARAMS)
# Shared by the native and custom RNN so both accept the same values.
NONLINEARITY = Param("nonlinearity", str, "tanh", "the RNN's activation", choices=("tanh", "relu"))


class Recurrent(nn.Module):
    """A stack of recurrent layers. Subclasses set `output_size` and `num_directions`."""

    output_size: int
    num_directions: int
    num_layers: int

    def forward(
        self, inputs: Tensor, state: State | None = None, lengths: Tensor | None = None
    ) -> tuple[Tensor, State]:
        """Run `inputs` (batch, time, features) from `state` (zeros when None).

        `lengths` (batch,) marks where each padded sequence really ends: outputs past that are
        zeros and the returned state is the state at each sequence's own last step.
        Returns outputs (batch, time, output_size) and the final state.
        """
        raise NotImplementedError

    def summary(self, state: State) -> Tensor:
        """The last layer's final h of every direction, concatenated: (batch, output_size)."""
        h = state[0]
        return torch.cat(list(h[-self.num_directions :]), dim=-1)


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


ProbeSink = Callable[[dict[str, Tensor]], None]


class StepCell(nn.Module):
    """One time step of a recurrent cell, as its author writes it.

    `__init__(input_size, hidden_size, **options)` receives the plugin's options other than the
    common ones (hidden_size, layers, dropout, bidirectional). `state_sizes` gives the size of each
    state tensor, h first. `project_input` may precompute the state-independent part of the step
    for all time steps at once (one large matrix product instead of one per step); `forward`
    receives one time step of its result.

    `probes` maps the name of each intermediate value worth seeing to what it shows; `forward`
    passes them to `record` by those names, each shaped (batch, hidden_size). The output h needs
    no probe: inspection records it for every cell.
    """

    probes: ClassVar[dict[str, str]] = {}
    probe_sink: ProbeSink | None = None  # set by workbench.inspection while it records

    def __init__(self, input_size: int, hidden_size: int, **options: Any):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size

    @property
    def state_sizes(self) -> tuple[int, ...]:
        return (self.hidden_size,)

    def project_input(self, inputs: Tensor) -> Tensor:
        """(time, batch, input_size) -> (time, batch, anything); identity unless overridden."""
        return inputs

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One step: x_t (batch, *) and state tensors (batch, size) -> output h_t, new state."""
        raise NotImplementedError

    def record(self, **values: Tensor) -> None:
        """Offer this step's probe values to an inspector; a no-op unless one is listening."""
        if self.probe_sink is not None:
            self.probe_sink(values)


class StepCellPlugin(Cell):
    """A cell plugin whose math is a `StepCell` subclass; set `step` and the workbench does the rest."""

    step: ClassVar[type[StepCell]]

    def build(self, input_size: int) -> Recurrent:
        from workbench.recurrent import StepRecurrent

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
