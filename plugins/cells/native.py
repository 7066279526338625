"""The native cells: torch.nn.RNN, LSTM and GRU with their fused (and, on CPU, oneDNN) fast paths.

A fused kernel hides its gates, so each native cell is inspected through its step-by-step twin
from workbench_plugins.cells.custom holding the same weights (proven equal to it).
"""

from __future__ import annotations

from typing import ClassVar, cast

from torch import nn
from workbench_plugins.cells.custom import CustomGRU, CustomLSTM, CustomRNN

from workbench.cells import COMMON_NAMES, COMMON_PARAMS, NONLINEARITY, Cell, Recurrent, StepCellPlugin
from workbench.hookspecs import hookimpl
from workbench.recurrent import NativeRecurrent, StepRecurrent, load_native_weights


class NativeCell(Cell):
    """A cell backed by one torch.nn recurrent module; subclasses name the module and its twin."""

    module: ClassVar[type[nn.RNNBase]]
    twin: ClassVar[type[StepCellPlugin]]

    def build(self, input_size: int) -> Recurrent:
        options = self.options
        extra = {name: value for name, value in options.items() if name not in COMMON_NAMES}
        module = self.module(
            input_size,
            options["hidden_size"],
            num_layers=options["layers"],
            # torch.nn warns about dropout with one layer: there is nothing between layers to drop.
            dropout=options["dropout"] if options["layers"] > 1 else 0.0,
            bidirectional=options["bidirectional"],
            batch_first=True,
            **extra,
        )
        return NativeRecurrent(module)

    def inspectable(self, recurrent: Recurrent) -> Recurrent:
        """The step-by-step twin with this stack's weights, whose steps record their gates."""
        module = cast(NativeRecurrent, recurrent).module
        weight = next(module.parameters())
        twin = self.twin(self.options).build(module.input_size).to(device=weight.device, dtype=weight.dtype)
        load_native_weights(cast(StepRecurrent, twin), module)
        return twin


class NativeRNN(NativeCell):
    name = "rnn"
    description = "Elman RNN from torch.nn (tanh or ReLU)"
    params = (*COMMON_PARAMS, NONLINEARITY)
    module = nn.RNN
    twin = CustomRNN


class NativeLSTM(NativeCell):
    name = "lstm"
    description = "LSTM from torch.nn"
    module = nn.LSTM
    twin = CustomLSTM


class NativeGRU(NativeCell):
    name = "gru"
    description = "GRU from torch.nn"
    module = nn.GRU
    twin = CustomGRU


@hookimpl
def register_cells(register):
    for cell in (NativeRNN, NativeLSTM, NativeGRU):
        register(cell)
