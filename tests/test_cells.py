"""The six built-in cells as plugins: registered, configurable, and shaped as the cell contract says."""

from __future__ import annotations

import math

import pytest
import torch

from workbench.cells import Recurrent
from workbench.errors import ConfigError
from workbench.registry import load_registry

CELLS = ["rnn", "lstm", "gru", "rnn-custom", "lstm-custom", "gru-custom"]
STATE_PARTS = {"rnn": 1, "lstm": 2, "gru": 1}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def build(registry, name: str, input_size: int = 3, **options) -> Recurrent:
    return registry.get("cell", name).cls(options).build(input_size)


def test_all_six_cells_are_registered_by_the_workbench(registry):
    for name in CELLS:
        info = registry.get("cell", name)
        assert info.source == "workbench"
        assert info.cls.description
    assert not [problem for problem in registry.problems if "cells" in problem.source]


@pytest.mark.parametrize("name", CELLS)
def test_one_step_of_one_sequence_has_the_contract_shapes(registry, name):
    recurrent = build(registry, name, hidden_size=4, layers=2, bidirectional=True)
    outputs, state = recurrent(torch.randn(1, 1, 3))
    assert recurrent.output_size == 8
    assert outputs.shape == (1, 1, 8)
    assert len(state) == STATE_PARTS[name.removesuffix("-custom")]
    assert all(part.shape == (4, 1, 4) for part in state)
    summary = recurrent.summary(state)
    assert summary.shape == (1, 8)
    # The summary holds the last layer's final h of both directions, forward first.
    torch.testing.assert_close(summary, torch.cat([state[0][2], state[0][3]], dim=-1))


@pytest.mark.parametrize("name", ["rnn", "rnn-custom"])
def test_relu_rnn_outputs_are_never_negative(registry, name):
    recurrent = build(registry, name, hidden_size=8, layers=2, nonlinearity="relu")
    outputs, (h,) = recurrent(torch.randn(5, 7, 3))
    assert outputs.min() >= 0 and h.min() >= 0
    assert (outputs > 0).any()
    tanh_outputs, _ = build(registry, name, hidden_size=8, layers=2)(torch.randn(5, 7, 3))
    assert tanh_outputs.min() < 0


@pytest.mark.parametrize("name", ["rnn", "rnn-custom"])
def test_an_unknown_nonlinearity_is_a_config_error(registry, name):
    with pytest.raises(ConfigError, match='nonlinearity = "sigmoid" is not allowed.*"tanh", "relu"'):
        build(registry, name, nonlinearity="sigmoid")


@pytest.mark.parametrize("name", ["lstm", "lstm-custom"])
def test_lstm_takes_no_nonlinearity(registry, name):
    with pytest.raises(ConfigError, match="no parameter 'nonlinearity'"):
        build(registry, name, nonlinearity="tanh")


@pytest.mark.parametrize("name", CELLS)
def test_dropout_acts_only_while_training(registry, name):
    torch.manual_seed(0)
    dropping = build(registry, name, hidden_size=16, layers=2, dropout=0.5)
    plain = build(registry, name, hidden_size=16, layers=2, dropout=0.0)
    plain.load_state_dict(dropping.state_dict())
    inputs = torch.randn(4, 6, 3)
    reference, _ = plain(inputs)
    dropping.eval()
    torch.testing.assert_close(dropping(inputs)[0], reference)
    dropping.train()
    assert not torch.allclose(dropping(inputs)[0], reference)


@pytest.mark.parametrize("name", ["rnn-custom", "lstm-custom", "gru-custom"])
def test_custom_cells_use_torch_layout_and_initialisation(registry, name):
    hidden = 16
    recurrent = build(registry, name, input_size=3, hidden_size=hidden, layers=1)
    gates = {"rnn-custom": 1, "lstm-custom": 4, "gru-custom": 3}[name]
    shapes = {key: tuple(value.shape) for key, value in recurrent.state_dict().items()}
    rows = gates * hidden
    assert shapes == {
        "cells.l0.weight_ih": (rows, 3),
        "cells.l0.weight_hh": (rows, hidden),
        "cells.l0.bias_ih": (rows,),
        "cells.l0.bias_hh": (rows,),
    }
    bound = 1 / math.sqrt(hidden)
    for parameter in recurrent.parameters():
        assert parameter.abs().max() <= bound
        assert parameter.std() > bound / 4  # spread over the range, not left at zero
