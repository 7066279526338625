"""The custom cells: RNN, LSTM and GRU written one time step at a time, to be read and changed.

Each cell keeps its weights in torch.nn's layout: the gates' rows stacked in one matrix per
weight (`weight_ih` (gates*H, input), `weight_hh` (gates*H, H), `bias_ih`, `bias_hh`), in the
order (i, f, g, o) for the LSTM and (r, z, n) for the GRU. So a custom cell can load the weights
of its native twin and be checked against it (workbench.recurrent.load_native_weights).

The workbench runs the time loop (workbench.recurrent.StepRecurrent); `project_input` computes
the state-independent part (W_ih x + b_ih, and b_hh where it can) for every step in one matrix
product, and `forward` adds the part that depends on the previous state. Each step `record`s its
gates by the names its `probes` declare, for inspection (free when nobody looks).
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from workbench.cells import COMMON_PARAMS, NONLINEARITY, State, StepCell, StepCellPlugin
from workbench.hookspecs import hookimpl


class StackedGatesCell(StepCell):
    """Weights of `gates` gates stacked as torch.nn stores them, initialised from U(-1/√H, 1/√H)."""

    gates: ClassVar[int] = 1

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        rows = self.gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(rows))
        self.bias_hh = nn.Parameter(torch.empty(rows))
        bound = 1 / math.sqrt(hidden_size)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)

    def project_input(self, inputs: Tensor) -> Tensor:
        """W_ih x + b_ih + b_hh for every time step at once: (time, batch, in) -> (time, batch, gates*H).

        b_hh does not depend on the state either, so adding it here saves an addition per step.
        """
        return F.linear(inputs, self.weight_ih, self.bias_ih + self.bias_hh)

    def add_state(self, x_t: Tensor, h: Tensor) -> Tensor:
        """x_t + W_hh h as one fused multiply-add: (batch, gates*H), (batch, H) -> (batch, gates*H)."""
        return torch.addmm(x_t, h, self.weight_hh.t())


class RNNCell(StackedGatesCell):
    """h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), or ReLU instead of tanh."""

    gates = 1
    probes = {"preactivation": "W_ih x + b_ih + W_hh h + b_hh, before the activation"}

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh"):
        super().__init__(input_size, hidden_size)
        self.activation = torch.tanh if nonlinearity == "tanh" else torch.relu

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        (h,) = state  # x_t already holds W_ih x_t + b_ih + b_hh (project_input)
        preactivation = self.add_state(x_t, h)
        self.record(preactivation=preactivation)
        h = self.activation(preactivation)
        return h, (h,)


class LSTMCell(StackedGatesCell):
    """Input, forget and output gates decide what the cell state c keeps, takes in and shows."""

    gates = 4
    probes = {
        "input_gate": "i: how much of the candidate enters the cell state",
        "forget_gate": "f: how much of the cell state is kept",
        "candidate": "g: the values offered to the cell state",
        "output_gate": "o: how much of the cell state shows in h",
        "cell_state": "c: the cell's memory",
    }

    @property
    def state_sizes(self) -> tuple[int, ...]:
        return (self.hidden_size, self.hidden_size)

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h, c = state  # x_t already holds W_ih x_t + b_ih + b_hh (project_input)
        i, f, g, o = self.add_state(x_t, h).chunk(4, dim=1)
        i = torch.sigmoid(i)  # input gate: how much of the candidate g enters c
        f = torch.sigmoid(f)  # forget gate: how much of c is kept
        g = torch.tanh(g)  # candidate values
        o = torch.sigmoid(o)  # output gate: how much of c shows in h
        c = f * c + i * g
        h = o * torch.tanh(c)
        self.record(input_gate=i, forget_gate=f, candidate=g, output_gate=o, cell_state=c)
        return h, (h, c)


class GRUCell(StackedGatesCell):
    """A reset gate r chooses what of h feeds the candidate n; an update gate z mixes n and h."""

    gates = 3
    probes = {
        "reset_gate": "r: how much of h feeds the candidate",
        "update_gate": "z: how much of h is kept rather than replaced by the candidate",
        "candidate": "n: the new values offered to h",
    }

    def project_input(self, inputs: Tensor) -> Tensor:
        """W_ih x + b_ih only: b_hn sits inside r ⊙ (W_hn h + b_hn), so b_hh stays in the step."""
        return F.linear(inputs, self.weight_ih, self.bias_ih)

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        (h,) = state  # x_t holds W_ih x_t + b_ih (project_input)
        x_r, x_z, x_n = x_t.chunk(3, dim=1)
        h_r, h_z, h_n = torch.addmm(self.bias_hh, h, self.weight_hh.t()).chunk(3, dim=1)  # W_hh h + b_hh
        r = torch.sigmoid(x_r + h_r)  # reset gate
        z = torch.sigmoid(x_z + h_z)  # update gate
        n = torch.tanh(x_n + r * h_n)  # candidate state
        h = (1 - z) * n + z * h
        self.record(reset_gate=r, update_gate=z, candidate=n)
        return h, (h,)


class CustomRNN(StepCellPlugin):
    name = "rnn-custom"
    description = "Elman RNN written step by step (tanh or ReLU)"
    params = (*COMMON_PARAMS, NONLINEARITY)
    step = RNNCell


class CustomLSTM(StepCellPlugin):
    name = "lstm-custom"
    description = "LSTM written step by step from its gate equations"
    step = LSTMCell


class CustomGRU(StepCellPlugin):
    name = "gru-custom"
    description = "GRU written step by step from its gate equations"
    step = GRUCell


@hookimpl
def register_cells(register):
    for cell in (CustomRNN, CustomLSTM, CustomGRU):
        register(cell)
