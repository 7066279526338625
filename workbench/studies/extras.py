"""The optional libraries studies stand on, and one clear error when they are not installed."""

from __future__ import annotations

import importlib
from types import ModuleType

from workbench.errors import WorkbenchError

INSTALL = 'pip install -e ".[studies]"'


def require(module: str) -> ModuleType:
    """Import `module` (optuna, scipy.stats, ...) or say which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise WorkbenchError(
            f"Seeds, statistics and studies need {top}, which is not installed: run `{INSTALL}` "
            "(or `pip install \"workbench[studies]\"`) in this environment."
        ) from None
