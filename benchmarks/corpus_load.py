"""How long a large text of your own takes to load, stage by stage (run by hand).

    .venv/bin/python benchmarks/corpus_load.py            # 50 MB, paragraphs
    .venv/bin/python benchmarks/corpus_load.py --mb 50 --one-line --normalise

It writes a text of the given size (seeded pseudo-words with accents, punctuation and paragraphs;
`--one-line` puts it all on one line, as a book without newlines), then times each stage a run
goes through before its first step: what the app's path field reads (`summarise_source`), the dataset's
splits (`generation`), the generate task's vocabulary and token streams (`prepare`), and one
epoch of stateful and stateless batches. It prints seconds per stage and the peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from workbench_plugins.datasets.plain_text import TextDataset
from workbench_plugins.tasks.generate import Generate

SYLLABLES = ("la", "ne", "di", "co", "ma", "ri", "to", "sé", "fu", "quà", "per", "ciò", "an", "gel", "vi")
PUNCTUATION = ("", "", "", "", ",", ";", ".", "!", "?", "’", " —")


def write_text(path: Path, megabytes: float, one_line: bool, seed: int = 0) -> int:
    """About `megabytes` MB of UTF-8 text, paragraphs drawn from a seeded pool; returns its characters."""
    rng = random.Random(seed)
    pool = [
        " ".join(
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) + rng.choice(PUNCTUATION)
            for _ in range(rng.randint(40, 160))
        ) + (" " if one_line else "\n\n")
        for _ in range(2000)
    ]
    target, written = int(megabytes * 1_000_000), 0
    with open(path, "w", encoding="utf-8") as handle:
        while written < target:
            paragraph = rng.choice(pool)
            handle.write(paragraph)
            written += len(paragraph.encode("utf-8"))
    return len(path.read_text(encoding="utf-8"))


def timed(label: str, action: Callable[[], object]) -> object:
    start = time.perf_counter()
    result = action()
    print(f"{label:<44} {time.perf_counter() - start:8.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0, help="size of the generated text in MB")
    parser.add_argument("--one-line", action="store_true", help="no newlines at all")
    parser.add_argument("--normalise", action="store_true", help="lowercase, strip punctuation, ASCII-fold")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "big.txt"
        characters = timed(f"write {args.mb:g} MB of text", lambda: write_text(path, args.mb, args.one_line))
        print(f"{characters:,} characters, {path.stat().st_size:,} bytes")
        options = {"path": str(path), "documents": "file" if args.one_line else "blank_lines"}
        if args.normalise:
            options.update(lowercase=True, strip_punctuation=True, ascii_fold=True)
        summary = timed("source summary (what the path field shows)",
                        lambda: TextDataset(options).summarise_source())
        print(summary.describe())
        timed("generation splits (first read)", lambda: TextDataset(options).generation(0))
        task = Generate()
        timed("generate.prepare (vocabulary, token streams)", lambda: task.prepare(TextDataset(options), 0))
        for stateful in (True, False):
            task.options["stateful"] = stateful
            generator = torch.Generator().manual_seed(0)
            count = timed(f"one epoch of {'stateful' if stateful else 'stateless'} batches",
                          lambda g=generator: sum(1 for _ in task.batches("train", args.batch_size, g)))
            print(f"{count:,} batches of {args.batch_size}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
