"""Measure, as a person sees it, how fast the app answers (run by hand; not part of the suite).

    WORKBENCH_CORPORA=/path/to/corpora .venv/bin/python benchmarks/app_responsiveness.py

It starts `workbench` in a detached tmux session and reads the screen back with capture-pane:
1. launch to first frame: until the set-up screen's title is on screen;
2. key to repaint while a run trains: press a key that switches the live view's tab, and time
   until the other tab's content is on screen (several presses, median and worst reported).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tmux_screen import start, tmux, wait_for

SESSION = "workbench-measure"
CELL = os.environ.get("MEASURE_CELL", "lstm-custom")
CONFIG = f"""dataset = "names"
cell = "{CELL}"
task = "classify"

[train]
epochs = 0
time_budget = 120.0
"""


def main() -> None:
    runs = Path(tempfile.mkdtemp()) / "runs"
    workbench = Path(sys.executable).with_name("workbench")
    corpora = os.environ.get("WORKBENCH_CORPORA", "")
    command = f"WORKBENCH_CORPORA={corpora} WORKBENCH_RUNS_DIR={runs} {workbench}"
    started = time.perf_counter()
    start(SESSION, command)
    try:
        first_frame = wait_for(SESSION, "Dataset")
        print(f"launch to first frame: {first_frame * 1000:.0f} ms")
        forms = wait_for(SESSION, "training") + first_frame
        print(f"launch to forms shown: {forms:.2f} s (plugins and torch loaded)")
        config = runs.parent / "measure.toml"
        config.write_text(CONFIG, encoding="utf-8")
        tmux("send-keys", "-t", SESSION, "C-o")  # with no path typed, this focuses the path box
        time.sleep(0.3)
        tmux("send-keys", "-t", SESSION, "-l", str(config))
        time.sleep(0.3)
        tmux("send-keys", "-t", SESSION, "C-o")
        wait_for(SESSION, f"cell · {CELL}")
        tmux("send-keys", "-t", SESSION, "C-r")
        wait_for(SESSION, "Samples (s)")
        print(f"(training {CELL} on names/classify, other options at their defaults)")
        tmux("send-keys", "-t", SESSION, "l")
        wait_for(SESSION, " started ")  # the data is loaded and the model built: steps are flowing
        latencies = []
        for _ in range(10):
            for key, shows in (("t", "wall time"), ("l", "started")):
                tmux("send-keys", "-t", SESSION, key)
                latencies.append(wait_for(SESSION, shows, limit=10.0))
                time.sleep(0.1)
        print(f"key to repaint while training: median {statistics.median(latencies) * 1000:.0f} ms, "
              f"worst {max(latencies) * 1000:.0f} ms over {len(latencies)} presses")
        print("each (ms):", " ".join(f"{latency * 1000:.0f}" for latency in latencies))
        print(f"total {time.perf_counter() - started:.1f} s")
    finally:
        tmux("send-keys", "-t", SESSION, "C-q")
        time.sleep(0.5)
        tmux("send-keys", "-t", SESSION, "y")
        time.sleep(3)
        tmux("kill-session", "-t", SESSION)


if __name__ == "__main__":
    main()
