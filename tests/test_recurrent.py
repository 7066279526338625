"""StepRecurrent against torch.nn: a custom cell holding its native twin's weights must agree with it.

Everything runs in float64 so outputs, final states and gradients can be compared tightly.
"""

from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from workbench_plugins.cells.custom import CustomGRU, CustomLSTM, CustomRNN, LSTMCell
from workbench_plugins.cells.native import NativeGRU, NativeLSTM, NativeRNN

from workbench.errors import ConfigError
from workbench.recurrent import NativeRecurrent, StepRecurrent, load_native_weights

INPUT, HIDDEN, BATCH, TIME = 3, 5, 4, 6
LENGTHS = torch.tensor([6, 2, 4, 1])

TWINS = {
    "rnn": (NativeRNN, CustomRNN, {}),
    "rnn-relu": (NativeRNN, CustomRNN, {"nonlinearity": "relu"}),
    "lstm": (NativeLSTM, CustomLSTM, {}),
    "gru": (NativeGRU, CustomGRU, {}),
}
STACKS = {
    "one-layer": {"layers": 1},
    "three-layers": {"layers": 3},
    "bidirectional": {"layers": 1, "bidirectional": True},
    "three-layers-bidirectional": {"layers": 3, "bidirectional": True},
}


def build_twins(twin: str, **options) -> tuple[NativeRecurrent, StepRecurrent]:
    native_cls, custom_cls, extra = TWINS[twin]
    options = {"hidden_size": HIDDEN, **extra, **options}
    torch.manual_seed(0)
    native = native_cls(options).build(INPUT).double()
    custom = custom_cls(options).build(INPUT).double()
    load_native_weights(custom, native)
    return native, custom


def native_name(custom_name: str) -> str:
    """cells.l1_reverse.weight_hh -> module.weight_hh_l1_reverse."""
    _, key, parameter = custom_name.split(".")
    return f"module.{parameter}_{key}"


def run(model, inputs, state=None, lengths=None):
    """Outputs, final state and the gradients of a loss that weighs every output and state entry."""
    outputs, final = model(inputs, state, lengths)
    generator = torch.Generator().manual_seed(1)
    loss = sum(
        (part * torch.randn(part.shape, generator=generator, dtype=part.dtype)).sum()
        for part in (outputs, *final)
    )
    named = dict(model.named_parameters())
    leaves = [inputs, *(state or ()), *named.values()]
    grads = torch.autograd.grad(loss, leaves)
    inputs_and_state = grads[: len(leaves) - len(named)]
    by_name = dict(zip(named, grads[len(inputs_and_state) :], strict=True))
    return outputs, final, inputs_and_state, by_name


def assert_twins_agree(native, custom, inputs, state=None, lengths=None):
    native_out, native_final, native_leaf_grads, native_grads = run(native, inputs, state, lengths)
    custom_out, custom_final, custom_leaf_grads, custom_grads = run(custom, inputs, state, lengths)
    torch.testing.assert_close(custom_out, native_out)
    assert len(custom_final) == len(native_final)
    for custom_part, native_part in zip(custom_final, native_final, strict=True):
        torch.testing.assert_close(custom_part, native_part)
    for custom_grad, native_grad in zip(custom_leaf_grads, native_leaf_grads, strict=True):
        torch.testing.assert_close(custom_grad, native_grad)
    assert len(custom_grads) == len(native_grads)
    for name, grad in custom_grads.items():
        torch.testing.assert_close(grad, native_grads[native_name(name)], msg=name)


def random_inputs(batch: int = BATCH, time: int = TIME) -> torch.Tensor:
    return torch.randn(batch, time, INPUT, dtype=torch.float64, requires_grad=True)


def random_state(custom: StepRecurrent, batch: int = BATCH) -> tuple[torch.Tensor, ...]:
    zeros = custom.zero_state(batch, torch.zeros((), dtype=torch.float64))
    return tuple(torch.randn_like(part).requires_grad_() for part in zeros)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("twin", TWINS)
def test_custom_matches_native(twin, stack):
    native, custom = build_twins(twin, **STACKS[stack])
    assert_twins_agree(native, custom, random_inputs())


@pytest.mark.parametrize("twin", TWINS)
def test_custom_matches_native_from_given_state(twin):
    native, custom = build_twins(twin, layers=2, bidirectional=True)
    assert_twins_agree(native, custom, random_inputs(), random_state(custom))


@pytest.mark.parametrize("stack", ["one-layer", "three-layers-bidirectional"])
@pytest.mark.parametrize("twin", TWINS)
def test_masked_custom_matches_packed_native(twin, stack):
    native, custom = build_twins(twin, **STACKS[stack])
    assert_twins_agree(native, custom, random_inputs(), random_state(custom), LENGTHS)


@pytest.mark.parametrize("twin", ["lstm", "gru"])
def test_each_sequence_ends_at_its_own_length(twin):
    _, custom = build_twins(twin, layers=2, bidirectional=True)
    inputs = random_inputs().detach()
    outputs, final = custom(inputs, lengths=LENGTHS)
    for row, length in enumerate(LENGTHS.tolist()):
        alone_out, alone_final = custom(inputs[row : row + 1, :length])
        torch.testing.assert_close(outputs[row : row + 1, :length], alone_out)
        assert torch.all(outputs[row, length:] == 0)
        for part, alone_part in zip(final, alone_final, strict=True):
            torch.testing.assert_close(part[:, row : row + 1], alone_part)


@pytest.mark.parametrize("twin", TWINS)
def test_state_carries_across_calls(twin):
    for model in build_twins(twin, layers=2):
        inputs = random_inputs().detach()
        whole_out, whole_final = model(inputs)
        first_out, first_final = model(inputs[:, :2])
        second_out, second_final = model(inputs[:, 2:], first_final)
        torch.testing.assert_close(torch.cat([first_out, second_out], dim=1), whole_out)
        for part, whole_part in zip(second_final, whole_final, strict=True):
            torch.testing.assert_close(part, whole_part)


class _CountProduced(TorchDispatchMode):
    """Counts the tensor elements every operator produces: a measure of work that ignores the clock."""

    def __init__(self):
        super().__init__()
        self.elements = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        self.elements += sum(t.numel() for t in tree_leaves(result) if isinstance(t, torch.Tensor))
        return result


def _backward_elements(time: int) -> int:
    torch.manual_seed(0)
    recurrent = StepRecurrent(LSTMCell, input_size=INPUT, hidden_size=HIDDEN, bidirectional=True)
    outputs, _ = recurrent(torch.randn(BATCH, time, INPUT, requires_grad=True), lengths=None)
    with _CountProduced() as counter:
        outputs.sum().backward()
    return counter.elements


def test_backward_work_grows_linearly_with_sequence_length():
    # Slicing one step at a time would make each step's gradient as large as the whole sequence,
    # so doubling the length would about quadruple the work.
    short, long = _backward_elements(64), _backward_elements(128)
    assert long / short < 2.2


def test_loading_weights_of_a_different_shape_is_a_clear_error():
    native = NativeGRU({"hidden_size": HIDDEN, "layers": 1}).build(INPUT)
    custom = CustomLSTM({"hidden_size": HIDDEN, "layers": 1}).build(INPUT)
    with pytest.raises(ConfigError, match=r"cells\.l0\.weight_ih .*weight_ih_l0"):
        load_native_weights(custom, native)
    deeper = CustomGRU({"hidden_size": HIDDEN, "layers": 2}).build(INPUT)
    with pytest.raises(ConfigError, match="weight_ih_l1 \\(missing\\)"):
        load_native_weights(deeper, native)


@pytest.mark.parametrize("bad", [[6, 0, 4, 1], [7, 2, 4, 1], [6, 2]], ids=["empty", "too-long", "too-few"])
@pytest.mark.parametrize("twin", ["rnn", "lstm"])
def test_impossible_lengths_are_refused_in_words(twin, bad):
    for model in build_twins(twin):
        with pytest.raises(ValueError, match="length"):
            model(random_inputs(), lengths=torch.tensor(bad))


def test_the_layers_import_nothing_of_the_plugin_contract():
    """workbench.cells builds on workbench.recurrent, never the other way round: no import cycle."""
    import subprocess
    import sys

    code = "import sys, workbench.recurrent; print('workbench.cells' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
