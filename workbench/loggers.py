"""The logger contract: a plugin that receives every event of a run and records it somewhere.

Loggers are chosen per run (`--log tensorboard`, `[train] loggers = ["csv"]`, the app's set-up
screen); the `jsonl` logger, which writes the run's own `metrics.jsonl`, is always on. The engine
builds each chosen logger when the run starts, hands it every event on the training thread, and
closes it when the run has ended. A logger that raises fails the run, named as the culprit, like
any other plugin; it gets no further events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from workbench.events import Event
from workbench.plugin import Plugin


class Logger(Plugin):
    """Base class of logger plugins.

    `log` is called for every event, in order, and must return quickly: it runs between training
    steps. The last event is `RunFinished` or `RunFailed`; write everything out when it arrives.
    `close` releases files and threads, and is called whether the run finished or failed.
    Override `check_available` when the logger needs a package the workbench does not install, so
    that choosing it without that package fails before any data loads.
    """

    kind: ClassVar[str] = "logger"

    def __init__(self, run_dir: Path, options: dict[str, Any] | None = None):
        self.run_dir = Path(run_dir)
        self.options = self.resolve_options(options)

    @classmethod
    def check_available(cls) -> None:
        """Raise ConfigError naming the install command if a package the logger needs is missing."""

    def log(self, event: Event) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the logger holds; the default holds nothing."""
