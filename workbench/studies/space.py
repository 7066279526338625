"""The parameters a study varies: a grid of listed values, and a search space of ranges and choices.

Both name parameters as `--set` does (`train.learning_rate`, `cell.hidden_size`, `gru.layers`),
plus `cell` for the cell itself. Every name, range and value is checked against the plugins'
declared parameters before a study is created, so a typo costs a second and not a night of trials.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import tomli_w

from workbench.config import TRAIN_OWNER, TRAIN_PARAMS, RunConfig, tomllib
from workbench.errors import ConfigError
from workbench.params import Param
from workbench.registry import Registry

CELL_KEY = "cell"
_RANGE_KEYS = ("low", "high", "log", "step")
_CHOICES_KEY = "choices"
_EXACT_INTEGERS = 2**53  # floats below this that are whole numbers are written as integers
Parsed = TypeVar("Parsed")


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: a range (`low` to `high`, optionally on a log scale or in steps) or
    a list of choices. `integer` follows the parameter's declared type."""

    key: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] | None = None
    integer: bool = False

    def suggest(self, trial: Any) -> Any:
        """This dimension's value for an Optuna trial."""
        if self.choices is not None:
            return trial.suggest_categorical(self.key, list(self.choices))
        assert self.low is not None and self.high is not None
        if self.integer:
            return trial.suggest_int(self.key, int(self.low), int(self.high), step=int(self.step or 1),
                                     log=self.log)
        return trial.suggest_float(self.key, self.low, self.high, step=self.step, log=self.log)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "integer": self.integer}
        if self.choices is not None:
            data["choices"] = list(self.choices)
        else:
            data.update(low=self.low, high=self.high, log=self.log, step=self.step)
        return data

    def to_table(self) -> dict[str, Any]:
        """The dimension as `[study.search]` holds it, which `parse_search` reads back to an equal
        one: `{ choices = [...] }`, or its range (whole bounds written as integers)."""
        if self.choices is not None:
            return {_CHOICES_KEY: list(self.choices)}
        assert self.low is not None and self.high is not None
        table: dict[str, Any] = {"low": _plain(self.low), "high": _plain(self.high)}
        if self.log:
            table["log"] = True
        if self.step is not None:
            table["step"] = self.step
        return table

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Dimension:
        choices = data.get("choices")
        return cls(data["key"], data.get("low"), data.get("high"), bool(data.get("log")), data.get("step"),
                   tuple(choices) if choices is not None else None, bool(data.get("integer")))


# Reading the declarations (TOML tables or flags)
def parse_grid(table: Any) -> dict[str, list[Any]]:
    """`[study.grid]`: each parameter with a non-empty list of values."""
    grid = {}
    leaves = _flatten(_table(table, "grid"), is_leaf=lambda value: not isinstance(value, dict))
    for key, values in leaves.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(
                f"[study.grid] {key} = {values!r}: give a non-empty list of values, e.g. {key} = [1, 2]."
            )
        grid[key] = values
    return grid


def parse_search(table: Any) -> list[Dimension]:
    """`[study.search]`: each parameter with `{ low, high, log, step }`, `{ choices = [...] }` or
    its choices as a plain list."""
    leaves = _flatten(_table(table, "search"), is_leaf=lambda value: not isinstance(value, dict)
                      or bool(set(value) & {*_RANGE_KEYS, _CHOICES_KEY}))
    return [_dimension(key, spec) for key, spec in leaves.items()]


def _table(table: Any, name: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"[study] {name} = {table!r}: {name} is a table of parameters, written under a "
                          f"[study.{name}] heading, one parameter a line.")
    return table


# The same declarations typed in the app, one parameter a line
def parse_grid_lines(text: str) -> dict[str, list[Any]]:
    """A grid typed one parameter a line, each line as it would stand in `[study.grid]`
    (`train.batch_size = [32, 64]`, `cell = ["gru", "lstm"]`). Blank lines and `#` comments are
    skipped; an error names its line."""
    return _read_lines(text, "grid", parse_grid, "listed",
                       'KEY = [VALUES]; write e.g. train.batch_size = [32, 64] or cell = ["gru", "lstm"]')


def parse_search_lines(text: str) -> list[Dimension]:
    """A search space typed one parameter a line, each line as it would stand in `[study.search]`
    (`train.learning_rate = { low = 1e-4, high = 1e-2, log = true }`, `cell.hidden_size = [128, 256]`).
    Blank lines and `#` comments are skipped; an error names its line."""
    read = _read_lines(text, "search space",
                       lambda table: {dimension.key: dimension for dimension in parse_search(table)},
                       "searched", "KEY = RANGE or KEY = [CHOICES]; write e.g. "
                                   "train.learning_rate = { low = 1e-4, high = 1e-2, log = true } or "
                                   "cell.hidden_size = [128, 256]")
    return list(read.values())


def grid_lines(grid: dict[str, list[Any]]) -> str:
    """The grid as `parse_grid_lines` reads it back."""
    return "".join(f"{key} = {_inline(values)}\n" for key, values in grid.items())


def search_lines(space: Iterable[Dimension]) -> str:
    """The search space as `parse_search_lines` reads it back."""
    return "".join(f"{dimension.key} = {_inline(dimension.to_table())}\n" for dimension in space)


def _read_lines(text: str, what: str, parse: Callable[[dict[str, Any]], dict[str, Parsed]], verb: str,
                form: str) -> dict[str, Parsed]:
    """Each line of `text` read as a TOML table by `parse`, the whole keyed by parameter."""
    found: dict[str, int] = {}
    read: dict[str, Parsed] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{what} line {number}"
        try:
            table = tomllib.loads(line)
        except tomllib.TOMLDecodeError:
            raise ConfigError(f"{where}: {line.strip()!r} is not {form}.") from None
        try:
            parsed = parse(table)
        except ConfigError as error:
            raise ConfigError(f"{where}: {error}") from None
        for key, value in parsed.items():
            if key in found:
                raise ConfigError(f"{where}: {key} is {verb} on line {found[key]} already; keep one of the "
                                  "two lines.")
            found[key] = number
            read[key] = value
    return read


def _inline(value: Any) -> str:
    """A TOML value on one line, as a line of the app's editors holds it (tomli_w, which writes
    every scalar here, spreads arrays and tables over several lines)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_inline(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


def _plain(number: float) -> float | int:
    """A whole-number bound as an integer (`8`, not `8.0`): parsing gives back the same float."""
    whole = isinstance(number, float) and number.is_integer() and abs(number) < _EXACT_INTEGERS
    return int(number) if whole else number


def parse_grid_flag(text: str) -> tuple[str, list[Any]]:
    """`--grid KEY=V1,V2,...`."""
    key, values = _split_flag(text, "--grid", "cell=rnn,lstm,gru")
    return key, [value.strip() for value in values.split(",") if value.strip()]


def parse_search_flag(text: str) -> Dimension:
    """`--search KEY=LOW..HIGH`, `KEY=LOW..HIGH:log` or `KEY=A,B,C` (choices)."""
    key, spec = _split_flag(text, "--search", "train.learning_rate=1e-4..1e-2:log")
    if ".." not in spec:
        return _dimension(key, {"choices": [value.strip() for value in spec.split(",") if value.strip()]})
    bounds, _, scale = spec.partition(":")
    low, _, high = bounds.partition("..")
    if scale not in ("", "log"):
        raise ConfigError(f"--search {text!r}: the scale after ':' can only be 'log'.")
    try:
        numbers = {"low": float(low), "high": float(high)}
    except ValueError:
        raise ConfigError(f"--search {text!r}: the bounds must be numbers, as in {key}=0.001..0.1.") from None
    return _dimension(key, {**numbers, "log": scale == "log"})


def _split_flag(text: str, flag: str, example: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key.strip() or not value.strip():
        raise ConfigError(f"{flag} {text!r} is not of the form KEY=VALUES, e.g. {flag} {example}.")
    return key.strip(), value.strip()


def _flatten(table: dict[str, Any], is_leaf: Any, prefix: str = "") -> dict[str, Any]:
    """`train.learning_rate = ...` in TOML is a nested table; studies name it with dots."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if is_leaf(value):
            flat[name] = value
        else:
            flat.update(_flatten(value, is_leaf, name))
    return flat


def _dimension(key: str, spec: Any) -> Dimension:
    where = f"[study.search] {key}"
    if isinstance(spec, list):
        spec = {_CHOICES_KEY: spec}  # a plain list is the choices
    if not isinstance(spec, dict):
        raise ConfigError(f"{where} = {spec!r}: give a range {{ low = ..., high = ... }} (add log = true "
                          "for a log scale) or the choices, [...] or { choices = [...] }.")
    unknown = sorted(set(spec) - {*_RANGE_KEYS, _CHOICES_KEY})
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; a dimension has low, high, log, step "
                          "or choices.")
    if _CHOICES_KEY in spec:
        choices = spec[_CHOICES_KEY]
        if set(spec) & set(_RANGE_KEYS) or not isinstance(choices, list) or not choices:
            raise ConfigError(f"{where}: choices must be a non-empty list on its own, e.g. "
                              "{ choices = [64, 128, 256] }.")
        return Dimension(key, choices=tuple(choices))
    low, high = spec.get("low"), spec.get("high")
    if not all(isinstance(bound, (int, float)) and not isinstance(bound, bool) for bound in (low, high)):
        raise ConfigError(f"{where}: a range needs numeric low and high, e.g. "
                          "{ low = 0.0001, high = 0.01 }.")
    if not low < high:
        raise ConfigError(f"{where}: the range {low} to {high} is empty or inverted; low must be below high.")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: log must be true or false.")
    if log and low <= 0:
        raise ConfigError(f"{where}: a log range needs positive bounds, and low = {low}; "
                          "use a positive low (e.g. 1e-5) or drop log.")
    step = spec.get("step")
    if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float)) or step <= 0):
        raise ConfigError(f"{where}: step must be a positive number.")
    if step is not None and log:
        raise ConfigError(f"{where}: a log range cannot have a step; drop one of them.")
    return Dimension(key, low=float(low), high=float(high), log=log, step=step)


# Checking against the plugins
def check_grid(registry: Registry, base: RunConfig, grid: dict[str, list[Any]], cells: list[str]) -> None:
    """Every grid value is valid for its parameter (and every `cell` value names a cell)."""
    for key, values in grid.items():
        if key == CELL_KEY:
            for value in values:
                if not isinstance(value, str):
                    raise ConfigError(f"[study.grid] cell: {value!r} is not a cell name.")
                registry.get("cell", value)
            continue
        for param, owner in declarations(registry, base, key, cells, "[study.grid]"):
            for value in values:
                param.parse(value, f"[study.grid] {owner}")


def bind_dimension(registry: Registry, base: RunConfig, dimension: Dimension, cells: list[str]) -> Dimension:
    """The dimension checked against its parameter's declaration, typed as the parameter is."""
    where = f"[study.search] {dimension.key}"
    if dimension.key == CELL_KEY:
        if dimension.choices is None:
            raise ConfigError(f"{where}: a cell is chosen from a list: "
                              '{ choices = ["rnn", "gru"] }.')
        for value in dimension.choices:
            registry.get("cell", str(value))
        return replace(dimension, choices=tuple(str(value) for value in dimension.choices))
    declared = declarations(registry, base, dimension.key, cells, "[study.search]")
    param, owner = declared[0]
    if dimension.choices is not None:
        for one, one_owner in declared:
            for value in dimension.choices:
                one.parse(value, f"[study.search] {one_owner}")
        return replace(dimension, choices=tuple(param.parse(value, owner) for value in dimension.choices))
    if param.type not in (int, float):
        raise ConfigError(f"{where}: {owner}.{param.name} is a {param.type.__name__}, so it cannot take "
                          "a range; give { choices = [...] } instead.")
    integer = param.type is int
    assert dimension.low is not None and dimension.high is not None
    if integer and not (dimension.low.is_integer() and dimension.high.is_integer()):
        raise ConfigError(f"{where}: {owner}.{param.name} is a whole number, so low and high must be too.")
    for one, one_owner in declared:
        for bound in (dimension.low, dimension.high):
            one.check(int(bound) if integer else bound, f"[study.search] {one_owner}")
    return replace(dimension, integer=integer)


def declarations(registry: Registry, base: RunConfig, key: str, cells: list[str],
                 where: str) -> list[tuple[Param, str]]:
    """The declared parameter(s) `key` names, each with its owner (`train` or a plugin's name); for
    `cell.*`, one per cell of the study."""
    section, dot, name = key.partition(".")
    if not dot or not section or not name:
        raise ConfigError(f"{where} {key!r} is not a parameter name: write SECTION.KEY, e.g. "
                          "train.learning_rate, cell.hidden_size or gru.layers.")
    if section == TRAIN_OWNER:
        return [(_find(TRAIN_PARAMS, TRAIN_OWNER, name, where), TRAIN_OWNER)]
    owners = {"dataset": [base.dataset], "task": [base.task], "cell": cells}
    plugin_kinds = {base.dataset: "dataset", base.task: "task", **{cell: "cell" for cell in cells}}
    if section in owners:
        kind, names = section, owners[section]
    elif section in plugin_kinds:
        kind, names = plugin_kinds[section], [section]
    else:
        valid = ", ".join(["train", "dataset", "cell", "task", *sorted(plugin_kinds)])
        raise ConfigError(f"{where} {key}: unknown section {section!r}; use one of {valid} "
                          "(a plugin's name only when that plugin is chosen).")
    return [(_find(registry.get(kind, plugin).cls.params, plugin, name, where), plugin) for plugin in names]


def _find(params: tuple[Param, ...], owner: str, name: str, where: str) -> Param:
    by_name = {param.name: param for param in params}
    if name in by_name:
        return by_name[name]
    close = difflib.get_close_matches(name, by_name, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    valid = ", ".join(sorted(by_name)) or "(none)"
    raise ConfigError(f"{where} {owner}.{name}: {owner} has no parameter {name!r}{hint}; "
                      f"its parameters are {valid}.")
