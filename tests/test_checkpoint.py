"""Checkpoint files: safetensors + JSON, atomic, no pickle, optimiser state round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from workbench.engine.checkpoint import (
    load_checkpoint,
    optimizer_state,
    read_metadata,
    restore_optimizer,
    save_checkpoint,
)
from workbench.engine.state import TrainingState
from workbench.engine.training import train_step
from workbench.errors import CheckpointError
from workbench.registry import Registry, load_registry
from workbench.runs.atomic import atomic_write


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


def fresh_state(registry: Registry, corpora: Path) -> TrainingState:
    """A names classifier's training state as a run builds it, from seed 3."""
    task = registry.get("task", "classify").cls({"embedding_size": 8})
    task.prepare(registry.get("dataset", "names").cls({}, corpus_root=corpora), seed=3)
    cell = registry.get("cell", "gru").cls({"hidden_size": 16, "layers": 1})
    train = {"seed": 3, "optimizer": "adamw", "learning_rate": 0.01, "weight_decay": 0.01, "momentum": 0.0}
    return TrainingState.build(task, cell, train, torch.device("cpu"))


def test_a_training_state_restored_from_its_checkpoint_is_the_same_state(
    tiny_corpora: Path, tmp_path: Path
) -> None:
    registry = load_registry()
    state = fresh_state(registry, tiny_corpora)
    state.progress.epoch_rng = state.data_rng.get_state()
    batches = state.task.batches("train", 8, state.data_rng)
    for _ in range(3):
        train_step(state.model, state.task, state.optimizer, next(batches), 1.0, state.parameters)
    torch.rand(4, generator=state.sample_rng)
    state.progress.step = state.progress.position = 3
    state.progress.best_validation = {"loss": 2.5, "accuracy": 0.25}
    path = tmp_path / "checkpoint.safetensors"
    state.save(path, {"task": state.task.metadata()})

    restored = fresh_state(registry, tiny_corpora)
    assert not torch.equal(next(iter(restored.model.parameters())), next(iter(state.model.parameters())))
    restored.restore(path)
    for (name, saved), (_, loaded) in zip(state.model.state_dict().items(),
                                          restored.model.state_dict().items(), strict=True):
        assert torch.equal(saved, loaded), name
    saved_optimizer, loaded_optimizer = state.optimizer.state_dict(), restored.optimizer.state_dict()
    assert saved_optimizer["param_groups"] == loaded_optimizer["param_groups"]
    for index, entries in saved_optimizer["state"].items():
        loaded = loaded_optimizer["state"][index]
        assert all(torch.equal(value, loaded[key]) for key, value in entries.items())
    assert torch.equal(restored.data_rng.get_state(), state.data_rng.get_state())
    assert torch.equal(restored.sample_rng.get_state(), state.sample_rng.get_state())
    assert restored.progress.to_json() == state.progress.to_json()
    assert torch.equal(restored.progress.epoch_rng, state.progress.epoch_rng)
    weights = list(restored.model.parameters())
    assert all(a is b for a, b in zip(restored.parameters, weights, strict=True)), "clipping reads these"
