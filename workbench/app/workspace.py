"""What the screens show and the App owns: the runs directory, the plugin registry once it has
loaded, and this app's runs (the board they are drawn from and the queue that trains them).

The App hands one Workspace to every screen it makes. Screens read it and change nothing in it:
they ask for changes with the messages of `workbench.app.requests`, which the App handles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.app.runner import RunQueue
    from workbench.app.tracking import Board
    from workbench.registry import Registry


@dataclass
class Workspace:
    """The state every screen may read; `registry` is None until the plugins have loaded."""

    runs_dir: Path
    board: Board
    queue: RunQueue
    registry: Registry | None = None
