"""A study's declaration: the experiment, what varies (grid and search space), how many trials,
the sampler and pruner. It is stored with the study, so every worker runs the same experiment
and a second declaration under the same name can be compared with the first.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from workbench.config import Compare, RunConfig, read_toml
from workbench.errors import ConfigError
from workbench.params import Param
from workbench.registry import Registry
from workbench.studies.space import (
    CELL_KEY,
    Dimension,
    bind_dimension,
    check_grid,
    parse_grid,
    parse_search,
)

STUDY_TABLE = "study"
SAMPLERS = ("tpe", "random")
PRUNERS = ("none", "median")
DEFAULT_PRUNER_STARTUP = 5
DEFAULT_SEARCH_TRIALS = 20
DEFAULT_HEARTBEAT = 30
_SETTINGS = ("name", "trials", "seeds", "sampler", "pruner", "pruner_startup", "heartbeat", "workers")
_STUDY_KEYS = (*_SETTINGS, "grid", "search")

# The study's single-valued settings, declared once for the [study] table, the flags and the app's form.
STUDY_OWNER = "study"
NAME = Param("name", str, "", "a study of this name goes on if declared alike; empty: the data, task and "
                              "start time")
SEEDS = Param("seeds", int, 1, "train every setting with seeds 0 to N-1; two or more end with statistics "
                               "over the seeds", min=1)
TRIALS = Param("trials", int, DEFAULT_SEARCH_TRIALS, "trials of a search space (without one, every setting "
                                                     "of the grid trains once)", min=1)
WORKERS = Param("workers", int, 1, "worker processes training at once, each with its share of the cores",
                min=1)
SAMPLER = Param("sampler", str, "tpe", "how a search picks values: tpe learns from earlier trials, random "
                                       "does not", choices=SAMPLERS)
PRUNER = Param("pruner", str, "none", "median stops a run doing worse than the median of earlier trials at "
                                      "the same step", choices=PRUNERS)
PRUNER_STARTUP = Param("pruner_startup", int, DEFAULT_PRUNER_STARTUP,
                       "finished trials before the pruner may stop any run", min=1)
HEARTBEAT = Param("heartbeat", int, DEFAULT_HEARTBEAT,
                  "seconds between a worker's heartbeats; one silent for three is presumed dead", min=1)


@dataclass(frozen=True)
class StudySpec:
    """Everything that defines a study's trials; `base` is the experiment's config (no paths)."""

    name: str
    base: dict[str, Any]
    grid: dict[str, list[Any]]
    space: tuple[Dimension, ...]
    trials: int
    sampler: str
    pruner: str
    pruner_startup: int  # finished trials before the pruner may stop any run
    heartbeat: int
    metric: str
    direction: str  # "maximize" or "minimize", from the task's metric

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "base": self.base, "grid": self.grid,
                "space": [dimension.to_json() for dimension in self.space], "trials": self.trials,
                "sampler": self.sampler, "pruner": self.pruner, "pruner_startup": self.pruner_startup,
                "heartbeat": self.heartbeat,
                "metric": self.metric, "direction": self.direction}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StudySpec:
        return cls(data["name"], data["base"], data["grid"],
                   tuple(Dimension.from_json(one) for one in data["space"]), data["trials"],
                   data["sampler"], data["pruner"], data["pruner_startup"], data["heartbeat"], data["metric"],
                   data["direction"])

    def differences(self, other: StudySpec) -> list[str]:
        """What differs from `other`, one phrase per setting, e.g. `base.train.steps is 5 here but
        4 in the stored study` (empty when the two are declared alike)."""
        ours, theirs = _flat(self.to_json()), _flat(other.to_json())
        return [f"{key} is {ours.get(key)!r} here but {theirs.get(key)!r} in the stored study"
                for key in sorted(set(ours) | set(theirs)) if ours.get(key) != theirs.get(key)]

    def planned_params(self) -> list[dict[str, Any]]:
        """The grid point of each planned trial: the grid in order, repeated to fill the trials."""
        keys = list(self.grid)
        points = [dict(zip(keys, values, strict=True)) for values in itertools.product(*self.grid.values())]
        return [points[index % len(points)] for index in range(self.trials)]

    def trial_config(self, params: dict[str, Any], runs_dir: Path | None,
                     corpora: Path | None) -> RunConfig:
        """The single-cell run config of a trial with `params` applied to the experiment. A value
        addressed to one cell by name (`gru.layers`) applies to that cell's trials only."""
        config = Compare.from_dict(self.base, source=f"study {self.name!r}").base
        cell = str(params.get(CELL_KEY, config.cell))
        config = replace(config, cell=cell, runs_dir=runs_dir, corpora=corpora)
        overrides = []
        for key, value in params.items():
            section, _, option = key.partition(".")
            if key == CELL_KEY:
                continue
            if section == "cell":  # into the cell's own table, which wins over kind-wide options
                overrides.append(f"{cell}.{option}={value}")
            elif section in ("train", "dataset", "task", config.dataset, config.task, cell):
                overrides.append(f"{key}={value}")
        return config.apply_overrides(overrides)


@dataclass
class StudyRequest:
    """A `[study]` table and flags before checking: what `build_spec` turns into a StudySpec."""

    name: str | None = None
    trials: int | None = None
    seeds: Any = None
    sampler: str = "tpe"
    pruner: str = "none"
    pruner_startup: int = DEFAULT_PRUNER_STARTUP
    heartbeat: int = DEFAULT_HEARTBEAT
    workers: int = 1
    grid: dict[str, list[Any]] = field(default_factory=dict)
    space: list[Dimension] = field(default_factory=list)

    @classmethod
    def from_table(cls, table: Any, source: str) -> StudyRequest:
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: `study` must be a table: [study] with name, trials, grid, ...")
        unknown = sorted(set(table) - set(_STUDY_KEYS))
        if unknown:
            raise ConfigError(f"{source}: [study] has no key {unknown[0]!r}; its keys are "
                              f"{', '.join(_STUDY_KEYS)}.")
        request = cls(grid=parse_grid(table.get("grid", {})), space=parse_search(table.get("search", {})))
        for key in _SETTINGS:
            if key in table:
                setattr(request, key, table[key])
        return request

    def to_table(self) -> dict[str, Any]:
        """The `[study]` table that `from_table` reads back to an equal request; settings left
        unset (None) are left out. Parameters keep their dotted names (`"train.batch_size" = [...]`),
        so they read back in the order they were declared, which is the order trials take them in."""
        table = {key: getattr(self, key) for key in _SETTINGS if getattr(self, key) is not None}
        if self.grid:
            table["grid"] = dict(self.grid)
        if self.space:
            table["search"] = {dimension.key: dimension.to_table() for dimension in self.space}
        return table


def default_study_name(config: RunConfig) -> str:
    """A new study's name when none is given: its data, its task and when it started."""
    return f"{config.dataset}-{config.task}-{time.strftime('%Y%m%d-%H%M%S')}"


def read_study_file(path: Path) -> tuple[Compare, StudyRequest]:
    """The experiment and the `[study]` table of a study file; a study with no name is named after
    its file."""
    experiment, request = read_config_file(path)
    request = request or StudyRequest()
    if request.name is None:
        request.name = path.stem
    return experiment, request


def read_config_file(path: Path) -> tuple[Compare, StudyRequest | None]:
    """A config file's experiment, and its `[study]` table when it has one."""
    data = read_toml(path)
    table = data.pop(STUDY_TABLE, None)
    request = StudyRequest.from_table(table, str(path)) if table is not None else None
    return Compare.from_dict(data, source=str(path)), request


def config_file_text(experiment: Compare, request: StudyRequest | None) -> str:
    """The config file of `experiment`, with `request` as its `[study]` table when there is one:
    what `read_config_file` reads back."""
    data = experiment.to_dict()
    if request is not None:
        data[STUDY_TABLE] = request.to_table()
    return tomli_w.dumps(data)


def build_spec(registry: Registry, experiment: Compare, request: StudyRequest) -> StudySpec:
    """Check a request against the plugins and fill in what it leaves out."""
    base = experiment.base
    name = request.name
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("[study] name must be a non-empty string, e.g. name = \"names-cells\".")
    grid = dict(request.grid)
    searched = {dimension.key for dimension in request.space}
    both = sorted(set(grid) & searched)
    if both:
        raise ConfigError(f"{both[0]} is both in [study.grid] and in [study.search]; keep it in one.")
    seeds = seed_list(request.seeds)
    if seeds:
        if "train.seed" in grid or "train.seed" in searched:
            raise ConfigError("[study] seeds and a train.seed in the grid or search space say the same "
                              "thing twice; keep one.")
        grid["train.seed"] = seeds
    if CELL_KEY not in grid and CELL_KEY not in searched and len(experiment.cells) > 1:
        grid = {CELL_KEY: list(experiment.cells), **grid}
    cells = _study_cells(experiment, grid, request.space)
    check_grid(registry, base, grid, cells)
    space = tuple(bind_dimension(registry, base, dimension, cells) for dimension in request.space)
    trials = request.trials
    grid_size = len(list(itertools.product(*grid.values())))
    if trials is None:
        trials = DEFAULT_SEARCH_TRIALS if space else grid_size
    trials = TRIALS.parse(trials, STUDY_OWNER)
    sampler, pruner = SAMPLER.parse(request.sampler, STUDY_OWNER), PRUNER.parse(request.pruner, STUDY_OWNER)
    heartbeat = HEARTBEAT.parse(request.heartbeat, STUDY_OWNER)
    pruner_startup = PRUNER_STARTUP.parse(request.pruner_startup, STUDY_OWNER)
    task = registry.get("task", base.task).cls
    direction = "maximize" if task.higher_is_better else "minimize"
    spec = StudySpec(name.strip(), _canonical(registry, base, cells), grid, space, trials, sampler, pruner,
                     pruner_startup, heartbeat, task.metric, direction)
    for cell in cells:  # every cell's first trial resolves, so nothing fails once trials run
        first = {**spec.planned_params()[0], CELL_KEY: cell}
        spec.trial_config({**first, **_low_corner(space)}, None, None).resolve(registry)
    return spec


def _canonical(registry: Registry, base: RunConfig, cells: list[str]) -> dict[str, Any]:
    """The experiment with every option resolved (typed, defaults spelled out), each cell's in its
    own table: the same experiment always has the same declaration, however it was written."""
    resolved = [replace(base, cell=cell).resolve(registry) for cell in cells]
    first = resolved[0]
    canonical = RunConfig(base.dataset, cells[0], base.task, dataset_options=dict(first.dataset_options),
                          task_options=dict(first.task_options), train=dict(first.train),
                          plugin_options={one.cell.name: dict(one.cell_options) for one in resolved})
    return Compare(canonical, tuple(cells)).to_dict()


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flat(value, name + "."))
        else:
            flat[name] = value
    return flat


def _study_cells(experiment: Compare, grid: dict[str, list[Any]], space: list[Dimension]) -> list[str]:
    if CELL_KEY in grid:
        return [str(cell) for cell in grid[CELL_KEY]]
    for dimension in space:
        if dimension.key == CELL_KEY and dimension.choices is not None:
            return [str(cell) for cell in dimension.choices]
    return list(experiment.cells)


def _low_corner(space: tuple[Dimension, ...]) -> dict[str, Any]:
    """One value per searched parameter (the first choice or the low bound), to resolve a config."""
    values: dict[str, Any] = {}
    for dimension in space:
        if dimension.key == CELL_KEY:
            continue
        if dimension.choices is not None:
            values[dimension.key] = dimension.choices[0]
        else:
            values[dimension.key] = int(dimension.low) if dimension.integer else dimension.low
    return values


def seed_list(seeds: Any) -> list[int]:
    """The seeds a `[study] seeds` value asks for: a count (5: seeds 0 to 4) or a list of seeds."""
    if seeds is None:
        return []
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        return list(range(SEEDS.parse(seeds, STUDY_OWNER)))
    if isinstance(seeds, list) and seeds and all(isinstance(s, int) and s >= 0 for s in seeds):
        return list(seeds)
    raise ConfigError(f"[study] seeds = {seeds!r}: give a count (seeds = 5 runs seeds 0 to 4) or a list of "
                      "seeds, e.g. seeds = [0, 1, 2].")

