"""The native cells: torch.nn.RNN, LSTM and GRU with their fused (and, on CPU, oneDNN) fast paths."""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from workbench.cells import COMMON_NAMES, COMMON_PARAMS, NONLINEARITY, Cell, Recurrent
from workbench.hookspecs import hookimpl
from workbench.recurrent import NativeRecurrent


class NativeCell(Cell):
    """A cell backed by one torch.nn recurrent module; subclasses name the module."""

    module: ClassVar[type[nn.RNNBase]]

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


class NativeRNN(NativeCell):
    name = "rnn"
    description = "Elman RNN from torch.nn (tanh or ReLU)"
    params = (*COMMON_PARAMS, NONLINEARITY)
    module = nn.RNN


class NativeLSTM(NativeCell):
    name = "lstm"
    description = "LSTM from torch.nn"
    module = nn.LSTM


class NativeGRU(NativeCell):
    name = "gru"
    description = "GRU from torch.nn"
    module = nn.GRU


@hookimpl
def register_cells(register):
    for cell in (NativeRNN, NativeLSTM, NativeGRU):
        register(cell)
