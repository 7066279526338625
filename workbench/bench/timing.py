"""Training throughput: the engine's own step against a plain PyTorch loop doing the same work.

For each cell, the engine side is `workbench.engine.training.train_step` on the `generate` task's model,
exactly what a run executes per step, plus the loss value it reads and the step event it logs.
The reference is written inline below the way a char-rnn tutorial would: embedding, the torch.nn
recurrent module of the same family, a linear head, cross-entropy and AdamW, its hidden state carried
from one batch to the next and detached, as the task's stateful training carries its own. The two alternate
within each repeat in one process, so a busy machine slows both alike; the ratio of their step
times is what matters.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from workbench.bench.settings import BenchSettings
from workbench.datasets import Dataset, Document, GenerationData
from workbench.engine.training import pick_device, train_step
from workbench.events import StepDone
from workbench.registry import Registry, default_registry
from workbench.runs.history import JsonlLogger
from workbench.tasks import Batch

_NATIVE = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
_ALPHABET = "abcdefghijklmnopqrstuvwxyz .,;:!?'ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class BenchResult:
    cell: str
    engine_tokens_per_second: float
    plain_tokens_per_second: float | None
    native: str | None  # the torch.nn family of the cell, also its plain reference

    @property
    def engine_time_over_plain(self) -> float | None:
        """How long the engine's step takes for each second the plain loop needs (1.03 = 3% slower)."""
        plain = self.plain_tokens_per_second
        return plain / self.engine_tokens_per_second if plain else None


class _RandomText(Dataset):
    """Generation data from a fixed alphabet: enough windows for one full batch, nothing to read."""

    name = "bench-text"
    description = "Random characters, for timing."
    forms = ("generation",)

    def __init__(self, characters: int, seed: int):
        super().__init__()
        rng = random.Random(seed)
        self.text = "".join(rng.choice(_ALPHABET) for _ in range(characters))

    def generation(self, seed: int) -> GenerationData:
        document = [Document(self.text)]
        return GenerationData(train=document, validation=document, test=document)


def run_bench(
    settings: BenchSettings,
    registry: Registry | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[BenchResult]:
    """Time every cell of `settings`; `progress` is told which cell is being timed."""
    registry = registry or default_registry()
    device = pick_device(settings.device)
    task_cls = registry.get("task", "generate").cls
    cells = [registry.get("cell", name).cls for name in settings.cells]  # unknown names fail first
    task = task_cls({"seq_len": settings.seq, "embedding_size": settings.embedding})
    task.prepare(_RandomText(settings.seq * settings.batch * 2, settings.seed), settings.seed)
    batch = _full_batch(task, settings)
    vocabulary_size = len(task.vocabulary)
    results = []
    for cell_cls in cells:
        if progress is not None:
            progress(cell_cls.name)
        torch.manual_seed(settings.seed)
        cell = cell_cls({"hidden_size": settings.hidden, "layers": settings.layers})
        model = task.build_model(cell).to(device)
        family = cell_cls.name.split("-")[0]
        plain = _PlainModel(family, vocabulary_size, settings).to(device) if family in _NATIVE else None
        results.append(_time_pair(cell_cls.name, task, model, plain, batch.to(device), settings, family))
    return results


def custom_time_over_native(results: list[BenchResult]) -> dict[str, float]:
    """For each `<family>-custom` cell timed beside its native twin: its step time over the twin's."""
    speed = {result.cell: result.engine_tokens_per_second for result in results}
    return {name: speed[name.split("-")[0]] / speed[name] for name in speed
            if name.endswith("-custom") and name.split("-")[0] in speed}


def _full_batch(task: Any, settings: BenchSettings) -> Batch:
    generator = torch.Generator().manual_seed(settings.seed)
    for batch in task.batches("train", settings.batch, generator):
        if batch.inputs.shape == (settings.batch, settings.seq):
            return batch
    raise AssertionError("the random text is long enough for a full batch")


class _PlainModel(nn.Module):
    """What a tutorial writes: embedding -> torch.nn recurrent module -> linear head."""

    def __init__(self, family: str, vocabulary: int, settings: BenchSettings):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, settings.embedding)
        recurrent = _NATIVE[family]
        self.recurrent = recurrent(settings.embedding, settings.hidden, settings.layers, batch_first=True)
        self.head = nn.Linear(settings.hidden, vocabulary)

    def forward(self, inputs: torch.Tensor, hidden: Any = None) -> tuple[torch.Tensor, Any]:
        outputs, hidden = self.recurrent(self.embedding(inputs), hidden)
        return self.head(outputs), hidden


def _time_pair(
    name: str, task: Any, model: nn.Module, plain: nn.Module | None, batch: Batch,
    settings: BenchSettings, family: str,
) -> BenchResult:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    plain_optimizer = torch.optim.AdamW(plain.parameters(), lr=1e-3) if plain is not None else None
    loss_fn = nn.CrossEntropyLoss()
    inputs, targets = batch.inputs, batch.targets

    def engine_step() -> None:
        loss = train_step(model, task, optimizer, batch, 0.0, parameters).item()
        log.log(StepDone(name, 1, 0, loss, 1e-3, 1.0, 1.0, None, 1))  # what a run logs per step

    carried: dict[str, Any] = {"hidden": None}

    def plain_step() -> None:
        logits, hidden = plain(inputs, carried["hidden"])
        carried["hidden"] = _detached(hidden)
        loss = loss_fn(logits.flatten(0, 1), targets.flatten())
        plain_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        plain_optimizer.step()

    log_dir = tempfile.TemporaryDirectory(prefix="workbench-bench-")
    log = JsonlLogger(Path(log_dir.name))
    sides = {"engine": engine_step}
    if plain is not None:
        sides["plain"] = plain_step
    for step in sides.values():  # warm-up: allocator, kernels, optimiser state
        step()
    timings: dict[str, list[float]] = {side: [] for side in sides}
    tokens = batch.inputs.numel() * settings.steps
    for repeat in range(settings.repeats):
        order = list(sides) if repeat % 2 == 0 else list(reversed(sides))
        for side in order:
            timings[side].append(tokens / _timed(sides[side], settings.steps, batch.inputs.device))
    log.close()
    log_dir.cleanup()
    plain_speed = statistics.median(timings["plain"]) if "plain" in timings else None
    return BenchResult(name, statistics.median(timings["engine"]), plain_speed,
                       family if family in _NATIVE else None)


def _detached(hidden: Any) -> Any:
    """The state the next batch starts from, cut from this batch's graph (an LSTM's is a pair)."""
    return tuple(part.detach() for part in hidden) if isinstance(hidden, tuple) else hidden.detach()


def _timed(step: Callable[[], None], steps: int, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start
