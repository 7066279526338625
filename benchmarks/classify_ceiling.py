"""How much more the surnames give than the classify defaults reach: averaged weights and ensembles.

    WORKBENCH_CORPORA=/path/to/corpora .venv/bin/python benchmarks/classify_ceiling.py
        [--members 4] [--epochs 6] [--workers 2] [--split-seed 0] [--cell gru]

It trains the classify defaults `--members` times on one split of the names (the split of
`--split-seed`, which a run with that seed uses), each member from its own initial weights, for
`--epochs` epochs with the schedule spanning them. Members train `--workers` at a time, one thread
each: on two cores, two members of six epochs take about as long as one 180 s run. Beside each
member's weights it keeps their exponential moving average (decay 0.995) and scores both on the
validation and test splits after every epoch. At the end it scores every ensemble of two or more
members, which averages their class probabilities, and prints the mean accuracy for each size.

What it answers: whether a better use of the same training (averaged weights) or of more of it
(an ensemble costs its members' time) lifts the test accuracy past what one model reaches.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from workbench_plugins.tasks.classify import Classify

from workbench.config import RunConfig
from workbench.engine.state import TrainingState
from workbench.engine.training import learning_rate_factor, train_step
from workbench.registry import default_registry
from workbench.tasks import evaluating

EMA_DECAY = 0.995
SPLITS = ("validation", "test")
EVALUATION_BATCH = 512


@dataclass(frozen=True)
class Member:
    """One trained member: accuracy after each epoch, and its class probabilities at the end."""

    init_seed: int
    accuracy: list[dict[str, dict[str, float]]]  # per epoch: weights kind -> split -> accuracy
    probabilities: dict[str, dict[str, Tensor]]  # weights kind -> split -> (examples, classes)
    labels: dict[str, Tensor]  # split -> (examples,)


def train_member(cell: str, split_seed: int, init_seed: int, epochs: int) -> Member:
    """Train the classify defaults on `split_seed`'s split from `init_seed`'s weights, on one thread."""
    torch.set_num_threads(1)
    config = RunConfig.from_dict({"dataset": "names", "cell": cell, "task": "classify",
                                  "train": {"seed": split_seed}})
    resolved = config.resolve(default_registry())
    train = resolved.train
    task = resolved.task.cls(resolved.task_options)
    task.prepare(resolved.dataset.cls(resolved.dataset_options), split_seed)
    state = TrainingState.build(task, resolved.cell.cls(resolved.cell_options), {**train, "seed": init_seed},
                                torch.device("cpu"))
    model, optimizer = state.model, state.optimizer
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(EMA_DECAY))
    weights = {"final": model, "averaged": averaged.module}
    batches_per_epoch = -(-len(task.splits["train"]) // train["batch_size"])
    total = batches_per_epoch * epochs
    accuracy = []
    step = 0
    for _ in range(epochs):
        for batch in task.batches("train", train["batch_size"], state.data_rng):
            progress = step / max(1, total - 1)
            factor = learning_rate_factor(train["schedule"], train["warmup_steps"], step, progress)
            for group in optimizer.param_groups:
                group["lr"] = train["learning_rate"] * factor
            train_step(model, task, optimizer, batch, train["grad_clip"], state.parameters)
            averaged.update_parameters(model)
            step += 1
        accuracy.append({kind: {split: task.evaluate(net, split, EVALUATION_BATCH)["accuracy"]
                                for split in SPLITS} for kind, net in weights.items()})
    probabilities = {kind: {split: class_probabilities(task, net, split) for split in SPLITS}
                     for kind, net in weights.items()}
    return Member(init_seed, accuracy, probabilities, {split: task.splits[split].labels for split in SPLITS})


@torch.no_grad()
def class_probabilities(task: Classify, model: nn.Module, split: str) -> Tensor:
    """Every example's class probabilities, in the split's order."""
    encoded = task.splits[split]
    rows = torch.arange(len(encoded))
    with evaluating(model):
        parts = [torch.softmax(model(batch.inputs, batch.lengths), dim=-1)
                 for batch in (encoded.batch(rows[start:start + EVALUATION_BATCH])
                               for start in range(0, len(rows), EVALUATION_BATCH))]
    return torch.cat(parts)


def ensemble_accuracy(members: list[Member], kind: str, split: str) -> float:
    """Accuracy of the members' averaged class probabilities."""
    summed = sum(member.probabilities[kind][split] for member in members)
    return float((summed.argmax(dim=-1) == members[0].labels[split]).float().mean())


def percent(values: list[float]) -> str:
    mean = statistics.fmean(values)
    spread = f" ± {statistics.stdev(values) * 100:.1f}" if len(values) > 1 else ""
    return f"{mean * 100:.1f}%{spread}"


def report(members: list[Member]) -> None:
    kinds = list(members[0].probabilities)
    print("\nAfter each epoch, mean over members (validation / test):")
    print(f"{'epoch':>5} " + " ".join(f"{kind:>27}" for kind in kinds))
    for epoch in range(len(members[0].accuracy)):
        cells = [" / ".join(percent([m.accuracy[epoch][kind][split] for m in members]) for split in SPLITS)
                 for kind in kinds]
        print(f"{epoch + 1:>5} " + " ".join(f"{cell:>27}" for cell in cells))
    print("\nEnsembles at the end, mean over every choice of members (validation / test):")
    print(f"{'size':>5} " + " ".join(f"{kind:>27}" for kind in kinds))
    for size in range(1, len(members) + 1):
        chosen = list(itertools.combinations(members, size))
        cells = [" / ".join(percent([ensemble_accuracy(list(members_chosen), kind, split)
                                     for members_chosen in chosen]) for split in SPLITS)
                 for kind in kinds]
        print(f"{size:>5} " + " ".join(f"{cell:>27}" for cell in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=4, help="models trained, each from its own weights")
    parser.add_argument("--epochs", type=int, default=6, help="epochs each member trains")
    parser.add_argument("--workers", type=int, default=2, help="members trained at once, one thread each")
    parser.add_argument("--split-seed", type=int, default=0, help="the seed whose split every member uses")
    parser.add_argument("--cell", default="gru")
    args = parser.parse_args()
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(train_member, args.cell, args.split_seed, init_seed, args.epochs)
                   for init_seed in range(args.members)]
        members = [future.result() for future in futures]
    for member in members:
        final = member.accuracy[-1]
        print(f"member {member.init_seed}: test {final['final']['test']:.1%} "
              f"(averaged weights {final['averaged']['test']:.1%})")
    report(members)


if __name__ == "__main__":
    main()
