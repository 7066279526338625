"""Recurrent layer stacks over padded batches: their contract, torch.nn's fused modules and
hand-written step cells.

`Recurrent` is what every cell builds and `StepCell` is one time step as a custom cell's author
writes it; workbench.cells offers both to plugin authors. State, for every cell, is a tuple of
tensors each shaped (layers * directions, batch, size): `(h,)` for RNN and GRU, `(h, c)` for LSTM.
The first tensor is always the output state h.

`NativeRecurrent` adapts torch.nn.RNN/LSTM/GRU to the `Recurrent` contract (state tuples, variable
lengths through packing). `StepRecurrent` runs a `StepCell` through time itself: the loop,
stacking, direction, masking past each sequence's end and state handling all live here, once, so
a cell author writes only the math of one step.

A step cell also names its *probes*: the intermediate values of a step worth seeing (gates,
candidates, a cell state). Its `forward` hands them to `record`, which does nothing unless
workbench.inspection is listening, so training pays nothing for them.

A `StepRecurrent` names its cells `l0`, `l0_reverse`, `l1`, ... after torch.nn's parameter suffixes,
so `load_native_weights` can copy `weight_ih_l0_reverse` into `cells.l0_reverse.weight_ih`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from workbench.errors import ConfigError

State = tuple[Tensor, ...]


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


def _check_lengths(lengths: Tensor, batch: int, time: int) -> None:
    """Fail early, in words, on lengths that cannot describe this padded batch."""
    if lengths.shape != (batch,):
        raise ValueError(f"lengths has shape {tuple(lengths.shape)}; expected ({batch},), one per sequence")
    if batch and (int(lengths.min()) < 1 or int(lengths.max()) > time):
        raise ValueError(f"every length must be between 1 and the padded time length {time}")


class NativeRecurrent(Recurrent):
    """torch.nn.RNN, LSTM or GRU (batch_first) behind the workbench state and lengths conventions."""

    def __init__(self, module: nn.RNNBase):
        super().__init__()
        if not module.batch_first:
            raise ValueError("NativeRecurrent needs a module built with batch_first=True")
        self.module = module
        self.num_layers = module.num_layers
        self.num_directions = 2 if module.bidirectional else 1
        self.output_size = module.hidden_size * self.num_directions

    def forward(
        self, inputs: Tensor, state: State | None = None, lengths: Tensor | None = None
    ) -> tuple[Tensor, State]:
        is_lstm = isinstance(self.module, nn.LSTM)
        hx: Any = None if state is None else (tuple(state) if is_lstm else state[0])
        if lengths is None:
            outputs, hx = self.module(inputs, hx)
        else:
            batch, time = inputs.shape[:2]
            _check_lengths(lengths, batch, time)
            packed = pack_padded_sequence(inputs, lengths.cpu(), batch_first=True, enforce_sorted=False)
            packed_outputs, hx = self.module(packed, hx)
            outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=time)
        return outputs, tuple(hx) if is_lstm else (hx,)


def cell_key(layer: int, direction: int) -> str:
    """The name of one layer-direction's cell, equal to torch.nn's parameter suffix."""
    return f"l{layer}" + ("_reverse" if direction else "")


class StepRecurrent(Recurrent):
    """Stacked (and optionally bidirectional) layers of a `StepCell`, run one time step at a time.

    Each layer reads the concatenated outputs of both directions of the layer below, with dropout
    between layers while training. Past a sequence's length its state stops changing and its
    outputs are zero; the backward direction starts at each sequence's own last real step.
    """

    def __init__(
        self,
        step: type[StepCell],
        *,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        bidirectional: bool = False,
        cell_options: dict[str, Any] | None = None,
    ):
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_directions = 2 if bidirectional else 1
        self.output_size = hidden_size * self.num_directions
        self.cells = nn.ModuleDict()
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else self.output_size
            for direction in range(self.num_directions):
                cell = step(layer_input, hidden_size, **(cell_options or {}))
                self.cells[cell_key(layer, direction)] = cell
        self.dropout = nn.Dropout(dropout)

    @property
    def state_sizes(self) -> tuple[int, ...]:
        first: StepCell = next(iter(self.cells.values()))  # type: ignore[assignment]
        return first.state_sizes

    def zero_state(self, batch: int, like: Tensor) -> State:
        stacked = self.num_layers * self.num_directions
        return tuple(like.new_zeros(stacked, batch, size) for size in self.state_sizes)

    def forward(
        self, inputs: Tensor, state: State | None = None, lengths: Tensor | None = None
    ) -> tuple[Tensor, State]:
        batch, time = inputs.shape[:2]
        if state is None:
            state = self.zero_state(batch, inputs)
        else:
            self._check_state(state, batch)
        timeline = None
        if lengths is not None:
            _check_lengths(lengths, batch, time)
            timeline = _Timeline(time, lengths, inputs.device)
        initials = list(zip(*(part.unbind(0) for part in state), strict=True))
        finals: list[State] = []
        layer_input = inputs
        for layer in range(self.num_layers):
            if layer:
                layer_input = self.dropout(layer_input)
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                cell: StepCell = self.cells[cell_key(layer, direction)]  # type: ignore[assignment]
                sequence = _reverse(layer_input, timeline) if direction else layer_input
                output, final = _run_cell(cell, sequence, initials[index], timeline)
                outputs.append(_reverse(output, timeline) if direction else output)
                finals.append(final)
            layer_input = torch.cat(outputs, dim=-1) if len(outputs) > 1 else outputs[0]
        final_state = tuple(torch.stack(parts) for parts in zip(*finals, strict=True))
        return layer_input, final_state

    def _check_state(self, state: State, batch: int) -> None:
        stacked = self.num_layers * self.num_directions
        expected = [(stacked, batch, size) for size in self.state_sizes]
        given = [tuple(part.shape) for part in state]
        if given != expected:
            raise ValueError(f"state has shapes {given}; this recurrent layer stack expects {expected}")


class _Timeline:
    """Where each padded sequence ends: per-step masks and the reverse-within-length order."""

    def __init__(self, time: int, lengths: Tensor, device: torch.device):
        lengths = lengths.to(device=device, dtype=torch.long)
        steps = torch.arange(time, device=device)
        self.real = steps < lengths[:, None]  # (batch, time): True on real steps
        # Steps before the shortest sequence ends are real everywhere and need no masking.
        shortest = int(lengths.min())
        per_step = self.real.t().unsqueeze(-1).unbind(0)
        self.step_masks: list[Tensor | None] = [None] * shortest + list(per_step[shortest:])
        # Reading step L-1-t at step t (t < L) reverses each sequence within its own length;
        # padding stays where it is. The order is its own inverse.
        self.reverse_order = torch.where(self.real, lengths[:, None] - 1 - steps, steps)


def _reverse(sequence: Tensor, timeline: _Timeline | None) -> Tensor:
    """Time-reverse (batch, time, features), within each sequence's length when lengths are known."""
    if timeline is None:
        return sequence.flip(1)
    order = timeline.reverse_order.unsqueeze(-1).expand_as(sequence)
    return sequence.gather(1, order)


def _run_cell(
    cell: StepCell, sequence: Tensor, state: State, timeline: _Timeline | None
) -> tuple[Tensor, State]:
    """The time loop of one layer and direction: (batch, time, features) -> (batch, time, hidden).

    Steps come from one `unbind` and outputs go into one `stack`, so backward costs one gradient
    per step rather than a full-size one (slicing step by step would make it quadratic in time).
    """
    projected = cell.project_input(sequence.transpose(0, 1))
    masks = timeline.step_masks if timeline is not None else [None] * sequence.shape[1]
    outputs = []
    for x_t, keep in zip(projected.unbind(0), masks, strict=True):
        output, new_state = cell(x_t, state)
        if keep is not None:
            new_state = tuple(torch.where(keep, new, old) for new, old in zip(new_state, state, strict=True))
        state = new_state
        outputs.append(output)
    stacked = torch.stack(outputs, dim=1)
    if timeline is not None:
        stacked = stacked * timeline.real.unsqueeze(-1)
    return stacked, state


def load_native_weights(recurrent: StepRecurrent, native: nn.RNNBase | NativeRecurrent) -> None:
    """Copy a native module's weights into the matching step cells (`weight_ih_l0` -> `l0.weight_ih`).

    Raises ConfigError when a step cell has a parameter with no native counterpart of its shape.
    """
    module = native.module if isinstance(native, NativeRecurrent) else native
    native_parameters = dict(module.named_parameters())
    with torch.no_grad():
        for key, cell in recurrent.cells.items():
            for name, parameter in cell.named_parameters():
                source = native_parameters.get(f"{name}_{key}")
                if source is None or source.shape != parameter.shape:
                    found = "missing" if source is None else f"shaped {tuple(source.shape)}"
                    raise ConfigError(
                        f"Cannot load native weights: cells.{key}.{name} {tuple(parameter.shape)} has "
                        f"no native counterpart {name}_{key} ({found}). Build both with the same "
                        "input size, hidden_size, layers and bidirectional, and the same cell type."
                    )
                parameter.copy_(source)
