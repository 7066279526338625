"""The set-up a person last used, kept between launches as a config file in the user's config
directory (`$WORKBENCH_CONFIG_DIR` overrides it, which is how tests keep away from the real one).
The study section's fields are kept in its `[study]` table, as a study file holds them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from workbench.runs.atomic import atomic_write

if TYPE_CHECKING:
    from workbench.config import Compare
    from workbench.studies.spec import StudyRequest

CONFIG_DIR_ENV = "WORKBENCH_CONFIG_DIR"
LAST_SETUP_FILE = "last-setup.toml"


def last_setup_path() -> Path:
    root = os.environ.get(CONFIG_DIR_ENV) or platformdirs.user_config_dir("workbench")
    return Path(root) / LAST_SETUP_FILE


def remember(config: Compare, study: StudyRequest | None) -> None:
    """Write `config` and the study section's `study` as the last set-up (an OSError, e.g. a
    read-only home, is the caller's to show)."""
    from workbench.studies.spec import config_file_text

    path = last_setup_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, config_file_text(config, study).encode("utf-8"))


def recall() -> tuple[Compare, StudyRequest | None] | None:
    """The last set-up and its study section, None when there is none yet; a ConfigError when the
    file cannot be used."""
    from workbench.studies.spec import read_config_file

    path = last_setup_path()
    if not path.is_file():
        return None
    return read_config_file(path)
