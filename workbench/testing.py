"""Test helpers for plugin authors (and the workbench's own tests), in the spirit of pytest's pytester.

- `assert_cell_conforms(MyCell)` (and the dataset, task and logger twins) runs the same contract as
  `workbench plugins check` and fails the test with every broken promise listed.
- `registered(plugin)` makes a plugin visible by name to the whole workbench (the CLI, the engine,
  the app) for the length of a `with` block, without installing it.
- The `register_plugin` fixture does the same for one test.

The workbench installs this module as a pytest plugin (the `pytest11` entry point), so pytest
loads it at start-up in any environment where the workbench is installed: the fixture needs no
`pytest_plugins` line, and importing the helpers from a test module raises no assert-rewrite
warning. Since every pytest run there imports it, it imports torch only when a check runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from workbench.hookspecs import hookimpl
from workbench.plugin import Plugin
from workbench.registry import Registry, load_registry, replace_default_registry

if TYPE_CHECKING:
    from workbench.cells import Cell
    from workbench.conformance import CheckResult
    from workbench.datasets import Dataset
    from workbench.loggers import Logger
    from workbench.tasks import Task


def assert_conforms(plugin: type[Plugin]) -> None:
    """Fail with the list of failed checks unless the plugin class keeps its whole contract."""
    from workbench.conformance import check_plugin

    _assert_passed(plugin, check_plugin(plugin))


def assert_cell_conforms(cell: type[Cell]) -> None:
    from workbench.cells import Cell
    from workbench.conformance import check_cell

    _assert_kind(cell, Cell)
    _assert_passed(cell, check_cell(cell))


def assert_dataset_conforms(dataset: type[Dataset], corpus_root: Path | None = None) -> None:
    """The dataset's whole contract, its data loaded from `corpus_root`, else its check corpus,
    else the corpus it finds."""
    from workbench.conformance import check_dataset
    from workbench.datasets import Dataset

    _assert_kind(dataset, Dataset)
    _assert_passed(dataset, check_dataset(dataset, corpus_root))


def assert_task_conforms(task: type[Task]) -> None:
    from workbench.conformance import check_task
    from workbench.tasks import Task

    _assert_kind(task, Task)
    _assert_passed(task, check_task(task))


def assert_logger_conforms(logger: type[Logger]) -> None:
    from workbench.conformance import check_logger
    from workbench.loggers import Logger

    _assert_kind(logger, Logger)
    _assert_passed(logger, check_logger(logger))


def _assert_kind(plugin: type, base: type) -> None:
    if not (isinstance(plugin, type) and issubclass(plugin, base)):
        raise AssertionError(f"{plugin!r} is not a subclass of {base.__module__}.{base.__qualname__}")


def _assert_passed(plugin: type, results: list[CheckResult]) -> None:
    from workbench.conformance import failures

    failed = failures(results)
    if failed:
        lines = "\n".join(f"  - {result.name}: {result.reason}" for result in failed)
        raise AssertionError(f"{plugin.__qualname__} breaks {len(failed)} of {len(results)} checks:\n{lines}")


class _ClassesPlugin:
    """Hook implementations that register plugin classes handed over directly."""

    def __init__(self, classes: tuple[type[Plugin], ...]):
        self.classes = classes

    def _of(self, kind: str, register: Callable[[type], None]) -> None:
        for cls in self.classes:
            if cls.kind == kind:
                register(cls)

    @hookimpl
    def register_datasets(self, register: Callable[[type], None]) -> None:
        self._of("dataset", register)

    @hookimpl
    def register_cells(self, register: Callable[[type], None]) -> None:
        self._of("cell", register)

    @hookimpl
    def register_tasks(self, register: Callable[[type], None]) -> None:
        self._of("task", register)

    @hookimpl
    def register_loggers(self, register: Callable[[type], None]) -> None:
        self._of("logger", register)

    @hookimpl
    def register_features(self, register: Callable[[type], None]) -> None:
        self._of("feature", register)


@contextmanager
def registered(*plugins: object, source: str = "test-plugin", strict: bool = True) -> Iterator[Registry]:
    """The installed plugins plus `plugins` as the workbench's registry, until the block ends.

    Each of `plugins` is a plugin class (a Cell, Dataset, Task, Logger or Feature subclass) or a module or
    object with hook implementations. With `strict`, any problem loading them fails at once with the reason.
    """
    classes = tuple(p for p in plugins if isinstance(p, type) and issubclass(p, Plugin))
    objects = [p for p in plugins if not (isinstance(p, type) and issubclass(p, Plugin))]
    extra = [(f"{source}[{index}]", plugin) for index, plugin in enumerate(objects)]
    if classes:
        extra.append((source, _ClassesPlugin(classes)))
    registry = load_registry(extra=extra)
    mine = [str(problem) for problem in registry.problems if problem.source.startswith(source)]
    if strict and mine:
        raise AssertionError("the plugin did not register cleanly: " + "; ".join(mine))
    previous = replace_default_registry(registry)
    try:
        yield registry
    finally:
        replace_default_registry(previous)


@pytest.fixture
def register_plugin() -> Iterator[Callable[..., Registry]]:
    """Call it with plugin classes or modules; they stay registered until the test ends."""
    with ExitStack() as stack:

        def register(*plugins: object, source: str = "test-plugin", strict: bool = True) -> Registry:
            return stack.enter_context(registered(*plugins, source=source, strict=strict))

        yield register
