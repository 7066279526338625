"""Measure what probes cost training (run by hand on a quiet machine; not part of the suite).

    .venv/bin/python benchmarks/probe_cost.py [--hidden 256] [--layers 1] [--repeats 5]

`workbench bench` times each cell's training step beside its torch.nn twin. Here every custom cell
is timed twice in the same process: as shipped, its step calling `record` for its probes with
nobody listening ("probes compiled in, off"), and as the same step written without a single
`record` call ("compiled out", the steps of tests/test_probes.py). The table gives each one's step
time over the native twin's: the two columns should agree to within the noise of the machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the steps without probes

from test_probes import UNPROBED  # noqa: E402

from workbench.bench.settings import BenchSettings  # noqa: E402
from workbench.bench.timing import run_bench  # noqa: E402
from workbench.testing import registered  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=BenchSettings.hidden)
    parser.add_argument("--layers", type=int, default=BenchSettings.layers)
    parser.add_argument("--repeats", type=int, default=BenchSettings.repeats)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    families = ("lstm", "gru", "rnn")
    cells = tuple(name for family in families
                  for name in (family, f"{family}-custom", UNPROBED[f"{family}-custom"].name))
    settings = BenchSettings(cells=cells, hidden=args.hidden, layers=args.layers, repeats=args.repeats,
                             device=args.device)
    with registered(*UNPROBED.values()):
        results = run_bench(settings, progress=lambda cell: print(f"timing {cell}…", file=sys.stderr))
    speed = {result.cell: result.engine_tokens_per_second for result in results}
    print(f"hidden {settings.hidden}, layers {settings.layers}, batch {settings.batch}, seq {settings.seq}, "
          f"median of {settings.repeats} × {settings.steps} steps: step time over the native twin's")
    print(f"{'cell':<8} {'probes in, off':>15} {'probes out':>11} {'in ÷ out':>9}")
    for family in families:
        probed = speed[family] / speed[f"{family}-custom"]
        unprobed = speed[family] / speed[UNPROBED[f"{family}-custom"].name]
        print(f"{family:<8} {probed:>15.3f} {unprobed:>11.3f} {probed / unprobed:>9.3f}")


if __name__ == "__main__":
    main()
