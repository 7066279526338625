"""The plugin contract, run as checks: what `workbench plugins check` and workbench.testing report.

Each check returns a `CheckResult` instead of raising, so a plugin author sees every broken
promise at once, each with the reason, rather than the first traceback. Cells get the full
treatment (shapes, state, lengths, gradients, seeds, saved weights); datasets are asked for their
data and it is checked; tasks get the declarative part of their contract; loggers are fed the
events of short made-up runs.
"""

from __future__ import annotations

import inspect
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import Tensor

from workbench.cells import COMMON_NAMES, COMMON_PARAMS, Cell, Recurrent, State
from workbench.datasets import ClassificationData, Dataset, GenerationData
from workbench.errors import ConfigError, CorpusError, WorkbenchError
from workbench.events import (
    CheckpointSaved,
    Evaluated,
    Event,
    RunFailed,
    RunFinished,
    RunStarted,
    Sampled,
    StateChanged,
    StepDone,
)
from workbench.inspection.features import Feature, Passage
from workbench.loggers import Logger
from workbench.params import declaration_problems
from workbench.plugin import Plugin
from workbench.registry import Registry, default_registry
from workbench.summary import RunSummary
from workbench.tasks import Task

FORMS = ("classification", "generation")
INPUT_SIZE = 3
SMALL_CELL = {"hidden_size": 5, "dropout": 0.0}
SEED = 0  # the seed the dataset checks split with
_ATOL = 1e-5
_RTOL = 1e-4
_TASK_METHODS = (
    "prepare", "build_model", "batches", "loss", "evaluate", "showcase", "metadata", "restore",
)


@dataclass(frozen=True)
class CheckResult:
    """One promise of the contract, whether the plugin keeps it, and why not."""

    name: str
    passed: bool
    reason: str = ""

    def __str__(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        return f"{verdict} {self.name}: {self.reason}" if self.reason else f"{verdict} {self.name}"


def failures(results: Iterable[CheckResult]) -> list[CheckResult]:
    return [result for result in results if not result.passed]


def check_plugin(target: str | type[Plugin], kind: str | None = None, registry: Registry | None = None,
                 corpus_root: Path | None = None) -> list[CheckResult]:
    """Run the contract of a plugin given by class or by installed name (a dataset's data checks
    load from `corpus_root` when it is given)."""
    cls = (registry or default_registry()).find(target, kind).cls if isinstance(target, str) else target
    if isinstance(cls, type) and issubclass(cls, Cell):
        return check_cell(cls)
    if isinstance(cls, type) and issubclass(cls, Dataset):
        return check_dataset(cls, corpus_root)
    if isinstance(cls, type) and issubclass(cls, Task):
        return check_task(cls)
    if isinstance(cls, type) and issubclass(cls, Logger):
        return check_logger(cls)
    if isinstance(cls, type) and issubclass(cls, Feature):
        return check_feature(cls)
    raise ConfigError(
        f"{cls!r} is not a workbench Cell, Dataset, Task, Logger or Feature subclass, so it has no contract "
        "to check."
    )


def _run(name: str, check: Callable[[], str]) -> CheckResult:
    """Run one check: it returns "" when the promise holds, else the reason; raising is a failure too."""
    try:
        reason = check()
    except Exception as error:  # noqa: BLE001 - a plugin's bug is a failed check, not a crash
        reason = f"raised {type(error).__name__}: {error}"
    return CheckResult(name, not reason, reason)


def _declared(cls: type[Plugin], required: Iterable[str] = ()) -> str:
    problems = declaration_problems(cls.params) if isinstance(cls.params, (tuple, list)) else [
        f"params is a {type(cls.params).__name__}: declare a tuple of workbench.params.Param"
    ]
    declared = {getattr(param, "name", None) for param in cls.params} if not problems else set()
    missing = sorted(set(required) - declared) if not problems else []
    if missing:
        problems.append(
            "missing the common parameters " + ", ".join(missing)
            + ": start from workbench.cells.COMMON_PARAMS (params = COMMON_PARAMS + (...))"
        )
    if not cls.name or not isinstance(cls.name, str):
        problems.append("the class has no `name`")
    return "; ".join(problems)


def _options_validate(cls: type[Plugin]) -> str:
    cls.resolve_options({})
    try:
        cls.resolve_options({"no_such_option_": 1})
    except ConfigError:
        return ""
    return "resolve_options accepted an undeclared option: do not override how options are resolved"


# Cells ------------------------------------------------------------------------------------------


def check_cell(cls: type[Cell]) -> list[CheckResult]:
    """Everything a cell promises the engine: run on small models with random inputs."""
    results = [
        _run("parameters declared", lambda: _declared(cls, COMMON_NAMES)),
        _run("builds with defaults", lambda: _builds_with_defaults(cls)),
    ]
    checks: list[tuple[str, Callable[[], str]]] = [
        ("output and state shapes", lambda: _shapes(cls)),
        ("variable lengths", lambda: _variable_lengths(cls)),
        ("carries state across calls", lambda: _carries_state(cls)),
        ("gradients reach every parameter", lambda: _gradients(cls)),
        ("deterministic with a seed", lambda: _deterministic(cls)),
        ("weights survive save and load", lambda: _round_trip(cls)),
        ("probes recorded as declared", lambda: _probes(cls)),
    ]
    if not results[1].passed:
        skipped = "not run: the cell does not build (see 'builds with defaults')"
        return results + [CheckResult(name, False, skipped) for name, _ in checks]
    return results + [_run(name, check) for name, check in checks]


def _build(cls: type[Cell], **options: Any) -> Recurrent:
    model = cls({**SMALL_CELL, **options}).build(INPUT_SIZE)
    if not isinstance(model, Recurrent):
        raise TypeError(f"build() returned {type(model).__name__}, not a workbench.cells.Recurrent")
    return model


def _builds_with_defaults(cls: type[Cell]) -> str:
    cell = cls()
    model = cell.build(INPUT_SIZE)
    if not isinstance(model, Recurrent):
        return f"build() returned {type(model).__name__}, not a workbench.cells.Recurrent"
    directions = 2 if cell.options["bidirectional"] else 1
    expected = cell.options["hidden_size"] * directions
    if model.output_size != expected:
        return f"output_size is {model.output_size}, expected hidden_size * directions = {expected}"
    return ""


def _inputs(batch: int, time: int, seed: int = 0) -> Tensor:
    return torch.randn(batch, time, INPUT_SIZE, generator=torch.Generator().manual_seed(seed))


def _shape_problem(model: Recurrent, outputs: Tensor, state: State, batch: int, time: int) -> str:
    if tuple(outputs.shape) != (batch, time, model.output_size):
        return f"outputs are {tuple(outputs.shape)}, expected (batch, time, output_size) = " \
               f"{(batch, time, model.output_size)}"
    if not isinstance(state, tuple) or not state:
        return f"the state is a {type(state).__name__}, expected a non-empty tuple of tensors"
    rows = model.num_layers * model.num_directions
    for index, tensor in enumerate(state):
        if tensor.dim() != 3 or tensor.shape[:2] != (rows, batch):
            return f"state[{index}] is {tuple(tensor.shape)}, expected (layers * directions, batch, size) " \
                   f"with layers * directions = {rows} and batch = {batch}"
    summary = model.summary(state)
    if tuple(summary.shape) != (batch, model.output_size):
        return f"summary(state) is {tuple(summary.shape)}, expected {(batch, model.output_size)}"
    return ""


def _shapes(cls: type[Cell]) -> str:
    for layers in (1, 2):
        for bidirectional in (False, True):
            model = _build(cls, layers=layers, bidirectional=bidirectional)
            for batch in (1, 3):
                for time in (1, 4):
                    where = f" (layers={layers}, bidirectional={bidirectional}, batch={batch}, time={time})"
                    outputs, state = model(_inputs(batch, time))
                    problem = _shape_problem(model, outputs, state, batch, time)
                    if not problem:
                        outputs, state = model(_inputs(batch, time, seed=1), state)
                        problem = _shape_problem(model, outputs, state, batch, time)
                    if problem:
                        return problem + where
    return ""


def _close(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, atol=_ATOL, rtol=_RTOL)


def _variable_lengths(cls: type[Cell]) -> str:
    lengths = torch.tensor([4, 1, 3])
    inputs = _inputs(3, 4)
    for bidirectional in (False, True):
        model = _build(cls, layers=2, bidirectional=bidirectional)
        where = f" (bidirectional={bidirectional})"
        outputs, state = model(inputs, lengths=lengths)
        for row, length in enumerate(lengths.tolist()):
            alone, alone_state = model(inputs[row : row + 1, :length])
            if not _close(outputs[row, :length], alone[0]):
                return f"sequence {row} (length {length}) gives other outputs padded than alone{where}"
            if outputs[row, length:].abs().sum() > 0:
                return f"outputs past the end of sequence {row} (length {length}) are not zeros{where}"
            for index, tensor in enumerate(state):
                if not _close(tensor[:, row], alone_state[index][:, 0]):
                    return f"state[{index}] of sequence {row} is not its state at its own last step{where}"
    return ""


def _carries_state(cls: type[Cell]) -> str:
    model = _build(cls, layers=2, bidirectional=False)
    inputs = _inputs(2, 5)
    whole, whole_state = model(inputs)
    first, state = model(inputs[:, :2])
    second, split_state = model(inputs[:, 2:], state)
    if not _close(torch.cat([first, second], dim=1), whole):
        return "two calls that pass the state along give other outputs than one call over both parts"
    if len(split_state) != len(whole_state) or not all(
        _close(a, b) for a, b in zip(split_state, whole_state, strict=True)
    ):
        return "two calls that pass the state along end in another state than one call over both parts"
    fresh, _ = model(inputs[:, 2:])
    if _close(fresh, second):
        return "the outputs do not depend on the state passed in: the cell is not recurrent"
    return ""


def _gradients(cls: type[Cell]) -> str:
    model = _build(cls, layers=2, bidirectional=True)
    outputs, state = model(_inputs(3, 4))
    weights = torch.randn(outputs.shape, generator=torch.Generator().manual_seed(2))
    loss = (outputs * weights).sum() + sum(tensor.square().sum() for tensor in state)
    loss.backward()
    parameters = list(model.named_parameters())
    if not parameters:
        return "the model has no parameters to train"
    missing = [name for name, p in parameters if p.grad is None or not bool(p.grad.abs().sum() > 0)]
    if missing:
        return "no gradient reaches " + ", ".join(missing) + " (layers=2, bidirectional=True)"
    return ""


def _seeded_run(cls: type[Cell], seed: int) -> tuple[Recurrent, Tensor]:
    torch.manual_seed(seed)
    model = _build(cls, layers=2)
    outputs, _ = model(_inputs(2, 4))
    return model, outputs


def _deterministic(cls: type[Cell]) -> str:
    first, first_out = _seeded_run(cls, 0)
    second, second_out = _seeded_run(cls, 0)
    for (name, a), b in zip(first.state_dict().items(), second.state_dict().values(), strict=True):
        if not torch.equal(a, b):
            return f"{name} is initialised differently with the same torch seed: draw it from torch's RNG"
    if not torch.equal(first_out, second_out):
        return "the same seed, weights and inputs give other outputs: use only torch's seeded RNG"
    return ""


def _round_trip(cls: type[Cell]) -> str:
    original, expected = _seeded_run(cls, 0)
    tensors = {name: tensor.contiguous() for name, tensor in original.state_dict().items()}
    restored_tensors = load_tensors(save_tensors(tensors))
    torch.manual_seed(1)
    restored = _build(cls, layers=2)
    restored.load_state_dict(restored_tensors, strict=True)
    outputs, _ = restored(_inputs(2, 4))
    if not _close(outputs, expected):
        return "a model loaded from saved weights gives other outputs: keep every tensor that shapes the " \
               "output in a parameter or a registered buffer"
    return ""


def _probes(cls: type[Cell]) -> str:
    """The stack inspection reads computes what the cell's does, and each step records its declared
    probes, each shaped (batch, hidden_size), under their declared names and no others."""
    from workbench.recurrent import StepRecurrent

    cell = cls({**SMALL_CELL, "layers": 2, "bidirectional": True})
    model = cell.build(INPUT_SIZE)
    inspected = cell.inspectable(model)
    inputs = _inputs(3, 4)
    if inspected is not model and not _close(inspected(inputs)[0], model(inputs)[0]):
        return "inspectable() returned a stack whose outputs differ from the cell's: give it the same weights"
    if not isinstance(inspected, StepRecurrent):
        return ""  # inspection shows the hidden state of its last layer, read off the outputs
    for key, step in inspected.cells.items():
        problem = _step_probes(inspected, step, inputs, key)  # type: ignore[arg-type]
        if problem:
            return problem
    return ""


def _step_probes(stack: Recurrent, step: Any, inputs: Tensor, key: str) -> str:
    declared = step.probes
    if not isinstance(declared, dict) or not all(
        isinstance(name, str) and name.isidentifier() and isinstance(text, str)
        for name, text in declared.items()
    ):
        return "probes must be a dict of probe names (identifiers) to a sentence saying what each shows"
    if "hidden" in declared:
        return "the probe name 'hidden' is taken: inspection records every cell's output h under it"
    steps: list[dict[str, tuple[int, ...]]] = [{}]
    step.probe_sink = lambda values: steps[-1].update({n: tuple(v.shape) for n, v in values.items()})
    handle = step.register_forward_hook(lambda *_: steps.append({}))
    try:
        stack(inputs)
    finally:
        handle.remove()
        step.probe_sink = None
    expected = (inputs.shape[0], step.hidden_size)
    for shapes in steps[:-1]:
        undeclared = sorted(set(shapes) - set(declared))
        if undeclared:
            return f"cells.{key} records {undeclared[0]!r}, which `probes` does not declare: declare it"
        missing = sorted(set(declared) - set(shapes))
        if missing:
            return f"cells.{key} declares the probe {missing[0]!r} but does not record it at every step"
        for name, shape in shapes.items():
            if shape != expected:
                return f"cells.{key} records {name!r} shaped {shape}, not (batch, hidden_size) = {expected}"
    return ""


# Datasets and tasks ------------------------------------------------------------------------------


def check_dataset(cls: type[Dataset], corpus_root: Path | None = None) -> list[CheckResult]:
    """A dataset's contract: sound parameters and forms, then every form it declares called for real.

    The data comes from `corpus_root` when given, else from the dataset's `check_corpus`, else
    from the corpus the dataset finds. Each form must return its data class with non-empty
    splits that share no string (at least two classes for classification), the same for the
    same seed.
    """
    results = [
        _run("parameters declared", lambda: _declared(cls)),
        _run("options validate", lambda: _options_validate(cls)),
        _run("declares its forms", lambda: _forms(cls)),
    ]
    if not all(result.passed for result in results):
        return results  # the forms cannot be called with these declarations: the reasons are above
    with _corpus_for_checks(cls, corpus_root) as (root, where):
        return results + [_run(f"serves {form} ({where})", lambda form=form: _serves(cls, form, root))
                          for form in cls.forms]


@contextmanager
def _corpus_for_checks(cls: type[Dataset], corpus_root: Path | None) -> Iterator[tuple[Path | None, str]]:
    """The corpora directory the data checks load from, and how to say where that is."""
    if corpus_root is not None:
        if not Path(corpus_root).is_dir():
            raise ConfigError(f"There is no directory {corpus_root}: give the one that holds the corpora.")
        yield Path(corpus_root), f"on {corpus_root}"
    elif cls.check_corpus is not None:
        with resources.as_file(cls.check_corpus) as path:  # a real directory, even from a zip
            yield path, "on its check corpus"
    else:
        yield None, "on the corpus it finds"


def _serves(cls: type[Dataset], form: str, root: Path | None) -> str:
    if root is not None and not root.is_dir():
        return f"its check_corpus {root} is not a directory: ship it as package data"
    try:
        data = getattr(cls(cls.check_options, corpus_root=root), form)(SEED)
    except CorpusError as error:
        if root is not None:
            raise
        return f"{error} (or declare a check_corpus on the dataset, for checks without the real corpus)"
    expected = ClassificationData if form == "classification" else GenerationData
    if not isinstance(data, expected):
        return f"{form}({SEED}) returned a {type(data).__name__}, not workbench.datasets.{expected.__name__}"
    problems = data.problems()
    if problems:
        return "; ".join(problems)
    if getattr(cls(cls.check_options, corpus_root=root), form)(SEED) != data:
        return f"{form}({SEED}) gave other splits the second time: draw every random choice from the seed"
    return ""


def _forms(cls: type[Dataset]) -> str:
    if not cls.forms:
        return f"forms is empty: declare which of {', '.join(FORMS)} the dataset serves"
    unknown = [form for form in cls.forms if form not in FORMS]
    if unknown:
        return f"unknown forms {unknown}: choose from {', '.join(FORMS)}"
    missing = [form for form in cls.forms if not _overrides(cls, Dataset, form)]
    if missing:
        return f"declares {', '.join(missing)} but does not implement the method of that name"
    return ""


def check_task(cls: type[Task]) -> list[CheckResult]:
    """The declarative contract of a task: parameters, form and metric, defaults, methods."""
    return [
        _run("parameters declared", lambda: _declared(cls)),
        _run("options validate", lambda: _options_validate(cls)),
        _run("declares form and metric", lambda: _form_and_metric(cls)),
        _run("cell defaults are valid", lambda: _cell_defaults(cls)),
        _run("implements the task methods", lambda: _task_methods(cls)),
    ]


def _form_and_metric(cls: type[Task]) -> str:
    if cls.form not in FORMS:
        return f"form is {cls.form!r}: choose one of {', '.join(FORMS)}"
    if not isinstance(cls.metric, str) or not cls.metric:
        return "metric is empty: name the validation metric that evaluate() reports"
    if not isinstance(cls.higher_is_better, bool):
        return "higher_is_better must be True or False"
    if not isinstance(cls.metric_names, tuple) or not all(isinstance(n, str) and n for n in cls.metric_names):
        return "metric_names must be a tuple of the metric names that evaluate() reports"
    if not isinstance(cls.train_defaults, dict) or not all(isinstance(k, str) for k in cls.train_defaults):
        return "train_defaults must be a dict of training parameter names to values"
    return ""


def _cell_defaults(cls: type[Task]) -> str:
    common = {param.name: param for param in COMMON_PARAMS}
    for name, value in cls.cell_defaults.items():
        if name not in common:
            return f"cell_defaults sets {name!r}, which not every cell has: use only {', '.join(common)}"
        try:
            common[name].parse(value, "cell_defaults")
        except WorkbenchError as error:
            return str(error)
    return ""


def _task_methods(cls: type[Task]) -> str:
    missing = [name for name in _TASK_METHODS if not _overrides(cls, Task, name)]
    if missing:
        return "does not implement " + ", ".join(missing)
    if "share" not in inspect.signature(cls.evaluate).parameters:
        return ("evaluate() takes no `share`: add `share: float = 1.0` and score that part of the split "
                "(workbench.tasks.evaluation_rows picks it), so time budgets can bound evaluations")
    return ""


def _overrides(cls: type, base: type, name: str) -> bool:
    """Whether a class below `base` defines `name` (bound classmethods defeat an `is` test)."""
    owner = next(klass for klass in cls.__mro__ if name in vars(klass))
    return owner is not base and issubclass(owner, base)


# Loggers -----------------------------------------------------------------------------------------


def check_logger(cls: type[Logger]) -> list[CheckResult]:
    """A logger builds with its defaults, takes every kind of event of a run and closes, whether
    the run finished or failed. Each check gets a fresh temporary run directory."""
    results = [
        _run("parameters declared", lambda: _declared(cls)),
        _run("options validate", lambda: _options_validate(cls)),
        _run("its packages are installed", lambda: _available(cls)),
    ]
    checks: list[tuple[str, Callable[[], str]]] = [
        ("records a finished run", lambda: _feed(cls, _finished_run())),
        ("records a failed run", lambda: _feed(cls, _failed_run())),
        ("records a resumed run", lambda: _feed(cls, _finished_run(), _finished_run(resumed_from=2))),
    ]
    if not results[2].passed:
        skipped = "not run: the logger is not available (see 'its packages are installed')"
        return results + [CheckResult(name, False, skipped) for name, _ in checks]
    return results + [_run(name, check) for name, check in checks]


def _available(cls: type[Logger]) -> str:
    try:
        cls.check_available()
    except WorkbenchError as error:
        return str(error)
    return ""


def _feed(cls: type[Logger], *sessions: list[Event]) -> str:
    """Give each session's events to a new logger on the same run directory, then close it."""
    with tempfile.TemporaryDirectory(prefix="workbench-logger-check-") as run_dir:
        for events in sessions:
            logger = cls(Path(run_dir))
            try:
                for event in events:
                    logger.log(event)
            finally:
                logger.close()
    return ""


_CONFIG = {"dataset": "names", "cell": "gru", "task": "classify", "train": {"seed": 0, "steps": 4},
           "gru": {"hidden_size": 8, "bidirectional": False}}


def _started(resumed_from: int) -> list[Event]:
    return [RunStarted("check", "runs/check", _CONFIG, 1234, "cpu", 4, resumed_from, "accuracy", True,
                       ["loss", "accuracy", "macro_f1"]),
            StateChanged("check", "running")]


def _steps(first: int, last: int) -> list[Event]:
    return [StepDone("check", step, 0, 2.0 / step, 0.002, 900.0, 0.1 * step, 0.1, 32 * step)
            for step in range(first, last + 1)]


def _evaluated(step: int, split: str) -> Evaluated:
    metrics = {"loss": 1.5, "accuracy": 0.5, "per_class": {"German": 0.4, "Italian": 0.6},
               "confusion": [[2, 1], [1, 2]], "classes": ["German", "Italian"]}
    return Evaluated("check", step, split, metrics)


def _finished_run(resumed_from: int = 0) -> list[Event]:
    return [
        *_started(resumed_from), *_steps(resumed_from + 1, resumed_from + 2),
        _evaluated(resumed_from + 2, "validation"),
        Sampled("check", resumed_from + 2, ["Schmidt → German", "two\nlines"]),
        CheckpointSaved("check", resumed_from + 2, "runs/check/checkpoint.safetensors"),
        _evaluated(resumed_from + 2, "test"),
        RunFinished("check", "completed", RunSummary("check", "completed", metric_name="accuracy",
                                                     higher_is_better=True, steps=4)),
    ]


def _failed_run() -> list[Event]:
    return [*_started(0), *_steps(1, 1), StateChanged("check", "paused"),
            RunFailed("check", "cell 'gru' raised RuntimeError: made up", 1)]


# Features ----------------------------------------------------------------------------------------

SAMPLE_PASSAGES = (Passage("Nel mezzo del cammin\ndi «nostra» vita (sì)", "Italian"), Passage(""),
                   Passage("Schmidt", "German"))


def check_feature(cls: type[Feature]) -> list[CheckResult]:
    """A feature's contract: sound parameters, and one finite number per character of any passage."""
    return [
        _run("parameters declared", lambda: _declared(cls)),
        _run("one number per character", lambda: _feature_values(cls)),
    ]


def _feature_values(cls: type[Feature]) -> str:
    variants = cls.variants(["German", "Italian"])
    if not variants or not all(isinstance(feature, Feature) for feature in variants):
        return "variants() must return a non-empty list of features"
    for feature in variants:
        for passage in SAMPLE_PASSAGES:
            values = feature.values(passage)
            if len(values) != len(passage.text):
                return f"{feature.title} gave {len(values)} values for {len(passage.text)} characters " \
                       f"of {passage.text!r}: give one per character"
            if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
                return f"{feature.title} gave a value that is not a finite number for {passage.text!r}"
    return ""
