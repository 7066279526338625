"""Figures of runs, drawn from their metrics logs with matplotlib (the optional `plots` extra).

`plot_curves` puts several runs on one figure: training loss (smoothed, over the raw values drawn
faintly) and validation loss on the left, the validation metric on the right, against steps,
tokens or wall-clock seconds. `plot_confusion` draws a classify run's confusion matrix. Figures
are built on matplotlib's `Figure` directly, without pyplot's global state or a display, and are
written atomically as SVG (text kept as text, so run names can be searched), PNG or PDF.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import ConfigError
from workbench.events import Evaluated, StepDone
from workbench.extras import require
from workbench.formatting import format_metric, format_number
from workbench.runs.atomic import atomic_write
from workbench.runs.directory import read_run
from workbench.runs.history import read_event_log

X_AXES = {"steps": "training steps", "tokens": "tokens seen", "seconds": "wall-clock seconds"}
FORMATS = (".svg", ".png", ".pdf")
POINTS_PER_WINDOW = 50  # automatic smoothing averages over about 1/50 of a run's steps


@dataclass(frozen=True)
class RunCurves:
    """What a figure needs from one run: its names, metric and the points it logged."""

    run_id: str
    dataset: str
    task: str
    metric: str
    higher_is_better: bool
    steps: dict[int, StepDone]  # by step, in order; a resumed run's repeated steps keep the last
    validations: dict[int, Evaluated]  # likewise, by evaluated step
    evaluations: list[Evaluated]  # every evaluation as logged, test ones included

    def x(self, step: int, axis: str) -> float | None:
        """Where `step` lies on the `axis` (steps, tokens or seconds); None if the log cannot say."""
        if axis == "steps":
            return float(step)
        done = self.steps.get(step)
        if done is None:
            return None
        if axis == "seconds":
            return done.elapsed
        return float(done.tokens) if done.tokens is not None else None


def read_curves(run_dir: Path) -> RunCurves:
    """The curves of one run directory (CheckpointError if it is not one or has no metrics log)."""
    summary = read_run(run_dir).summary
    log = read_event_log(run_dir)
    steps = {e.step: e for e in log.events if isinstance(e, StepDone)}
    evaluations = [e for e in log.events if isinstance(e, Evaluated)]
    validations = {e.step: e for e in evaluations if e.split == "validation"}
    # A summary by an older version says what the run is judged on only once it has ended.
    metric = summary.metric_name or "loss"
    return RunCurves(summary.run_id, summary.dataset, summary.task, metric, summary.higher_is_better,
                     dict(sorted(steps.items())), dict(sorted(validations.items())), evaluations)


def plot_curves(runs: Sequence[RunCurves], output: Path, x_axis: str = "steps",
                smoothing: float | None = None) -> None:
    """Training and validation curves of `runs` on one figure, written to `output`.

    `smoothing` is the weight of the training loss's moving average; None picks one per run that
    averages over about a fiftieth of its steps, so long and short runs both read well."""
    _check_output(output, "plot")
    if x_axis not in X_AXES:
        raise ConfigError(f"--x {x_axis!r} is not an axis: choose one of {', '.join(X_AXES)}.")
    if smoothing is not None and not 0.0 <= smoothing < 1.0:
        raise ConfigError(f"--smoothing {smoothing} is out of range: give a weight from 0 (none) to 0.99.")
    for run in runs:
        if not run.steps:
            raise ConfigError(f"Run {run.run_id} has logged no training step yet: there is nothing to plot.")
        if x_axis == "tokens" and any(done.tokens is None for done in run.steps.values()):
            raise ConfigError(f"Run {run.run_id} was logged before token counts were recorded: "
                              "plot it against steps or seconds (--x steps).")
    figure = _figure(figsize=(12, 4.6))
    loss_axes, metric_axes = figure.subplots(1, 2)
    for run, colour in zip(runs, _colours(len(runs)), strict=True):
        xs = [run.x(step, x_axis) for step in run.steps]
        losses = [done.loss for done in run.steps.values()]
        loss_axes.plot(xs, losses, color=colour, alpha=0.2, linewidth=0.8)
        weight = automatic_smoothing(len(losses)) if smoothing is None else smoothing
        loss_axes.plot(xs, smoothed(losses, weight), color=colour, linewidth=1.6, label=run.run_id)
        points = [(run.x(step, x_axis), e) for step, e in run.validations.items()]
        points = [(x, e) for x, e in points if x is not None]
        loss_axes.plot([x for x, _ in points], [e.metrics.get("loss") for _, e in points], "o--",
                       color=colour, markersize=5, linewidth=1.6, markeredgecolor="white")
        metric_axes.plot([x for x, _ in points], [e.metrics.get(run.metric) for _, e in points], "o-",
                         color=colour, markersize=4, linewidth=1.6, label=run.run_id)
    loss_axes.set_title("loss: training (smoothed, raw faint) and validation (dashed)", fontsize=10)
    loss_axes.set_ylabel("loss")
    metrics = sorted({run.metric for run in runs})
    directions = {"higher" if run.higher_is_better else "lower" for run in runs}
    better = f" ({directions.pop()} is better)" if len(directions) == 1 else ""
    metric_axes.set_title(f"validation {' / '.join(metrics)}{better}", fontsize=10)
    metric_axes.set_ylabel(" / ".join(metrics))
    for axes in (loss_axes, metric_axes):
        axes.set_xlabel(X_AXES[x_axis])
        axes.grid(True, alpha=0.3)
    figure.legend(*loss_axes.get_legend_handles_labels(), loc="outside lower center", ncol=min(3, len(runs)),
                  fontsize=9, frameon=False)
    figure.suptitle(_common_title(runs), fontsize=11)
    _save(figure, output)


def plot_confusion(run: RunCurves, output: Path, split: str = "test") -> None:
    """The confusion matrix of `run`'s last evaluation on `split`, rows normalised to shares."""
    _check_output(output, "confusion")
    found = [e for e in run.evaluations if e.split == split and "confusion" in e.metrics]
    if not found:
        other = "validation" if split == "test" else "test"
        raise ConfigError(
            f"Run {run.run_id} logged no confusion matrix on {split}: `workbench runs confusion` draws "
            f"runs of a classify task (a stopped run has none on test: try --split {other})."
        )
    evaluation = found[-1]
    counts: list[list[float]] = evaluation.metrics["confusion"]
    classes: list[str] = evaluation.metrics.get("classes") or [str(i) for i in range(len(counts))]
    shares = [[value / sum(row) if sum(row) else 0.0 for value in row] for row in counts]
    size = max(5.0, 0.42 * len(classes) + 2.5)
    figure = _figure(figsize=(size + 1.2, size))
    axes = figure.subplots()
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="share of the true class")
    ticks = list(range(len(classes)))
    axes.set_xticks(ticks, classes, rotation=90, fontsize=8)
    axes.set_yticks(ticks, classes, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for row, values in enumerate(counts):
        for column, value in enumerate(values):
            if value:
                dark = shares[row][column] > 0.6
                axes.text(column, row, format_number(value), ha="center", va="center", fontsize=7,
                          color="white" if dark else "black")
    accuracy = evaluation.metrics.get("accuracy")
    score = f" · {format_metric('accuracy', accuracy)}" if isinstance(accuracy, (int, float)) else ""
    axes.set_title(f"{run.run_id}\n{split} at step {evaluation.step}{score}", fontsize=10)
    _save(figure, output)


def automatic_smoothing(points: int) -> float:
    """A moving-average weight whose window spans about 1/POINTS_PER_WINDOW of `points` (0: none)."""
    window = points / POINTS_PER_WINDOW
    return 1.0 - 1.0 / window if window > 1 else 0.0


def smoothed(values: Sequence[float], weight: float) -> list[float]:
    """An exponential moving average corrected for its start, as TensorBoard smooths (0 = none)."""
    result: list[float] = []
    average = 0.0
    for count, value in enumerate(values, start=1):
        average = weight * average + (1.0 - weight) * value
        result.append(average / (1.0 - weight**count))
    return result


def _check_output(output: Path, command: str) -> None:
    require("matplotlib", "plots", f"`workbench runs {command}`")
    if Path(output).suffix.lower() not in FORMATS:
        raise ConfigError(f"-o {output}: name a file ending in {', '.join(FORMATS)} (the format follows "
                          "the suffix).")


def _figure(figsize: tuple[float, float]) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _colours(count: int) -> list[Any]:
    from matplotlib import colormaps

    palette = colormaps["tab10"].colors
    return [palette[index % len(palette)] for index in range(count)]


def _common_title(runs: Sequence[RunCurves]) -> str:
    """The dataset and task the runs share (a compare's), and how many runs there are."""
    count = f"{len(runs)} run{'s' if len(runs) != 1 else ''}"
    shared = {(run.dataset, run.task) for run in runs}
    return f"{' · '.join(shared.pop())} · {count}" if len(shared) == 1 else count


def _save(figure: Any, output: Path) -> None:
    from matplotlib import rc_context

    buffer = io.BytesIO()
    # Text stays text in SVG (searchable, smaller); a fixed salt makes the SVG's ids repeatable.
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "workbench"}):
        figure.savefig(buffer, format=Path(output).suffix[1:].lower(), dpi=150, metadata=_metadata(output))
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(Path(output), buffer.getvalue())


def _metadata(output: Path) -> dict[str, Any]:
    """No creation date in the file, so drawing the same runs again gives the same bytes."""
    return {".svg": {"Date": None}, ".pdf": {"CreationDate": None}}.get(Path(output).suffix.lower(), {})
