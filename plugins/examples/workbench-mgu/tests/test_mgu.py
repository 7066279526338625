"""The MGU plugin keeps the workbench's cell contract and computes the MGU equations."""

import torch
from workbench_mgu import MGU, MGUStep

from workbench.testing import assert_cell_conforms, registered


def test_mgu_keeps_the_cell_contract():
    assert_cell_conforms(MGU)


def test_one_step_follows_the_equations():
    torch.manual_seed(0)
    step = MGUStep(input_size=3, hidden_size=4)
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    W, b = step.input_weights.weight, step.input_weights.bias
    f = torch.sigmoid(x @ W[:4].T + b[:4] + h @ step.gate_weights.weight.T)
    candidate = torch.tanh(x @ W[4:].T + b[4:] + (f * h) @ step.candidate_weights.weight.T)
    expected = (1 - f) * h + f * candidate
    output, (new_h,) = step(step.project_input(x), (h,))
    torch.testing.assert_close(output, expected)
    torch.testing.assert_close(new_h, expected)


def test_the_step_records_its_gate_and_candidate_as_probes():
    torch.manual_seed(0)
    step = MGUStep(input_size=3, hidden_size=4)
    recorded = {}
    step.probe_sink = recorded.update
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    output, _ = step(step.project_input(x), (h,))
    f = recorded["forget_gate"]
    torch.testing.assert_close(output, (1 - f) * h + f * recorded["candidate"])
    assert set(recorded) == set(MGUStep.probes)


def test_gate_bias_option_reaches_the_step():
    torch.manual_seed(0)
    model = MGU({"hidden_size": 4, "layers": 1, "gate_bias": 3.0}).build(input_size=2)
    bias = model.cells["l0"].input_weights.bias
    assert bias[:4].min() > 2.0 and bias[4:].max() < 1.0


def test_the_workbench_finds_it_by_name(register_plugin):
    registry = register_plugin(MGU)
    assert registry.get("cell", "mgu").cls is MGU


def test_registered_block_drops_it_afterwards():
    from workbench.registry import default_registry

    with registered(MGU):
        assert "mgu" in default_registry().names("cell")
    assert default_registry().get("cell", "gru")
