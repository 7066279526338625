"""Whether a live process is training a run: an exclusive lock on `run.lock` in its directory.

A run holds the lock from the moment its directory is opened until it has written its final
summary. The operating system drops the lock when the process ends, however it ends (kill -9
included), and no lock outlives a reboot. So a summary that still says "running" while nobody
holds the lock belongs to a run that was killed: it is shown as interrupted and can be resumed.
A pid file could not tell that apart from a reused pid; the lock cannot be left behind.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import IO

from workbench.errors import CheckpointError

LOCK_FILE = "run.lock"
_ACQUIRE_TRIES = 40  # a reader checking the lock holds it for microseconds: retry for about a second

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    _REGION = 1 << 20  # lock one byte past the pid, so the pid stays readable

    def _try_lock(file: IO[bytes], exclusive: bool) -> bool:
        file.seek(_REGION)
        try:
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(file: IO[bytes]) -> None:
        file.seek(_REGION)
        msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(file: IO[bytes], exclusive: bool) -> bool:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(file.fileno(), mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(file: IO[bytes]) -> None:
        fcntl.flock(file.fileno(), fcntl.LOCK_UN)


class RunLock:
    """The lock a training process holds on its run directory while it trains."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self._file: IO[bytes] | None = None

    def acquire(self) -> None:
        """Take the lock and record this process's id; a CheckpointError if another process has it."""
        file = os.fdopen(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644), "r+b")
        for _ in range(_ACQUIRE_TRIES):
            if _try_lock(file, exclusive=True):
                break
            time.sleep(0.025)
        else:
            file.close()
            raise CheckpointError(busy_message(self.path.parent))
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n".encode())
        file.flush()
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            _unlock(self._file)
            self._file.close()
            self._file = None


def is_live(run_dir: Path) -> bool:
    """True while some process holds the run's lock, that is, is training it."""
    try:
        file = open(Path(run_dir) / LOCK_FILE, "rb")  # noqa: SIM115 - closed below
    except OSError:
        return False  # never locked: written before runs took the lock, or never trained
    with file:
        if _try_lock(file, exclusive=False):
            _unlock(file)
            return False
        return True


def busy_message(run_dir: Path) -> str:
    """Why a run cannot be resumed or opened for training now, naming the process that holds it."""
    try:
        pid = (Path(run_dir) / LOCK_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        pid = ""
    holder = f"process {pid}" if pid else "another process"
    return (f"{run_dir} is being trained right now by {holder}. Wait for it to end, or stop it "
            "(Ctrl-C, or s in the app) and resume it then.")
