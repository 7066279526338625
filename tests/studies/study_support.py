"""Tiny studies for the tests: a names classifier of a few steps, declared in a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXPERIMENT = """\
dataset = "names"
cells = {cells}
task = "classify"

[train]
steps = {steps}
batch_size = 8
eval_every = 2
threads = 1

[cell]
hidden_size = 8
layers = 1

[classify]
embedding_size = 8
"""


def write_study(path: Path, study: str, cells: tuple[str, ...] = ("gru",), steps: int = 4) -> Path:
    """A study file: the tiny experiment, then `study` (the [study] table and its sub-tables)."""
    path.write_text(EXPERIMENT.format(cells=json.dumps(list(cells)), steps=steps) + "\n" + study,
                    encoding="utf-8")
    return path


def workbench_process(*args: str, corpora: Path, **options: object) -> subprocess.Popen:
    """`workbench ARGS` in a child process, as a person or another machine would start it."""
    environment = {**os.environ, "WORKBENCH_CORPORA": str(corpora)}
    return subprocess.Popen([sys.executable, "-m", "workbench", *args], env=environment, **options)


def summary_of(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
