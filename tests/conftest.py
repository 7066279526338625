"""Shared fixtures: the real corpora (through WORKBENCH_CORPORA) and tiny corpora built per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from tiny_corpora import write_tiny_corpora

# The suite's models are tiny: intra-op threads gain them nothing, and on a busy two-core machine
# their spinning costs seconds. Runs that ask for train.threads = 0 get this process default back.
torch.set_num_threads(1)


@pytest.fixture
def tiny_corpora(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny names + divina corpus in a temporary directory, made the WORKBENCH_CORPORA."""
    root = write_tiny_corpora(tmp_path / "corpora")
    monkeypatch.setenv("WORKBENCH_CORPORA", str(root))
    return root


@pytest.fixture(scope="session")
def real_corpora() -> Path:
    """The real corpora that CI provides through WORKBENCH_CORPORA."""
    root = os.environ.get("WORKBENCH_CORPORA")
    assert root, "set WORKBENCH_CORPORA to the corpora directory (CI uses ../shared/corpora)"
    path = Path(root)
    assert (path / "divina_commedia.txt").is_file(), f"no corpora found under {path}"
    return path
