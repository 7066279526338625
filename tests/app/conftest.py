"""Fixtures for the app tests: an app over tiny corpora with its own runs directory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from app_support import make_app

from workbench.app.last_setup import CONFIG_DIR_ENV
from workbench.app.main import WorkbenchApp


@pytest.fixture
def app(tiny_corpora: Path, tmp_path: Path) -> WorkbenchApp:
    return make_app(tmp_path / "runs")


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clock times in the log read the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every app test remembers its set-up in its own directory, never in the user's."""
    path = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(path))
    return path
