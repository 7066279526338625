"""The `csv` logger: `metrics.csv`, one row per training step and one per evaluation, for spreadsheets.

Every row has a `split` (train, validation or test) and a step; training rows carry the batch loss,
learning rate and throughput, evaluation rows every metric that is a number (per-class scores as
`per_class/<class>`). Columns appear when first needed: the file is then rewritten once, atomically,
with the wider header, so it is a valid table at every moment. A resumed run appends to it, after
dropping the rows past its checkpoint's step (a killed run logged steps its checkpoint lacks).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from workbench.events import Evaluated, Event, RunStarted, StepDone
from workbench.hookspecs import hookimpl
from workbench.loggers import Logger
from workbench.runs.atomic import atomic_write

CSV_FILE = "metrics.csv"
FIRST_COLUMNS = ("split", "step", "epoch", "elapsed", "tokens", "loss", "learning_rate", "tokens_per_second")


class CsvLogger(Logger):
    name = "csv"
    description = "One row per training step and per evaluation in metrics.csv, for spreadsheets."

    def __init__(self, run_dir: Path, options: dict[str, Any] | None = None):
        super().__init__(run_dir, options)
        self.path = self.run_dir / CSV_FILE
        self.columns = self._header() or list(FIRST_COLUMNS)
        if not self.path.is_file():
            self._rewrite([])
        self._file: IO[str] = open(self.path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._last_step: StepDone | None = None

    def log(self, event: Event) -> None:
        if isinstance(event, RunStarted) and event.resumed_from_step:
            self._keep_rows(lambda row: not row["step"] or int(row["step"]) <= event.resumed_from_step)
            return
        if isinstance(event, StepDone):
            self._last_step = event
            row: dict[str, Any] = {"split": "train", **self._position(event), "loss": event.loss,
                                   "learning_rate": event.learning_rate,
                                   "tokens_per_second": event.tokens_per_second}
        elif isinstance(event, Evaluated):
            last = self._last_step
            position = self._position(last) if last is not None and last.step == event.step else {}
            row = {"split": event.split, "step": event.step, **position, **event.scalars()}
        else:
            return
        added = [name for name in row if name not in self.columns]
        if added:
            self._widen(added)
        csv.DictWriter(self._file, self.columns).writerow(row)
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    @staticmethod
    def _position(step: StepDone) -> dict[str, Any]:
        return {"step": step.step, "epoch": step.epoch, "elapsed": round(step.elapsed, 3),
                "tokens": step.tokens}

    def _header(self) -> list[str]:
        """The columns of a file a resumed run already wrote (none for a new file)."""
        if not self.path.is_file():
            return []
        with open(self.path, newline="", encoding="utf-8") as file:
            return next(csv.reader(file), [])

    def _widen(self, added: list[str]) -> None:
        self.columns += added
        self._keep_rows(lambda row: True)

    def _keep_rows(self, keep: Callable[[dict[str, str]], bool]) -> None:
        """Rewrite the file with the current columns and the rows `keep` accepts."""
        self._file.close()
        with open(self.path, newline="", encoding="utf-8") as file:
            rows = [row for row in csv.DictReader(file) if keep(row)]
        self._rewrite(rows)
        self._file = open(self.path, "a", newline="", encoding="utf-8")  # noqa: SIM115

    def _rewrite(self, rows: list[dict[str, Any]]) -> None:
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, self.columns)
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(self.path, text.getvalue().encode("utf-8"))


@hookimpl
def register_loggers(register):
    register(CsvLogger)
