"""Optional packages behind pyproject extras, and the error that names the command installing them."""

from __future__ import annotations

import importlib.util

from workbench.errors import ConfigError


def require(module: str, extra: str, purpose: str) -> None:
    """Raise ConfigError unless `module` can be imported; `purpose` says what needs it."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module blocked in sys.modules
        found = False
    if not found:
        raise ConfigError(
            f"{purpose} needs the optional package {module!r}, which is not installed: install it with "
            f"`pip install -e \".[{extra}]\"` in a checkout of the workbench "
            f"(or `pip install \"workbench[{extra}]\"`)."
        )
