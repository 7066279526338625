"""What `workbench bench` times, kept apart from the timing code so the CLI can declare its flags
without importing torch."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CELLS = ("lstm", "lstm-custom", "gru", "gru-custom", "rnn", "rnn-custom")


@dataclass(frozen=True)
class BenchSettings:
    cells: tuple[str, ...] = DEFAULT_CELLS
    hidden: int = 256
    batch: int = 64
    seq: int = 128
    layers: int = 1
    embedding: int = 64
    repeats: int = 5
    steps: int = 3  # timed steps per repeat and side
    device: str = "auto"
    seed: int = 0
