"""Measure how fast inspection answers (run by hand on a quiet machine; not part of the suite).

    WORKBENCH_CORPORA=/path/to/corpora .venv/bin/python benchmarks/inspect_latency.py

A 2-layer, 256-unit LSTM on the poem (trained for a few steps: speed does not depend on how well)
reads a 500-character passage.
1. headless: the time `Inspector.inspect` takes (loading weights aside), median of several reads;
2. the app, started in a detached tmux session and read back with capture-pane:
   - text to result: from pressing enter on the text until the heatmap is on screen, once with no
     other key pressed and once with the keys below pressed while it reads;
   - key to repaint while the text is being read: F1 (help) and escape, pressed right after enter;
   - key to repaint on the result: the cursor moved with → until the detail line names the new
     position (median and worst over 20 presses).
Times include tmux's own polling (a few milliseconds), so they are upper bounds. The targets: keys
answered within 100 ms, the result within 1 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tmux_screen import screen, start, tmux, wait_for

SESSION = "workbench-measure-inspect"
PASSAGE = (
    "Nel mezzo del cammin di nostra vita\nmi ritrovai per una selva oscura,\nché la diritta via era "
    "smarrita.\nAhi quanto a dir qual era è cosa dura\nesta selva selvaggia e aspra e forte\nche nel "
    "pensier rinova la paura!\nTant’ è amara che poco è più morte;\nma per trattar del ben ch’i’ vi "
    "trovai,\ndirò de l’altre cose ch’i’ v’ho scorte.\nIo non so ben ridir com’ i’ v’intrai,\ntant’ era "
    "pien di sonno a quel punto\nche la verace via abbandonai.\nMa poi ch’i’ fui al piè d’un colle giunto,\n"
    "là dove terminava quella valle\nche m’avea di paura il cor compunto,\n"
)[:500]
WORKBENCH = Path(sys.executable).with_name("workbench")


def train(runs: Path) -> Path:
    subprocess.run([str(WORKBENCH), "run", "--dataset", "divina", "--cell", "lstm", "--task", "generate",
                    "--steps", "3", "--set", "cell.hidden_size=256", "--set", "cell.layers=2",
                    "--runs-dir", str(runs), "--json"], check=True, capture_output=True)
    (run_dir,) = runs.iterdir()
    return run_dir


def headless(run_dir: Path) -> None:
    from workbench.engine.trained import load_trained
    from workbench.inspection.inspector import Inspector

    inspector = Inspector.of(load_trained(run_dir))
    inspector.inspect(PASSAGE)  # warm-up
    times = []
    for _ in range(7):
        start = time.perf_counter()
        inspector.inspect(PASSAGE)
        times.append(time.perf_counter() - start)
    print(f"headless inspect of {len(PASSAGE)} characters: median {statistics.median(times) * 1000:.0f} ms, "
          f"worst {max(times) * 1000:.0f} ms")


def runs_listed(runs: Path) -> str:
    return next(runs.iterdir()).name


def in_the_app(runs: Path, press_keys: bool) -> None:
    """Open the run on the Inspect screen and read the passage; with `press_keys`, press keys while
    it is read and move the cursor after, else only time the text to its result."""
    corpora = os.environ.get("WORKBENCH_CORPORA", "")
    start(SESSION, f"WORKBENCH_CORPORA={corpora} WORKBENCH_RUNS_DIR={runs} {WORKBENCH}")
    try:
        wait_for(SESSION, "training")  # the set-up screen's forms: plugins and torch are loaded
        tmux("send-keys", "-t", SESSION, "F6")
        wait_for(SESSION, "choose a run")
        time.sleep(2.0)  # the list of runs is read on a worker
        tmux("send-keys", "-t", SESSION, "Enter")  # open the run list (it has focus) ...
        wait_for(SESSION, runs_listed(runs))
        tmux("send-keys", "-t", SESSION, "Down")  # past the blank choice ...
        time.sleep(0.3)
        tmux("send-keys", "-t", SESSION, "Enter")  # ... to the newest run
        wait_for(SESSION, "Type a text above")  # the weights are loaded
        tmux("send-keys", "-t", SESSION, "/")
        time.sleep(0.3)
        tmux("send-keys", "-t", SESSION, "-l", PASSAGE.replace("\n", "↵"))
        time.sleep(0.5)
        started = time.perf_counter()
        tmux("send-keys", "-t", SESSION, "Enter")
        waiting: list[float] = []
        for _ in range(3 if press_keys else 0):  # keys while the text is being read
            if "units 1–" in screen(SESSION):
                break
            tmux("send-keys", "-t", SESSION, "F1")
            waiting.append(wait_for(SESSION, "workbench — keys", limit=10.0))
            tmux("send-keys", "-t", SESSION, "Escape")
            back = "units 1–" if "units 1–" in screen(SESSION) else "Layer"
            waiting.append(wait_for(SESSION, back, limit=10.0))
        wait_for(SESSION, "units 1–")
        result = time.perf_counter() - started
        if not press_keys:
            print(f"text to result in the app, no other key pressed: {result * 1000:.0f} ms")
            return
        print(f"text to result in the app: {result * 1000:.0f} ms (includes {len(waiting)} key presses)")
        if waiting:
            print(f"keys while reading: median {statistics.median(waiting) * 1000:.0f} ms, "
                  f"worst {max(waiting) * 1000:.0f} ms")
        moves = []
        for position in range(1, 21):
            tmux("send-keys", "-t", SESSION, "Right")
            moves.append(wait_for(SESSION, f" {position} '", limit=10.0))
        print(f"cursor key to repaint: median {statistics.median(moves) * 1000:.0f} ms, "
              f"worst {max(moves) * 1000:.0f} ms over {len(moves)} presses")
    finally:
        tmux("send-keys", "-t", SESSION, "C-q")
        time.sleep(1)
        tmux("kill-session", "-t", SESSION)


def main() -> None:
    runs = Path(tempfile.mkdtemp()) / "runs"
    run_dir = train(runs)
    print(f"model: {run_dir.name} (2 layers × 256 units)")
    headless(run_dir)
    in_the_app(runs, press_keys=False)
    in_the_app(runs, press_keys=True)


if __name__ == "__main__":
    main()
