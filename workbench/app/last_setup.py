"""The set-up a person last used, kept between launches as a config file in the user's config
directory (`$WORKBENCH_CONFIG_DIR` overrides it, which is how tests keep away from the real one)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from workbench.runs.atomic import atomic_write

if TYPE_CHECKING:
    from workbench.config import Compare

CONFIG_DIR_ENV = "WORKBENCH_CONFIG_DIR"
LAST_SETUP_FILE = "last-setup.toml"


def last_setup_path() -> Path:
    root = os.environ.get(CONFIG_DIR_ENV) or platformdirs.user_config_dir("workbench")
    return Path(root) / LAST_SETUP_FILE


def remember(config: Compare) -> None:
    """Write `config` as the last set-up (an OSError, e.g. a read-only home, is the caller's to show)."""
    path = last_setup_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, config.to_toml().encode("utf-8"))


def recall() -> Compare | None:
    """The last set-up, None when there is none yet; a ConfigError when the file cannot be used."""
    from workbench.config import Compare

    path = last_setup_path()
    if not path.is_file():
        return None
    return Compare.from_toml(path)
