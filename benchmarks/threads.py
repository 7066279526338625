"""Training speed by thread count, on a quiet machine and with one core kept busy (run by hand).

    WORKBENCH_CORPORA=/path/to/corpora .venv/bin/python benchmarks/threads.py [--budget 30] [--app]

Each line is one `workbench run --dataset divina --task generate --cell gru --time-budget S
--threads N` in a fresh process, its training tokens/s read from the run's summary: N = 1, 2 and
0 (the threads policy's own choice, also printed). It measures them on the machine as it is, then
again while a process it starts itself spins on one core. With --app it also trains the same run
in the app (started in a tmux session), where the policy leaves the UI thread a core.
Run it on an otherwise quiet machine with at least two cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tmux_screen import start, tmux, wait_for

from workbench.runs.directory import read_summary
from workbench.summary import RunSummary

WORKBENCH = Path(sys.executable).with_name("workbench")
RUN = ["--dataset", "divina", "--task", "generate", "--cell", "gru"]
SESSION = "workbench-threads"


def headless(budget: float, threads: int) -> RunSummary:
    with tempfile.TemporaryDirectory() as scratch:
        runs = Path(scratch) / "runs"
        command = [str(WORKBENCH), "run", *RUN, "--time-budget", str(budget), "--threads", str(threads),
                   "--runs-dir", str(runs), "--json"]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return _summary(runs)


def in_app(budget: float) -> RunSummary:
    with tempfile.TemporaryDirectory() as scratch:
        return _in_app(budget, Path(scratch))


def _in_app(budget: float, scratch: Path) -> RunSummary:
    """The same run started from the app's set-up screen, in a detached tmux session."""
    runs = scratch / "runs"
    config = scratch / "threads.toml"
    config.write_text(f'dataset = "divina"\ncell = "gru"\ntask = "generate"\n\n[train]\n'
                      f"time_budget = {budget}\n", encoding="utf-8")
    environment = f"WORKBENCH_CORPORA={os.environ.get('WORKBENCH_CORPORA', '')} WORKBENCH_RUNS_DIR={runs}"
    start(SESSION, f"{environment} {WORKBENCH}")
    try:
        wait_for(SESSION, "training", limit=120.0, poll=0.1)
        time.sleep(1.0)  # let the set-up screen settle before it gets keys
        tmux("send-keys", "-t", SESSION, "C-o")  # with no path typed, this focuses the path box
        time.sleep(0.5)
        tmux("send-keys", "-t", SESSION, "-l", str(config))
        time.sleep(0.5)
        tmux("send-keys", "-t", SESSION, "C-o")
        wait_for(SESSION, "Loaded ", limit=120.0, poll=0.1)
        tmux("send-keys", "-t", SESSION, "C-r")
        deadline = time.monotonic() + budget * 3 + 60
        while time.monotonic() < deadline:
            found = list(runs.glob("*/summary.json"))
            if found and read_summary(found[0].parent).status != "running":
                return _summary(runs)
            time.sleep(1.0)
        raise SystemExit("the run in the app did not finish in time")
    finally:
        tmux("kill-session", "-t", SESSION)


def _summary(runs: Path) -> RunSummary:
    (path,) = runs.glob("*/summary.json")
    return read_summary(path.parent)


def report(scenario: str, asked: str, summary: RunSummary) -> None:
    print(f"{scenario:<14} {asked:<16} {summary.threads:>7} {summary.tokens_per_second:>10,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per run (default 30)")
    parser.add_argument("--app", action="store_true", help="also train in the app (needs tmux)")
    args = parser.parse_args()
    print(f"gru · divina · generate, {args.budget:g} s per run, {os.cpu_count()} cores")
    print(f"{'machine':<14} {'train.threads':<16} {'threads':>7} {'tokens/s':>10}")
    for threads in (1, 2, 0):
        report("quiet", str(threads) if threads else "0 (policy)", headless(args.budget, threads))
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(2.0)
        for threads in (1, 2, 0):
            report("one busy core", str(threads) if threads else "0 (policy)", headless(args.budget, threads))
    finally:
        spinner.terminate()
        spinner.wait()
    if args.app:
        report("app running", "0 (policy)", in_app(args.budget))


if __name__ == "__main__":
    main()
