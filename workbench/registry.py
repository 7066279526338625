"""The plugin registry: loads every entry point, collects what each registers, isolates failures.

Built-in plugins arrive through the same entry-point group as third-party packages, so the path a
plugin author's package takes is the one the built-ins take every day.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

from workbench import hookspecs
from workbench.errors import ConfigError
from workbench.params import declaration_problems
from workbench.plugin import Plugin

KINDS = ("dataset", "cell", "task")
_HOOKS = {"dataset": "register_datasets", "cell": "register_cells", "task": "register_tasks"}
SELECT_ENV = "WORKBENCH_PLUGINS"


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin class and where it came from."""

    kind: str
    name: str
    cls: type[Plugin]
    source: str
    version: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "source": self.source,
            "version": self.version,
            "description": self.cls.description,
            "params": [param.to_json() for param in self.cls.params],
        }


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that could not be loaded or registered, and why."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class Registry:
    """Every dataset, cell and task that loaded, by kind and name, plus the problems met."""

    plugins: dict[str, dict[str, PluginInfo]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    problems: list[PluginProblem] = field(default_factory=list)

    def get(self, kind: str, name: str) -> PluginInfo:
        """The plugin of that kind and name, or a ConfigError listing the valid choices."""
        found = self.plugins[kind].get(name)
        if found is None:
            choices = ", ".join(sorted(self.plugins[kind])) or "(none installed)"
            message = f"There is no {kind} named {name!r}: choose one of {choices}."
            raise ConfigError(message + self.hint(name))
        return found

    def hint(self, name: str) -> str:
        """A sentence on load problems that may explain why `name` is missing ("" when none)."""
        related = [str(problem) for problem in self.problems if name in problem.source]
        return " It may be one that failed to load: " + "; ".join(related) + "." if related else ""

    def names(self, kind: str) -> list[str]:
        return sorted(self.plugins[kind])

    def all(self) -> list[PluginInfo]:
        return [info for kind in KINDS for _, info in sorted(self.plugins[kind].items())]

    def add(self, kind: str, cls: Any, source: str, version: str) -> None:
        """Record one registration, or a problem if it is malformed or its name is taken."""
        reason = _registration_problem(kind, cls)
        if reason:
            self.problems.append(PluginProblem(source, reason))
            return
        taken = self.plugins[kind].get(cls.name)
        if taken is not None and taken.cls is cls:
            return  # the same class registered again (e.g. installed and added by a test): no clash
        if taken is not None:
            self.problems.append(
                PluginProblem(
                    source,
                    f"{kind} {cls.name!r} is already registered by {taken.source}; "
                    "rename it (the first one registered is kept)",
                )
            )
            return
        self.plugins[kind][cls.name] = PluginInfo(kind, cls.name, cls, source, version)


def _registration_problem(kind: str, cls: Any) -> str:
    base = _base_class(kind)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        return f"registered {cls!r} as a {kind}, but it is not a subclass of {base.__qualname__}"
    if not cls.name or not isinstance(cls.name, str):
        return f"{kind} class {cls.__qualname__} has no name"
    if not isinstance(cls.params, (tuple, list)):
        return f"{kind} {cls.name!r} declares params as a {type(cls.params).__name__}: use a tuple of Param"
    problems = declaration_problems(cls.params)
    if problems:
        return f"{kind} {cls.name!r} declares bad parameters: " + "; ".join(problems)
    return ""


def _base_class(kind: str) -> type[Plugin]:
    # Imported here: these modules import torch, which the registry itself must not need.
    if kind == "dataset":
        from workbench.datasets import Dataset

        return Dataset
    if kind == "cell":
        from workbench.cells import Cell

        return Cell
    from workbench.tasks import Task

    return Task


def plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def _selected(names: Iterable[str]) -> bool:
    wanted = os.environ.get(SELECT_ENV)
    if wanted is None:
        return True
    chosen = {part.strip() for part in wanted.split(",") if part.strip()}
    return bool(chosen & set(names))


def load_registry(extra: Iterable[tuple[str, ModuleType | object]] = ()) -> Registry:
    """Load every plugin of the entry-point group (and any `extra` (source, plugin) pairs).

    A plugin that fails to import, raises in its hook or registers something malformed becomes a
    PluginProblem; the others load as usual.
    """
    registry = Registry()
    manager = plugin_manager()
    origins: dict[int, tuple[str, str]] = {}
    for entry in entry_points(group=hookspecs.ENTRY_POINT_GROUP):
        dist = entry.dist
        source = (dist.name if dist else None) or entry.value
        version = (dist.version if dist else None) or ""
        if not _selected([entry.name, source]):
            continue
        label = f"{source} ({entry.name})"
        try:
            module = importlib.import_module(entry.value.split(":")[0])
            manager.register(module, name=f"{source}:{entry.name}")
        except Exception as error:  # noqa: BLE001 - a broken plugin must not stop the others
            registry.problems.append(PluginProblem(label, f"failed to load: {_describe(error)}"))
            continue
        origins[id(module)] = (source, version)
    for source, plugin in extra:
        try:
            manager.register(plugin, name=source)
        except Exception as error:  # noqa: BLE001 - same isolation as for installed plugins
            registry.problems.append(PluginProblem(source, f"failed to load: {_describe(error)}"))
            continue
        origins[id(plugin)] = (source, "")
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        source = manager.get_name(error.plugin) or str(error.plugin)
        registry.problems.append(PluginProblem(source, str(error)))
    for kind, hook_name in _HOOKS.items():
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            source, version = origins.get(id(impl.plugin), (impl.plugin_name, ""))
            _call_hook(registry, kind, impl.function, source, version)
    return registry


def _call_hook(
    registry: Registry, kind: str, function: Callable[..., Any], source: str, version: str
) -> None:
    def register(cls: Any) -> None:
        registry.add(kind, cls, source, version)

    try:
        function(register=register)
    except Exception as error:  # noqa: BLE001 - reported as a problem, never raised
        registry.problems.append(
            PluginProblem(source, f"raised in {_HOOKS[kind]}: {_describe(error)}")
        )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


_default: Registry | None = None


def default_registry() -> Registry:
    """The registry of installed plugins, loaded once per process."""
    global _default
    if _default is None:
        _default = load_registry()
    return _default


def replace_default_registry(registry: Registry | None) -> Registry | None:
    """Make `registry` the one default_registry() returns (None: load again); returns the old one.

    Tests use it (through workbench.testing.registered) to add a plugin for one test only.
    """
    global _default
    previous, _default = _default, registry
    return previous
