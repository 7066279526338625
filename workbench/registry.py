"""The plugin registry: loads every entry point, collects what each registers, isolates failures.

Built-in plugins arrive through the same entry-point group as third-party packages, so the path a
plugin author's package takes is the one the built-ins take every day.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

from workbench import hookspecs
from workbench.errors import ConfigError, traceback_text
from workbench.params import declaration_problems
from workbench.plugin import Plugin

KINDS = ("dataset", "cell", "task", "logger", "feature")
_HOOKS = {"dataset": "register_datasets", "cell": "register_cells", "task": "register_tasks",
          "logger": "register_loggers", "feature": "register_features"}
SELECT_ENV = "WORKBENCH_PLUGINS"
BUILTIN_PACKAGE = "workbench"  # the distribution whose plugins win every name clash


@dataclass(frozen=True)
class Origin:
    """Where plugins come from: a package (distribution), its version and the entry point named."""

    package: str
    version: str = ""
    entry_point: str = ""

    @property
    def label(self) -> str:
        """`package (entry point)`, or the package alone when the two names agree."""
        if not self.entry_point or self.entry_point == self.package:
            return self.package
        return f"{self.package} ({self.entry_point})"

    @property
    def builtin(self) -> bool:
        return self.package == BUILTIN_PACKAGE


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
    """Something a package offered that did not load, and why.

    `kind` and `name` say how much was refused: one plugin (both set), the plugins one hook would
    have registered (`kind` only), or the whole package (neither). `traceback` is the full Python
    traceback when an exception was the cause, for `--debug`.
    """

    origin: Origin
    reason: str
    kind: str = ""
    name: str = ""
    traceback: str = ""

    @property
    def source(self) -> str:
        return self.origin.label

    @property
    def subject(self) -> str:
        """What did not load, as people name it."""
        if self.name:
            return f"{self.kind} {self.name!r} from {self.source}"
        if self.kind:
            return f"the {self.kind}s of {self.source}"
        return f"plugin {self.source}"

    def concerns(self, name: str) -> bool:
        """Whether a person asking for a plugin called `name` may be asking for what was refused.

        A refused package may have held a plugin of any name; its package and entry-point names
        are the only ones known.
        """
        if self.name:
            return name == self.name
        return name in (self.origin.package, self.origin.entry_point)

    def __str__(self) -> str:
        return f"{self.subject} not loaded: {self.reason}"


@dataclass
class Registry:
    """Every dataset, cell, task, logger and feature that loaded, by kind and name, plus the problems met."""

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

    def find(self, name: str, kind: str | None = None) -> PluginInfo:
        """The plugin called `name`, of any kind unless `kind` is given (`get` when it is), or a
        ConfigError saying why not: none is called that, or plugins of several kinds are."""
        if kind is not None:
            if kind not in KINDS:
                raise ConfigError(f"There is no plugin kind {kind!r}: choose one of {', '.join(KINDS)}.")
            return self.get(kind, name)
        matches = [self.plugins[k][name] for k in KINDS if name in self.plugins[k]]
        if not matches:
            installed = ", ".join(n for k in KINDS for n in self.names(k)) or "(none)"
            raise ConfigError(f"No plugin named {name!r} is installed: the installed ones are {installed}."
                              + self.hint(name))
        if len(matches) > 1:
            kinds = " and a ".join(info.kind for info in matches)
            raise ConfigError(f"{name!r} is both a {kinds}: give the kind too (--kind for "
                              "`workbench plugins check`).")
        return matches[0]

    def refused(self, name: str, kind: str | None = None) -> list[PluginProblem]:
        """The problems that kept a plugin called `name` (of `kind`, if given) from loading."""
        return [problem for problem in self.problems
                if problem.concerns(name) and (kind is None or problem.kind in ("", kind))]

    def hint(self, name: str) -> str:
        """A sentence on load problems that explain why `name` is missing ("" when none)."""
        related = [str(problem) for problem in self.refused(name)]
        return " It did not load: " + "; ".join(related) + "." if related else ""

    def names(self, kind: str) -> list[str]:
        return sorted(self.plugins[kind])

    def all(self) -> list[PluginInfo]:
        return [info for kind in KINDS for _, info in sorted(self.plugins[kind].items())]

    def add(self, kind: str, cls: Any, origin: Origin) -> None:
        """Record one registration, or a problem if it is malformed or its name is taken.

        The first registration of a name is kept: `load_registry` offers the built-ins first and
        then the other packages in alphabetical order, so the outcome of a clash never depends on
        the order in which packages happen to be found.
        """
        reason = _registration_problem(kind, cls)
        if reason:
            name = getattr(cls, "name", "")
            self.problems.append(PluginProblem(origin, reason, kind, name if isinstance(name, str) else ""))
            return
        taken = self.plugins[kind].get(cls.name)
        if taken is not None and taken.cls is cls:
            return  # the same class registered again (e.g. installed and added by a test): no clash
        if taken is not None:
            self.problems.append(PluginProblem(origin, _clash(kind, cls, taken), kind, cls.name))
            return
        self.plugins[kind][cls.name] = PluginInfo(kind, cls.name, cls, origin.package, origin.version)


def _clash(kind: str, cls: type[Plugin], taken: PluginInfo) -> str:
    where = f"the `name` of {cls.__module__}.{cls.__qualname__}"
    if taken.source == BUILTIN_PACKAGE:
        return f"the built-in {kind} of that name is kept, as built-ins always are: rename yours ({where})"
    return (
        f"{taken.source} registers a {kind} named {cls.name!r} too and is kept (of two packages, the "
        f"first in alphabetical order wins): rename one of them (here, {where})"
    )


def _registration_problem(kind: str, cls: Any) -> str:
    base = _base_class(kind)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        return f"registered {cls!r} as a {kind}, but it is not a subclass of {base.__qualname__}"
    if not cls.name or not isinstance(cls.name, str):
        return f"{kind} class {cls.__qualname__} has no name"
    if not isinstance(cls.params, (tuple, list)):
        return f"declares params as a {type(cls.params).__name__}: use a tuple of Param"
    problems = declaration_problems(cls.params)
    if problems:
        return "declares bad parameters: " + "; ".join(problems)
    return ""


def _base_class(kind: str) -> type[Plugin]:
    # Imported here: these modules import torch, which the registry itself must not need.
    if kind == "dataset":
        from workbench.datasets import Dataset

        return Dataset
    if kind == "cell":
        from workbench.cells import Cell

        return Cell
    if kind == "logger":
        from workbench.loggers import Logger

        return Logger
    if kind == "feature":
        from workbench.inspection.features import Feature

        return Feature
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
    PluginProblem; the others load as usual. Registrations are collected first and then recorded
    built-ins first, other packages in alphabetical order, so a name clash is decided the same way
    whatever order the packages were found or selected in.
    """
    registry = Registry()
    manager = plugin_manager()
    origins: dict[int, Origin] = {}
    for entry in entry_points(group=hookspecs.ENTRY_POINT_GROUP):
        dist = entry.dist
        origin = Origin((dist.name if dist else None) or entry.value, (dist.version if dist else None) or "",
                        entry.name)
        if not _selected([entry.name, origin.package]):
            continue
        try:
            module = importlib.import_module(entry.value.split(":")[0])
            manager.register(module, name=f"{origin.package}:{entry.name}")
        except Exception as error:  # noqa: BLE001 - a broken plugin must not stop the others
            registry.problems.append(_failure(origin, "failed to load", error))
            continue
        origins[id(module)] = origin
    for source, plugin in extra:
        origin = Origin(source)
        try:
            manager.register(plugin, name=source)
        except Exception as error:  # noqa: BLE001 - same isolation as for installed plugins
            registry.problems.append(_failure(origin, "failed to load", error))
            continue
        origins[id(plugin)] = origin
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        origin = origins.get(id(error.plugin), Origin(manager.get_name(error.plugin) or str(error.plugin)))
        registry.problems.append(PluginProblem(origin, str(error)))
    offers: list[_Offer] = []
    for kind, hook_name in _HOOKS.items():
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            origin = origins.get(id(impl.plugin), Origin(impl.plugin_name))
            offers += _call_hook(registry, kind, impl.function, origin)
    for offer in sorted(offers, key=_Offer.rank):
        registry.add(offer.kind, offer.cls, offer.origin)
    return registry


@dataclass(frozen=True)
class _Offer:
    """A class a hook registered, waiting for its turn to be recorded."""

    kind: str
    cls: Any
    origin: Origin
    order: int  # within its package, the order it was registered in

    def rank(self) -> tuple[bool, str, str, str, int]:
        package = self.origin.package
        return not self.origin.builtin, package.casefold(), package, self.origin.entry_point, self.order


def _call_hook(
    registry: Registry, kind: str, function: Callable[..., Any], origin: Origin
) -> list[_Offer]:
    offers: list[_Offer] = []

    def register(cls: Any) -> None:
        offers.append(_Offer(kind, cls, origin, len(offers)))

    try:
        function(register=register)
    except Exception as error:  # noqa: BLE001 - reported as a problem, never raised
        problem = _failure(origin, f"raised in {_HOOKS[kind]}", error)
        if offers:
            loaded = f"; the {len(offers)} it registered before that are kept"
            problem = replace(problem, reason=problem.reason + loaded)
        registry.problems.append(replace(problem, kind=kind))
    return offers


def _failure(origin: Origin, what: str, error: BaseException) -> PluginProblem:
    """A problem caused by an exception: its type and message, and the traceback for --debug."""
    return PluginProblem(origin, f"{what}: {type(error).__name__}: {error}", traceback=traceback_text(error))


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
