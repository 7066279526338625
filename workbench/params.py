"""Declared plugin parameters: one declaration feeds CLI flags, TOML validation and the app's forms."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.errors import ConfigError
from workbench.formatting import format_value

_TYPES = (bool, int, float, str)
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True)
class Param:
    """One option of a plugin: its type, default, allowed values and a one-line help."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    finite: bool = True  # a float must be a finite number (not nan or inf) unless declared False

    def parse(self, raw: Any, owner: str = "") -> Any:
        """Turn a TOML value or a command-line string into a checked value of this type."""
        value = self._coerce(raw, owner)
        self.check(value, owner)
        return value

    def check(self, value: Any, owner: str = "") -> None:
        """Raise ConfigError if `value` is outside the declared choices or range."""
        where = f"{owner}.{self.name}" if owner else self.name
        if self.type is float and self.finite and not math.isfinite(value):
            raise ConfigError(
                f"{where} = {value!r} is not a finite number: give a finite float ({self.describe_range()})."
            )
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(format_value(choice) for choice in self.choices)
            raise ConfigError(f"{where} = {format_value(value)} is not allowed: choose one of {allowed}.")
        if self.min is not None and value < self.min:
            raise ConfigError(f"{where} = {format_value(value)} is too small: the minimum is {self.min}.")
        if self.max is not None and value > self.max:
            raise ConfigError(f"{where} = {format_value(value)} is too large: the maximum is {self.max}.")

    def describe_range(self) -> str:
        """A short human description of the allowed values, for help text and forms."""
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.min is not None and self.max is not None:
            return f"{self.min} to {self.max}"
        if self.min is not None:
            return f">= {self.min}"
        if self.max is not None:
            return f"<= {self.max}"
        return self.type.__name__

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "help": self.help,
            "choices": list(self.choices) if self.choices is not None else None,
            "min": self.min,
            "max": self.max,
            "finite": self.finite,
        }

    def _coerce(self, raw: Any, owner: str) -> Any:
        where = f"{owner}.{self.name}" if owner else self.name
        expected = self.type.__name__
        if isinstance(raw, str) and self.type is not str:
            text = raw.strip()
            try:
                if self.type is bool:
                    if text.lower() in _TRUE:
                        return True
                    if text.lower() in _FALSE:
                        return False
                    raise ValueError(text)
                return self.type(text)
            except ValueError:
                raise ConfigError(
                    f"{where} = {format_value(raw)} is not a valid {expected}: give a {expected} "
                    f"({self.describe_range()})."
                ) from None
        if self.type is float and isinstance(raw, int) and not isinstance(raw, bool):
            return float(raw)
        if isinstance(raw, bool) != (self.type is bool) or not isinstance(raw, self.type):
            raise ConfigError(
                f"{where} = {format_value(raw)} has the wrong type: "
                f"give a {expected} ({self.describe_range()})."
            )
        return raw


def declaration_problems(params: Iterable[Param]) -> list[str]:
    """Everything wrong with a plugin's parameter declarations (empty when they are sound)."""
    problems: list[str] = []
    seen: set[str] = set()
    for param in params:
        if not isinstance(param, Param):
            problems.append(f"{param!r} is not a workbench.params.Param")
            continue
        if not param.name.isidentifier():
            problems.append(f"parameter name {param.name!r} is not an identifier")
        if param.name in seen:
            problems.append(f"parameter {param.name!r} is declared twice")
        seen.add(param.name)
        if param.type not in _TYPES:
            problems.append(f"parameter {param.name!r} has type {param.type!r}: use bool, int, float or str")
            continue
        if not param.help.strip():
            problems.append(f"parameter {param.name!r} has no help text")
        try:
            param.check(param._coerce(param.default, ""))
        except ConfigError as error:
            problems.append(f"parameter {param.name!r} has a default that fails its own rules ({error})")
    return problems


def resolve(owner: str, params: Iterable[Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """Check `values` against the declarations and fill in defaults for the rest."""
    declared = {param.name: param for param in params}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        valid = ", ".join(sorted(declared)) or "(none)"
        raise ConfigError(
            f"{owner} has no parameter {unknown[0]!r}: its parameters are {valid}."
        )
    resolved = {name: param.default for name, param in declared.items()}
    for name, raw in values.items():
        resolved[name] = declared[name].parse(raw, owner)
    return resolved
