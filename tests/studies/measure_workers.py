"""Measure how much sooner two workers finish a study than one (run by hand; not part of the suite).

    WORKBENCH_CORPORA=/path/to/corpora .venv/bin/python tests/studies/measure_workers.py [--steps N]

It runs the same 3-cell × 2-seed `names` classify study twice, each run bound by steps (the same
work both times, not the same time): one trial at a time (one process with torch's default
threads), then with `--workers 2` (two processes with one thread each). It prints both wall times
and their ratio; the target is a ratio of 0.6 or less. Take it on a quiet machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_study(runs_dir: Path, steps: int, workers: int) -> float:
    command = [sys.executable, "-m", "workbench", "run", "--dataset", "names", "--task", "classify",
               "--cell", "rnn", "--cell", "lstm", "--cell", "gru", "--seeds", "2", "--steps", str(steps),
               "--eval-every", str(steps), "--runs-dir", str(runs_dir)]
    if workers > 1:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps per run (default 300)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="workbench-measure-") as scratch:
        sequential = timed_study(Path(scratch) / "sequential", args.steps, workers=1)
        parallel = timed_study(Path(scratch) / "parallel", args.steps, workers=2)
    print(f"3 cells × 2 seeds, {args.steps} steps per run on names/classify")
    print(f"one trial at a time: {sequential:.1f} s")
    print(f"2 workers:           {parallel:.1f} s")
    print(f"ratio:               {parallel / sequential:.2f} (target: 0.60 or less)")


if __name__ == "__main__":
    main()
