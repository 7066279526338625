"""Recording probes: the values a stack's cells compute at each step, for the first sequence of a pass.

Step cells hand their declared probes to `StepCell.record` and every cell's output h is caught by a
forward hook, so a cell that declares nothing still shows its hidden state. A stack that is not
made of step cells shows the hidden state of its last layer, read off its outputs. Recording hooks
in only inside `recording(...)`; outside it the cells run exactly as in training.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from workbench.cells import Recurrent, StepCell
from workbench.recurrent import StepRecurrent, cell_key

HIDDEN = "hidden"
HIDDEN_HELP = "h: the unit's output, what the next layer and the prediction read"


@dataclass(frozen=True)
class ProbeKey:
    """Which values: a layer (0 is nearest the input), a direction (1 reads backwards) and a probe."""

    layer: int
    direction: int
    probe: str


class ProbeRecording:
    """What one pass recorded: for each layer, direction and probe, a (time, units) tensor in reading order.

    Only the first sequence of the batch is kept, and only the first pass after recording began.
    """

    def __init__(self) -> None:
        self.steps: dict[tuple[int, int], list[dict[str, Tensor]]] = {}
        self.outputs: Tensor | None = None  # the stack's outputs, for stacks without step cells
        self.finished = False

    def values(self, recurrent: Recurrent) -> dict[ProbeKey, Tensor]:
        """Every recorded probe of the pass, time running forwards in both directions."""
        if self.steps:
            found = {}
            for (layer, direction), steps in self.steps.items():
                for name in steps[0] if steps else ():
                    stacked = torch.stack([step[name] for step in steps])
                    found[ProbeKey(layer, direction, name)] = stacked.flip(0) if direction else stacked
            return found
        if self.outputs is None:
            return {}
        units = recurrent.output_size // recurrent.num_directions
        last = recurrent.num_layers - 1
        halves = self.outputs.split(units, dim=-1)
        return {ProbeKey(last, direction, HIDDEN): halves[direction] for direction in range(len(halves))}


def probe_help(recurrent: Recurrent) -> dict[str, str]:
    """Each probe the stack can record, `hidden` first, with what it shows."""
    declared: dict[str, str] = {}
    if isinstance(recurrent, StepRecurrent):
        for cell in recurrent.cells.values():
            declared.update(getattr(cell, "probes", {}))
    return {HIDDEN: HIDDEN_HELP, **{name: text for name, text in declared.items() if name != HIDDEN}}


@contextmanager
def recording(recurrent: Recurrent) -> Iterator[ProbeRecording]:
    """Record the next pass of `recurrent`; the cells are left as they were when the block ends."""
    recording = ProbeRecording()
    handles: list[RemovableHandle] = []
    sinks: list[StepCell] = []
    try:
        if isinstance(recurrent, StepRecurrent):
            for layer in range(recurrent.num_layers):
                for direction in range(recurrent.num_directions):
                    cell: StepCell = recurrent.cells[cell_key(layer, direction)]  # type: ignore[assignment]
                    handles.append(_listen(cell, recording, (layer, direction)))
                    sinks.append(cell)
        handles.append(recurrent.register_forward_hook(_pass_done(recording)))
        yield recording
    finally:
        for handle in handles:
            handle.remove()
        for cell in sinks:
            cell.probe_sink = None


def _listen(cell: StepCell, recording: ProbeRecording, key: tuple[int, int]) -> RemovableHandle:
    """Catch the probes `cell` records during a step, then its output h when the step returns."""
    steps = recording.steps.setdefault(key, [])
    pending: dict[str, Tensor] = {}

    def sink(values: dict[str, Tensor]) -> None:
        if not recording.finished:
            pending.update({name: value[0].detach().clone() for name, value in values.items()})

    def step_done(module: nn.Module, inputs: Any, output: Any) -> None:
        if not recording.finished:
            steps.append({HIDDEN: output[0][0].detach().clone(), **pending})
        pending.clear()

    cell.probe_sink = sink
    return cell.register_forward_hook(step_done)


def _pass_done(recording: ProbeRecording):  # noqa: ANN202 - a forward hook
    def done(module: nn.Module, inputs: Any, output: Any) -> None:
        if not recording.finished:
            recording.outputs = output[0][0].detach().clone()
            recording.finished = True

    return done
