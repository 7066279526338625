"""The hooks a workbench plugin may implement: each one hands the plugin a `register` callable."""

from __future__ import annotations

from collections.abc import Callable

import pluggy

PROJECT = "workbench"
ENTRY_POINT_GROUP = "workbench"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_datasets(register: Callable[[type], None]) -> None:
    """Call `register(DatasetClass)` for each workbench.datasets.Dataset the plugin provides."""


@hookspec
def register_cells(register: Callable[[type], None]) -> None:
    """Call `register(CellClass)` for each workbench.cells.Cell the plugin provides."""


@hookspec
def register_tasks(register: Callable[[type], None]) -> None:
    """Call `register(TaskClass)` for each workbench.tasks.Task the plugin provides."""


@hookspec
def register_loggers(register: Callable[[type], None]) -> None:
    """Call `register(LoggerClass)` for each workbench.loggers.Logger the plugin provides."""


@hookspec
def register_features(register: Callable[[type], None]) -> None:
    """Call `register(FeatureClass)` for each workbench.inspection.features.Feature the plugin provides."""
