"""What every plugin class declares, whatever its kind."""

from __future__ import annotations

from typing import Any, ClassVar

from workbench.params import Param, resolve


class Plugin:
    """Base of datasets, cells, tasks and loggers: a unique name, a description and declared parameters."""

    kind: ClassVar[str] = ""
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()

    @classmethod
    def resolve_options(cls, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """Validated options with defaults filled in (raises ConfigError naming the bad field)."""
        return resolve(f"{cls.kind} {cls.name!r}", cls.params, values or {})
