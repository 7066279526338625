"""What a run is made of: the chosen plugins, their raw options and the training parameters.

A `RunConfig` is one run: names and raw values exactly as a person gave them (TOML file, `--set`,
CLI flags or the app's forms). A `Compare` is several cells on the same settings, one RunConfig
per cell: what a config file, the `run` command and the set-up screen describe. `resolve` checks
every value against the declarations and fills in defaults, before any data is loaded, so a typo
costs a second and not an epoch.

TOML layout (a key cannot be both a string and a table, so a table names its plugin with `name`):

    dataset = "names"            # or [dataset] with name = "names" and options
    cells = ["gru", "lstm"]      # or cell = "gru"
    task = "classify"
    [train]
    steps = 200
    loggers = ["tensorboard"]    # besides metrics.jsonl, which is always written
    [cell]                       # options for every cell
    hidden_size = 64
    [gru]                        # options for one chosen plugin, by its name
    layers = 1
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from workbench.errors import ConfigError
from workbench.params import Param, resolve
from workbench.registry import PluginInfo, Registry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

TRAIN_PARAMS: tuple[Param, ...] = (
    Param("seed", int, 0, "seed for weights, data order, dropout and samples", min=0),
    Param("device", str, "auto", "where to train: auto picks cuda when available",
          choices=("auto", "cpu", "cuda")),
    Param("threads", int, 0, "CPU threads for torch's operators; 0 = one per core other work leaves free",
          min=0, max=1024),
    Param("optimizer", str, "adamw", "optimisation algorithm", choices=("adamw", "sgd")),
    Param("learning_rate", float, 0.002, "peak learning rate", min=0.0),
    Param("weight_decay", float, 0.01, "decoupled weight decay (adamw) or L2 penalty (sgd)", min=0.0),
    Param("momentum", float, 0.9, "momentum of sgd (ignored by adamw)", min=0.0, max=1.0),
    Param("schedule", str, "constant", "learning-rate curve after warm-up",
          choices=("constant", "cosine", "linear")),
    Param("warmup_steps", int, 0, "steps of linear warm-up from zero", min=0),
    Param("grad_clip", float, 1.0, "clip the gradient norm to this value; 0 = off", min=0.0),
    Param("batch_size", int, 32, "examples (or windows) per step", min=1),
    Param("epochs", int, 0, "passes over the training split; 0 = no limit", min=0),
    Param("steps", int, 0, "optimiser steps; 0 = no limit", min=0),
    Param("time_budget", float, 0.0, "seconds the whole run may take, final evaluations included "
          "(pauses excluded); 0 = no limit", min=0.0),
    Param("eval_every", int, 0, "validate every N steps; 0 = at each epoch end", min=0),
    Param("sample_every", int, 0, "showcase every N steps; 0 = at each evaluation", min=0),
    Param("patience", int, 0, "evaluations without improvement before stopping early; 0 = off", min=0),
)
TRAIN_OWNER = "train"
# The parameters that end a run. Any of them given explicitly replaces the task's default bounds, so
# `--steps 30` runs 30 steps and is not cut short by the epochs a task would otherwise train for.
BOUNDS = ("epochs", "steps", "time_budget")
LOGGERS_KEY = "loggers"  # in [train]: the loggers a run writes to besides the always-on jsonl
ALWAYS_ON_LOGGER = "jsonl"
RUN_KINDS = ("dataset", "cell", "task")  # the plugin kinds a run names one of (cells: one per run)
_PATH_KEYS = ("runs_dir", "corpora")
_TOP_KEYS = ("dataset", "cell", "cells", "task", *_PATH_KEYS)


@dataclass
class RunConfig:
    """One run: the plugins it uses and every raw option, before validation.

    `plugin_options` holds options addressed to one chosen plugin by name (e.g. `gru.layers`),
    which win over the kind-wide tables; `loggers` names the chosen loggers (`[train] loggers`).
    Several cells on the same data, seed and budget are a `Compare`.
    """

    dataset: str
    cell: str
    task: str
    dataset_options: dict[str, Any] = field(default_factory=dict)
    cell_options: dict[str, Any] = field(default_factory=dict)
    task_options: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    plugin_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    loggers: list[str] = field(default_factory=list)
    runs_dir: Path | None = None
    corpora: Path | None = None

    # Reading and writing
    @classmethod
    def from_toml(cls, path: Path | str) -> RunConfig:
        """Read the config of one run (a run directory's config.toml); a syntax or layout problem,
        or a file that compares several cells, is a ConfigError naming the file (and line)."""
        return Compare.from_toml(path).single(str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> RunConfig:
        """Build from the TOML layout (also the JSON a checkpoint stores) of one run."""
        return Compare.from_dict(data, source).single(source)

    def to_dict(self) -> dict[str, Any]:
        """The TOML layout as a dict (JSON-ready): names at the top, options in tables named after
        their plugin. Paths are left out: they belong to a machine, not to the experiment."""
        return Compare(self).to_dict()

    def to_toml(self) -> str:
        """The config as TOML text that `from_toml` reads back to an equal config."""
        return tomli_w.dumps(self.to_dict())

    # Changing
    def apply_overrides(self, overrides: Iterable[str]) -> RunConfig:
        """A copy with `section.key=value` strings applied (section: train, a kind or a plugin name)."""
        return self._overridden(overrides, ())

    def _overridden(self, overrides: Iterable[str], compared: Iterable[str]) -> RunConfig:
        """A copy with the overrides applied; a section may also name one of the `compared` cells."""
        result = replace(
            self,
            dataset_options=dict(self.dataset_options),
            cell_options=dict(self.cell_options),
            task_options=dict(self.task_options),
            train=dict(self.train),
            plugin_options={name: dict(table) for name, table in self.plugin_options.items()},
            loggers=list(self.loggers),
        )
        for override in overrides:
            section, key, value = _split_override(override)
            if (section, key) == (TRAIN_OWNER, LOGGERS_KEY):
                result.loggers = logger_names(value, f"--set {override!r}")
            else:
                result._table(section, override, compared)[key] = value
        return result

    def _table(self, section: str, override: str, compared: Iterable[str]) -> dict[str, Any]:
        by_kind = {"train": self.train, "dataset": self.dataset_options, "cell": self.cell_options,
                   "task": self.task_options}
        if section in by_kind:
            return by_kind[section]
        chosen = {*self.chosen(), *compared}
        if section in chosen:
            return self.plugin_options.setdefault(section, {})
        valid = ", ".join([*by_kind, *sorted(chosen)])
        raise ConfigError(
            f"--set {override!r}: unknown section {section!r}; use one of {valid} "
            "(a plugin's name only when that plugin is chosen)."
        )

    def chosen(self) -> set[str]:
        """The names of the plugins this run uses, each of which may have a table of its own."""
        return {self.dataset, self.task, self.cell, *self.loggers}

    def names(self) -> dict[str, str]:
        """The chosen plugins, as summaries and run listings record them."""
        return {"dataset": self.dataset, "cell": self.cell, "task": self.task}

    # Validation
    def resolve(self, registry: Registry) -> ResolvedConfig:
        """Validate every option of the run, with task defaults under the person's values."""
        dataset = registry.get("dataset", self.dataset)
        cell = registry.get("cell", self.cell)
        task = registry.get("task", self.task)
        task_options = task.cls.resolve_options(self.options_for("task", task.name))
        declared_cell = {param.name for param in cell.cls.params}
        cell_defaults = {k: v for k, v in task.cls.cell_defaults.items() if k in declared_cell}
        cell_options = cell.cls.resolve_options({**cell_defaults, **self.options_for("cell", cell.name)})
        dataset_options = dataset.cls.resolve_options(self.options_for("dataset", dataset.name))
        if task.cls.form not in dataset.cls.forms:
            serves = ", ".join(dataset.cls.forms) or "nothing"
            raise ConfigError(
                f"task {task.name!r} needs {task.cls.form} data but dataset {dataset.name!r} serves "
                f"{serves}; choose another dataset or task."
            )
        train = resolve_train(self.train, task.cls.train_defaults)
        loggers = tuple(registry.get("logger", name) for name in self.loggers)
        logger_options = {}
        for logger in loggers:
            logger.cls.check_available()
            logger_options[logger.name] = logger.cls.resolve_options(self.options_for("logger", logger.name))
        return ResolvedConfig(self, dataset, cell, task, dataset_options, cell_options, task_options, train,
                              loggers, logger_options)

    def options_for(self, kind: str, name: str) -> dict[str, Any]:
        """The options a person gave one chosen plugin: its kind-wide table, then its own by name."""
        kind_wide = {"dataset": self.dataset_options, "cell": self.cell_options,
                     "task": self.task_options}.get(kind, {})  # loggers have only their own tables
        return {**kind_wide, **self.plugin_options.get(name, {})}


@dataclass(frozen=True)
class Compare:
    """Cells trained on the same data, seed and budget, one run each: what a config file, the
    `run` command's flags and the set-up screen describe. A single run is a compare of one cell.

    `base` holds every setting the runs share, and its `cell` is always the first of `cells`;
    `configs()` gives the run of each cell. A table named after one of the cells holds options for
    that cell's run only.
    """

    base: RunConfig
    cells: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        cells = tuple(self.cells) or (self.base.cell,)
        object.__setattr__(self, "cells", cells)
        if self.base.cell != cells[0]:
            object.__setattr__(self, "base", replace(self.base, cell=cells[0]))

    def configs(self) -> list[RunConfig]:
        """One config per cell, in order, each naming its cell."""
        return [replace(self.base, cell=name) for name in self.cells]

    def single(self, source: str) -> RunConfig:
        """The one run this is, or a ConfigError when it compares several cells."""
        if len(self.cells) > 1:
            raise ConfigError(
                f"{source} compares the cells {', '.join(self.cells)}, but one run has one cell: "
                "give a config with `cell = \"<name>\"`."
            )
        return self.base

    # Reading and writing
    @classmethod
    def from_toml(cls, path: Path | str) -> Compare:
        """Read a config file; a syntax or layout problem is a ConfigError naming the file (and line)."""
        return cls.from_dict(read_toml(path), source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> Compare:
        """Build from the TOML layout (also the JSON a checkpoint or a study stores)."""
        tables = {key: value for key, value in data.items() if isinstance(value, dict)}
        scalars = {key: value for key, value in data.items() if not isinstance(value, dict)}
        unknown = sorted(set(scalars) - set(_TOP_KEYS))
        if unknown:
            raise ConfigError(
                f"{source}: unknown top-level key {unknown[0]!r}; the keys are {', '.join(_TOP_KEYS)} "
                "and tables [train], [dataset], [cell], [task] or one named after a chosen plugin."
            )
        names: dict[str, str] = {}
        options: dict[str, dict[str, Any]] = {}
        for kind in RUN_KINDS:
            table = dict(tables.pop(kind, {}))
            name = table.pop("name", None) or scalars.get(kind)
            if kind == "cell" and not name and scalars.get("cells"):
                name = scalars["cells"][0]
            if not isinstance(name, str) or not name:
                raise ConfigError(
                    f"{source}: no {kind} chosen; add `{kind} = \"<name>\"` at the top "
                    f"(or `name = \"<name>\"` in the [{kind}] table)."
                )
            names[kind] = name
            options[kind] = table
        cells = scalars.get("cells") or [names["cell"]]
        if not isinstance(cells, list) or not all(isinstance(c, str) and c for c in cells):
            raise ConfigError(f"{source}: `cells` must be a list of cell names, like [\"gru\", \"lstm\"].")
        train = dict(tables.pop(TRAIN_OWNER, {}))
        loggers = logger_names(train.pop(LOGGERS_KEY, []), f"{source}: [{TRAIN_OWNER}] {LOGGERS_KEY}")
        # A table named after the chosen dataset, task or single cell is that plugin's options.
        single = [names["cell"]] if len(cells) == 1 else []
        for kind, name in (("dataset", names["dataset"]), ("task", names["task"]),
                           *(("cell", cell) for cell in single)):
            options[kind].update(tables.pop(name, {}))
        base = RunConfig(
            dataset=names["dataset"],
            cell=names["cell"],
            task=names["task"],
            dataset_options=options["dataset"],
            cell_options=options["cell"],
            task_options=options["task"],
            train=train,
            plugin_options={name: dict(table) for name, table in tables.items()},
            loggers=loggers,
            runs_dir=_optional_path(scalars.get("runs_dir")),
            corpora=_optional_path(scalars.get("corpora")),
        )
        return cls(base, tuple(cells))

    def to_dict(self) -> dict[str, Any]:
        """The TOML layout as a dict (JSON-ready): names at the top, options in tables named after
        their plugin. Paths are left out: they belong to a machine, not to the experiment."""
        base = self.base
        data: dict[str, Any] = {"dataset": base.dataset, "task": base.task}
        compare = len(self.cells) > 1
        if compare:
            data["cells"] = list(self.cells)
        else:
            data["cell"] = base.cell
        data[TRAIN_OWNER] = dict(base.train)
        if base.loggers:
            data[TRAIN_OWNER][LOGGERS_KEY] = list(base.loggers)
        if compare and base.cell_options:
            data["cell"] = dict(base.cell_options)  # options every compared cell shares
        tables = [("dataset", base.dataset), *(("cell", name) for name in self.cells), ("task", base.task),
                  *(("logger", name) for name in base.loggers)]
        for kind, name in tables:
            own_only = (compare and kind == "cell") or kind == "logger"
            table = base.plugin_options.get(name, {}) if own_only else base.options_for(kind, name)
            if table:
                data[name] = dict(table)
        return data

    def to_toml(self) -> str:
        """The config as TOML text that `from_toml` reads back to an equal compare."""
        return tomli_w.dumps(self.to_dict())

    # Changing
    def apply_overrides(self, overrides: Iterable[str]) -> Compare:
        """A copy with `section.key=value` strings applied; a section may name any of the cells."""
        return Compare(self.base._overridden(overrides, self.cells), self.cells)

    def chosen(self) -> set[str]:
        """The names of the plugins the runs use, each of which may have a table of its own."""
        return {*self.base.chosen(), *self.cells}

    # Validation
    def resolve(self, registry: Registry) -> list[ResolvedConfig]:
        """Validate the run of every cell, and that every plugin table names a chosen plugin: the
        whole config is checked before anything acts on any part of it."""
        chosen = self.chosen()
        stray = sorted(set(self.base.plugin_options) - chosen)
        if stray:
            raise ConfigError(
                f"The config has a table [{stray[0]}], but no chosen plugin is named {stray[0]!r} "
                f"(the chosen ones are {', '.join(sorted(chosen))}); fix the name or remove the table."
            )
        return [single.resolve(registry) for single in self.configs()]


@dataclass(frozen=True)
class ResolvedConfig:
    """A validated single-cell config: the plugin classes and complete, checked options."""

    source: RunConfig
    dataset: PluginInfo
    cell: PluginInfo
    task: PluginInfo
    dataset_options: dict[str, Any]
    cell_options: dict[str, Any]
    task_options: dict[str, Any]
    train: dict[str, Any]
    loggers: tuple[PluginInfo, ...] = ()  # the chosen ones; the always-on jsonl logger is not listed
    logger_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_config(self) -> RunConfig:
        """The same run with every value spelled out: what a run directory records."""
        return replace(
            self.source,
            dataset_options=dict(self.dataset_options),
            cell_options=dict(self.cell_options),
            task_options=dict(self.task_options),
            train=dict(self.train),
            plugin_options={name: dict(options) for name, options in self.logger_options.items() if options},
        )


def read_toml(path: Path | str) -> dict[str, Any]:
    """A TOML file's tables; a syntax or read problem is a ConfigError naming the file (and line)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        return tomllib.loads(raw.decode("utf-8"))
    except OSError as error:
        raise ConfigError(f"Cannot read config file {path}: {error.strerror}. Check the path.") from None
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"{path} is not a UTF-8 text file: byte 0x{raw[error.start]:02x} at offset {error.start} "
            f"(line {line}) cannot be decoded. A config file is TOML text; check that you gave the "
            "right file, or save it as UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}. Fix that line and try again.") from None


def train_defaults(task_defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The training values a run gets when a person sets none: the declared defaults, with a task's
    own `train_defaults` on top. Runs, `run --help` and the app's forms all read them from here."""
    return {param.name: param.default for param in TRAIN_PARAMS} | dict(task_defaults or {})


def resolve_train(values: dict[str, Any], task_defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Checked training parameters: a person's `values` over the task's defaults.

    A bound the person gives (epochs, steps or time_budget) replaces every bound the task would
    set, and bounds given together all apply. At least one bound must end the run.
    """
    defaults = dict(task_defaults or {})
    if any(name in values for name in BOUNDS):
        defaults = {name: value for name, value in defaults.items() if name not in BOUNDS}
    train = resolve(TRAIN_OWNER, TRAIN_PARAMS, {**defaults, **values})
    if not (train["epochs"] or train["steps"] or train["time_budget"]):
        raise ConfigError(
            "The run has no end: set train.epochs, train.steps or train.time_budget (seconds) "
            "to a positive value, e.g. --steps 500."
        )
    return train


def logger_names(value: Any, where: str) -> list[str]:
    """The loggers chosen by a TOML list or a comma-separated string, without the always-on one."""
    names = [part.strip() for part in value.split(",")] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ConfigError(
            f"{where} must be a list of logger names, like [\"tensorboard\", \"csv\"] "
            "(`workbench plugins` lists the installed loggers)."
        )
    chosen: list[str] = []
    for name in names:
        if name and name != ALWAYS_ON_LOGGER and name not in chosen:
            chosen.append(name)
    return chosen


def _split_override(override: str) -> tuple[str, str, str]:
    target, equals, value = override.partition("=")
    section, dot, key = target.strip().partition(".")
    if not equals or not dot or not section or not key:
        raise ConfigError(
            f"--set {override!r} is not of the form section.key=value (e.g. cell.hidden_size=128 "
            "or train.steps=100)."
        )
    return section, key.strip(), value.strip()


def _optional_path(value: Any) -> Path | None:
    return Path(value).expanduser() if value else None
