"""Checkpoint files: safetensors + JSON, atomic, no pickle, optimiser state round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from workbench.atomic import atomic_write
from workbench.checkpoint import (
    load_checkpoint,
    optimizer_state,
    read_metadata,
    restore_optimizer,
    save_checkpoint,
)
from workbench.errors import CheckpointError


def test_tensors_and_metadata_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    shared = torch.arange(6.0)
    save_checkpoint(path, {"a": shared, "b": shared.view(2, 3).t()}, {"step": 3, "vocabulary": ["x", "é"]})
    tensors, metadata = load_checkpoint(path)
    assert torch.equal(tensors["a"], shared) and torch.equal(tensors["b"], shared.view(2, 3).t())
    assert metadata == {"step": 3, "vocabulary": ["x", "é"]}
    assert read_metadata(path) == metadata
    header_size = int.from_bytes(path.read_bytes()[:8], "little")
    assert path.read_bytes()[8:9] == b"{" and header_size < path.stat().st_size  # safetensors, not pickle


def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    atomic_write(path, b"old")
    atomic_write(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


def test_atomic_writes_get_the_mode_a_plain_open_would_give(tmp_path: Path) -> None:
    atomic_write(tmp_path / "atomic.json", b"{}")
    (tmp_path / "plain.json").write_bytes(b"{}")
    assert (tmp_path / "atomic.json").stat().st_mode == (tmp_path / "plain.json").stat().st_mode


@pytest.mark.parametrize("make", [
    lambda params: torch.optim.AdamW(params, lr=0.01),
    lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
    lambda params: torch.optim.SGD(params, lr=0.1),
])
def test_optimizer_state_round_trips(tmp_path: Path, make) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    twin = torch.nn.Linear(3, 2)
    twin.load_state_dict(model.state_dict())
    optimizer, twin_optimizer = make(model.parameters()), make(twin.parameters())
    for _ in range(2):
        optimizer.zero_grad()
        model(torch.ones(4, 3)).square().sum().backward()
        optimizer.step()
    tensors, document = optimizer_state(optimizer)
    path = tmp_path / "o.safetensors"
    save_checkpoint(path, tensors, document)
    loaded, saved_document = load_checkpoint(path)
    twin.load_state_dict(model.state_dict())
    restore_optimizer(twin_optimizer, loaded, saved_document)
    for module, opt in ((model, optimizer), (twin, twin_optimizer)):
        opt.zero_grad()
        module(torch.ones(4, 3)).square().sum().backward()
        opt.step()
    assert torch.equal(model.weight, twin.weight) and torch.equal(model.bias, twin.bias)


def test_damaged_or_missing_checkpoints_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="No checkpoint at"):
        load_checkpoint(tmp_path / "absent.safetensors")
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(damaged)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"x": torch.zeros(1)}, str(foreign))
    with pytest.raises(CheckpointError, match="not a workbench checkpoint"):
        read_metadata(foreign)
