"""Probes: what the cells record equals the gate equations, and recording changes nothing else.

A native cell is inspected through its step-by-step twin holding its weights; its probes are checked
against the equations computed here, by hand, from the native module's own weights (float64).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from engine_support import tiny_config
from torch import Tensor, nn
from workbench_plugins.cells.custom import CustomGRU, CustomLSTM, CustomRNN, GRUCell, LSTMCell, RNNCell
from workbench_plugins.cells.native import NativeGRU, NativeLSTM, NativeRNN

from workbench.cells import Cell, Recurrent, State, StepCell, StepCellPlugin
from workbench.engine.checkpoint import load_checkpoint
from workbench.engine.run import Run
from workbench.inspection.probes import HIDDEN, ProbeKey, recording
from workbench.recurrent import NativeRecurrent, StepRecurrent
from workbench.testing import registered

INPUT, HIDDEN_SIZE, TIME = 3, 4, 7
NATIVE = {"lstm": NativeLSTM, "gru": NativeGRU, "rnn": NativeRNN}


def native_stack(name: str, **options: Any) -> tuple[Cell, NativeRecurrent]:
    torch.manual_seed(0)
    cell = NATIVE[name]({"hidden_size": HIDDEN_SIZE, "layers": 2, "bidirectional": True, **options})
    return cell, cell.build(INPUT).double()  # type: ignore[return-value]


def weights(native: nn.RNNBase, layer: int, direction: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return tuple(getattr(native, f"{name}{suffix}") for name in names)


def lstm_step(x: Tensor, state: tuple[Tensor, Tensor], w: tuple) -> tuple[dict[str, Tensor], tuple]:
    h, c = state
    w_ih, w_hh, b_ih, b_hh = w
    W_ii, W_if, W_ig, W_io = w_ih.chunk(4)
    W_hi, W_hf, W_hg, W_ho = w_hh.chunk(4)
    b_ii, b_if, b_ig, b_io = b_ih.chunk(4)
    b_hi, b_hf, b_hg, b_ho = b_hh.chunk(4)
    i = torch.sigmoid(W_ii @ x + b_ii + W_hi @ h + b_hi)
    f = torch.sigmoid(W_if @ x + b_if + W_hf @ h + b_hf)
    g = torch.tanh(W_ig @ x + b_ig + W_hg @ h + b_hg)
    o = torch.sigmoid(W_io @ x + b_io + W_ho @ h + b_ho)
    c = f * c + i * g
    h = o * torch.tanh(c)
    probes = {"input_gate": i, "forget_gate": f, "candidate": g, "output_gate": o, "cell_state": c, HIDDEN: h}
    return probes, (h, c)


def gru_step(x: Tensor, state: tuple[Tensor], w: tuple) -> tuple[dict[str, Tensor], tuple]:
    (h,) = state
    w_ih, w_hh, b_ih, b_hh = w
    W_ir, W_iz, W_in = w_ih.chunk(3)
    W_hr, W_hz, W_hn = w_hh.chunk(3)
    b_ir, b_iz, b_in = b_ih.chunk(3)
    b_hr, b_hz, b_hn = b_hh.chunk(3)
    r = torch.sigmoid(W_ir @ x + b_ir + W_hr @ h + b_hr)
    z = torch.sigmoid(W_iz @ x + b_iz + W_hz @ h + b_hz)
    n = torch.tanh(W_in @ x + b_in + r * (W_hn @ h + b_hn))
    h = (1 - z) * n + z * h
    return {"reset_gate": r, "update_gate": z, "candidate": n, HIDDEN: h}, (h,)


def rnn_step(activation):  # noqa: ANN001, ANN201 - a step function for one nonlinearity
    def step(x: Tensor, state: tuple[Tensor], w: tuple) -> tuple[dict[str, Tensor], tuple]:
        (h,) = state
        w_ih, w_hh, b_ih, b_hh = w
        preactivation = w_ih @ x + b_ih + w_hh @ h + b_hh
        h = activation(preactivation)
        return {"preactivation": preactivation, HIDDEN: h}, (h,)

    return step


def by_the_equations(native: nn.RNNBase, inputs: Tensor, step, state_count: int) -> dict[ProbeKey, Tensor]:  # noqa: ANN001
    """Every probe of every layer and direction, one character at a time, as (time, units)."""
    found: dict[ProbeKey, Tensor] = {}
    layer_input = inputs
    for layer in range(native.num_layers):
        outputs = []
        for direction in (0, 1):
            order = range(TIME - 1, -1, -1) if direction else range(TIME)
            state = tuple(torch.zeros(HIDDEN_SIZE, dtype=torch.float64) for _ in range(state_count))
            columns: dict[int, dict[str, Tensor]] = {}
            for t in order:
                columns[t], state = step(layer_input[t], state, weights(native, layer, direction))
            for name in columns[0]:
                found[ProbeKey(layer, direction, name)] = torch.stack([columns[t][name] for t in range(TIME)])
            outputs.append(found[ProbeKey(layer, direction, HIDDEN)])
        layer_input = torch.cat(outputs, dim=-1)
    return found


@pytest.mark.parametrize(("name", "options", "step", "states"), [
    ("lstm", {}, lstm_step, 2),
    ("gru", {}, gru_step, 1),
    ("rnn", {}, rnn_step(torch.tanh), 1),
    ("rnn", {"nonlinearity": "relu"}, rnn_step(torch.relu), 1),
], ids=["lstm", "gru", "rnn-tanh", "rnn-relu"])
def test_native_probes_through_the_twin_equal_the_gate_equations(name, options, step, states):
    cell, native = native_stack(name, **options)
    twin = cell.inspectable(native)
    assert isinstance(twin, StepRecurrent) and twin is not native
    inputs = torch.randn(1, TIME, INPUT, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    with recording(twin) as recorded:
        twin(inputs)
    probes = recorded.values(twin)
    expected = by_the_equations(native.module, inputs[0], step, states)
    assert set(probes) == set(expected)
    for key, values in expected.items():
        torch.testing.assert_close(probes[key], values, msg=str(key))


def test_only_the_first_sequence_of_the_first_pass_is_recorded():
    _, native = native_stack("gru")
    twin = NativeGRU({"hidden_size": HIDDEN_SIZE, "layers": 2, "bidirectional": True}).inspectable(native)
    inputs = torch.randn(3, TIME, INPUT, dtype=torch.float64)
    with recording(twin) as recorded:
        outputs, _ = twin(inputs)
        twin(torch.randn(2, 2, INPUT, dtype=torch.float64))  # a second pass is not recorded
    probes = recorded.values(twin)
    torch.testing.assert_close(probes[ProbeKey(1, 0, HIDDEN)], outputs[0, :, :HIDDEN_SIZE])
    torch.testing.assert_close(probes[ProbeKey(1, 1, HIDDEN)], outputs[0, :, HIDDEN_SIZE:])
    assert all(values.shape == (TIME, HIDDEN_SIZE) for values in probes.values())
    assert all(cell.probe_sink is None and not cell._forward_hooks for cell in twin.cells.values())


class PlainStep(StepCell):
    """A third-party cell that declares no probes."""

    def __init__(self, input_size: int, hidden_size: int, **options: Any):
        super().__init__(input_size, hidden_size)
        self.linear = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h = torch.tanh(self.linear(torch.cat([x_t, state[0]], dim=-1)))
        return h, (h,)


class PlainCell(StepCellPlugin):
    name = "plain"
    step = PlainStep


def test_a_cell_without_probes_shows_the_hidden_state_of_every_layer():
    model = PlainCell({"hidden_size": HIDDEN_SIZE, "layers": 2, "bidirectional": True}).build(INPUT)
    inputs = torch.randn(1, TIME, INPUT)
    with recording(model) as recorded:
        outputs, _ = model(inputs)
    probes = recorded.values(model)
    assert {(key.layer, key.direction, key.probe) for key in probes} == {
        (layer, direction, HIDDEN) for layer in (0, 1) for direction in (0, 1)}
    torch.testing.assert_close(probes[ProbeKey(1, 1, HIDDEN)], outputs[0, :, HIDDEN_SIZE:])


class FusedCell(Cell):
    """A cell with its own fused stack and no step twin: only its outputs can be shown."""

    name = "fused"

    def build(self, input_size: int) -> Recurrent:
        module = nn.GRU(input_size, self.options["hidden_size"], num_layers=self.options["layers"],
                        bidirectional=self.options["bidirectional"], batch_first=True)
        return NativeRecurrent(module)


def test_a_stack_without_step_cells_shows_the_hidden_state_of_its_last_layer():
    cell = FusedCell({"hidden_size": HIDDEN_SIZE, "layers": 2, "bidirectional": True})
    model = cell.build(INPUT)
    assert cell.inspectable(model) is model
    inputs = torch.randn(1, TIME, INPUT)
    with recording(model) as recorded:
        outputs, _ = model(inputs)
    probes = recorded.values(model)
    assert set(probes) == {ProbeKey(1, 0, HIDDEN), ProbeKey(1, 1, HIDDEN)}
    torch.testing.assert_close(probes[ProbeKey(1, 0, HIDDEN)], outputs[0, :, :HIDDEN_SIZE])


# Probing off: the steps as written before probes existed, without a single `record` call.
class UnprobedRNNStep(RNNCell):
    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h = self.activation(self.add_state(x_t, state[0]))
        return h, (h,)


class UnprobedLSTMStep(LSTMCell):
    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h, c = state
        i, f, g, o = self.add_state(x_t, h).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, (h, c)


class UnprobedGRUStep(GRUCell):
    def forward(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        (h,) = state
        x_r, x_z, x_n = x_t.chunk(3, dim=1)
        h_r, h_z, h_n = torch.addmm(self.bias_hh, h, self.weight_hh.t()).chunk(3, dim=1)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        h = (1 - z) * torch.tanh(x_n + r * h_n) + z * h
        return h, (h,)


UNPROBED = {
    "rnn-custom": type("UnprobedRNN", (CustomRNN,), {"name": "rnn-unprobed", "step": UnprobedRNNStep}),
    "lstm-custom": type("UnprobedLSTM", (CustomLSTM,), {"name": "lstm-unprobed", "step": UnprobedLSTMStep}),
    "gru-custom": type("UnprobedGRU", (CustomGRU,), {"name": "gru-unprobed", "step": UnprobedGRUStep}),
}


def train(corpora: Path, runs: Path, cell: str) -> tuple[list[float], dict[str, Tensor]]:
    """The step losses and final weights of a tiny run through the engine."""
    run = Run(tiny_config(corpora, runs, cell=cell, steps=8, eval_every=4))
    losses: list[float] = []
    run.subscribe(lambda event: losses.append(event.loss) if event.kind == "step" else None)
    assert run.run_sync().status == "completed"
    tensors, _ = load_checkpoint(run.run_dir / "checkpoint.safetensors")
    return losses, {name: tensor for name, tensor in tensors.items() if name.startswith("model.")}


@pytest.mark.parametrize("cell", sorted(UNPROBED))
def test_probing_off_leaves_training_numerically_identical(cell, tiny_corpora, tmp_path):
    unprobed = UNPROBED[cell]
    with registered(unprobed):
        expected_losses, expected_weights = train(tiny_corpora, tmp_path / "unprobed", unprobed.name)
        losses, weights = train(tiny_corpora, tmp_path / "probed", cell)
    assert losses == expected_losses and len(losses) == 8
    assert weights.keys() == expected_weights.keys()
    for name, tensor in weights.items():
        assert torch.equal(tensor, expected_weights[name]), name
