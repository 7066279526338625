"""A minimal gated unit (Zhou et al., 2016): one gate where the GRU has two.

    f_t = σ(W_f x_t + U_f h_{t-1} + b_f)
    h̃_t = tanh(W_h x_t + U_h (f_t ⊙ h_{t-1}) + b_h)
    h_t = (1 − f_t) ⊙ h_{t-1} + f_t ⊙ h̃_t

The workbench runs the time loop, layers, directions and padding; this module writes one step,
and names the gate and the candidate as probes so `workbench inspect` can show them.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from workbench.cells import COMMON_PARAMS, State, StepCell, StepCellPlugin
from workbench.hookspecs import hookimpl
from workbench.params import Param


class MGUStep(StepCell):
    """One MGU step; the input halves of both equations are computed for all steps at once."""

    probes = {
        "forget_gate": "f: how much of h each step replaces with the candidate",
        "candidate": "h̃: the new values offered to h",
    }

    def __init__(self, input_size: int, hidden_size: int, gate_bias: float = 0.0, **options: Any):
        super().__init__(input_size, hidden_size)
        self.input_weights = nn.Linear(input_size, 2 * hidden_size)  # [W_f; W_h] and [b_f; b_h]
        self.gate_weights = nn.Linear(hidden_size, hidden_size, bias=False)  # U_f
        self.candidate_weights = nn.Linear(hidden_size, hidden_size, bias=False)  # U_h
        bound = 1 / math.sqrt(hidden_size)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)
        with torch.no_grad():
            self.input_weights.bias[:hidden_size] += gate_bias  # b_f > 0: update eagerly at first

    def project_input(self, inputs: Tensor) -> Tensor:
        """(time, batch, input) -> (time, batch, 2H): W_f x + b_f and W_h x + b_h side by side."""
        return self.input_weights(inputs)

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        (h,) = state
        x_f, x_h = x_t.chunk(2, dim=1)
        f = torch.sigmoid(x_f + self.gate_weights(h))
        candidate = torch.tanh(x_h + self.candidate_weights(f * h))
        h = (1 - f) * h + f * candidate
        self.record(forget_gate=f, candidate=candidate)
        return h, (h,)


class MGU(StepCellPlugin):
    name = "mgu"
    description = "Minimal gated unit: one forget gate, GRU-like, fewer parameters"
    params = (
        *COMMON_PARAMS,
        Param("gate_bias", float, 0.0, "added to the gate's initial bias", min=-5.0, max=5.0),
    )
    step = MGUStep


@hookimpl
def register_cells(register):
    register(MGU)
