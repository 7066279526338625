"""Checkpoints as one safetensors file: tensors plus a JSON document in the header's metadata.

No pickle anywhere: tensors go through safetensors and everything else (config, vocabulary, step,
optimiser hyperparameters) through JSON. Files are written atomically (temporary file in the same
directory, fsync, rename), so a crash mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import Tensor, nn

from workbench.errors import CheckpointError
from workbench.runs.atomic import atomic_write

METADATA_KEY = "workbench"
MODEL_PREFIX = "model."
OPTIMIZER_PREFIX = "optimizer."


def save_checkpoint(path: Path, tensors: dict[str, Tensor], metadata: dict[str, Any]) -> None:
    """Write tensors (copied to the CPU, unshared) and JSON metadata atomically."""
    cpu = {name: tensor.detach().to("cpu", copy=True).contiguous() for name, tensor in tensors.items()}
    atomic_write(path, save_tensors(cpu, metadata={METADATA_KEY: json.dumps(metadata)}))


def load_checkpoint(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Tensors (on the CPU) and metadata of a checkpoint, or a CheckpointError naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
        tensors = load_tensors(data)
    except FileNotFoundError:
        raise CheckpointError(
            f"No checkpoint at {path}: the run has not saved one yet (it saves at each evaluation "
            "and when it ends)."
        ) from None
    except (OSError, SafetensorError, ValueError) as error:
        raise CheckpointError(f"{path} is not a readable checkpoint ({error}); it may be damaged.") from None
    return tensors, read_metadata(path)


def read_metadata(path: Path) -> dict[str, Any]:
    """Only the JSON metadata, without reading the tensors."""
    try:
        with safe_open(str(path), framework="pt") as file:
            header = file.metadata() or {}
        return json.loads(header[METADATA_KEY])
    except FileNotFoundError:
        raise CheckpointError(f"No checkpoint at {path}.") from None
    except (OSError, SafetensorError, KeyError, ValueError) as error:
        raise CheckpointError(
            f"{path} is not a workbench checkpoint ({type(error).__name__}: {error})."
        ) from None


def model_tensors(model: nn.Module) -> dict[str, Tensor]:
    return {MODEL_PREFIX + name: tensor for name, tensor in model.state_dict().items()}


def load_model_tensors(model: nn.Module, tensors: dict[str, Tensor], source: Path) -> None:
    """Load the `model.` tensors; a shape or name mismatch is a CheckpointError."""
    state = {name[len(MODEL_PREFIX):]: t for name, t in tensors.items() if name.startswith(MODEL_PREFIX)}
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise CheckpointError(
            f"The weights in {source} do not fit the model built from its config ({first}); "
            "was a plugin changed since the run was saved?"
        ) from None


def optimizer_state(optimizer: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Split an optimiser's state into tensors and a JSON document (param groups and scalars)."""
    state = optimizer.state_dict()
    tensors: dict[str, Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entries in state["state"].items():
        for key, value in entries.items():
            if isinstance(value, Tensor):
                tensors[f"{OPTIMIZER_PREFIX}{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def restore_optimizer(
    optimizer: torch.optim.Optimizer, tensors: dict[str, Tensor], document: dict[str, Any]
) -> None:
    """Inverse of `optimizer_state`."""
    state: dict[int, dict[str, Any]] = {}
    for name, tensor in tensors.items():
        if name.startswith(OPTIMIZER_PREFIX):
            index, _, key = name[len(OPTIMIZER_PREFIX):].partition(".")
            state.setdefault(int(index), {})[key] = tensor
    for index, entries in document["scalars"].items():
        state.setdefault(int(index), {}).update(entries)
    groups = [
        {key: tuple(value) if key == "betas" else value for key, value in group.items()}
        for group in document["param_groups"]
    ]
    optimizer.load_state_dict({"state": state, "param_groups": groups})
