"""Several workers on this machine: `study worker` processes on one study, each with its share of
the cores, stopped together on Ctrl-C.

Small recurrent models use one core poorly per thread: on two cores, two one-thread workers train
more runs per minute than one run with two threads. So each worker gets cores // workers threads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

INTERRUPTED = 130


def cpu_cores() -> int:
    """The cores this process may use (its affinity, where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    return max(1, cpu_cores() // max(1, workers))


def oversubscription_warning(workers: int) -> str | None:
    """A warning, with its reason, when there are more workers than cores."""
    cores = cpu_cores()
    if workers <= cores:
        return None
    return (f"{workers} workers on {cores} CPU cores: the workers will take turns on the cores, so each "
            f"run slows down and the study does not finish sooner; use --workers {cores} or fewer.")


def run_pool(workers: int, storage: str, study: str, runs_dir: Path | None, corpora: Path | None,
             json: bool) -> int:
    """Start `workers` worker processes on `study` and wait for them; 130 after SIGINT or SIGTERM,
    which is passed on to every worker so each stops its run with a checkpoint."""
    processes = start_workers(workers, storage, study, runs_dir, corpora, json)
    signalled = False

    def forward(signum: int, frame: object) -> None:
        nonlocal signalled
        signalled = True
        stop_workers(processes)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        codes = [process.wait() for process in processes]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if signalled or INTERRUPTED in codes:
        return INTERRUPTED
    return next((code for code in codes if code), 0)


def start_workers(workers: int, storage: str, study: str, runs_dir: Path | None, corpora: Path | None,
                  json: bool, **popen: Any) -> list[subprocess.Popen]:
    """`workers` processes of `workbench study worker` on `study`, each with its share of the cores;
    `popen` goes to subprocess.Popen (e.g. where their output goes)."""
    threads = threads_per_worker(workers)
    command = [sys.executable, "-m", "workbench", "study", "worker", "--storage", storage, "--study", study,
               "--threads", str(threads)]
    if runs_dir is not None:
        command += ["--runs-dir", str(runs_dir)]
    if corpora is not None:
        command += ["--corpora", str(corpora)]
    if json:
        command.append("--json")
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    return [subprocess.Popen(command, env=environment, **popen) for _ in range(workers)]


def stop_workers(processes: list[subprocess.Popen]) -> None:
    """Ask every worker still working to stop (SIGINT: each ends its run with a checkpoint)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
