"""The set-up's study section: seeds, workers and a search space for the experiment on screen.

Its fields are the `[study]` table's own declarations (workbench.studies.spec), and the search
space is typed as the lines of a `[study.search]` table and read by the same parser, so the app
accepts and refuses exactly what a study file does. With one seed, one worker and no search space
the set-up trains its runs as usual; asking for more makes it a study (a StartStudy request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static, TextArea

from workbench.app.param_form import ParamForm
from workbench.errors import ConfigError
from workbench.studies.space import Dimension, parse_search_lines
from workbench.studies.spec import (
    PRUNER,
    SAMPLER,
    SEEDS,
    STUDY_OWNER,
    TRIALS,
    WORKERS,
    StudyRequest,
    StudySpec,
    build_spec,
    default_study_name,
)

if TYPE_CHECKING:
    from workbench.config import Compare
    from workbench.registry import Registry

    Experiment = Callable[[], tuple[Registry, Compare]]

SEARCH_HELP = ("one parameter a line, as in a study file's [study.search]: a range "
               "{ low = 1e-4, high = 1e-2, log = true } or choices [128, 256]")
SEARCH_PLACEHOLDER = ("train.learning_rate = { low = 1e-4, high = 1e-2, log = true }\n"
                      "cell.hidden_size = [128, 256]")


class StudyForm(Vertical):
    """Seeds, workers, trials, sampler and pruner fields, and the search space editor.

    `experiment` gives the registry and the set-up's cells and options (or raises ConfigError
    while they are not ready): the search space is checked against the chosen plugins'
    parameters as it is typed.
    """

    def __init__(self, experiment: Experiment, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="study-form")
        self.experiment = experiment
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield ParamForm("study", STUDY_OWNER, (SEEDS, WORKERS, TRIALS, SAMPLER, PRUNER), id="form-study")
        yield Label("search space", classes="param-name")
        yield Static(SEARCH_HELP, id="search-message")
        yield TextArea(id="search-space", soft_wrap=False, show_line_numbers=True, compact=True,
                       placeholder=SEARCH_PLACEHOLDER)

    @property
    def numbers(self) -> ParamForm:
        return self.query_one("#form-study", ParamForm)

    @property
    def search_text(self) -> str:
        return self.query_one("#search-space", TextArea).text

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        try:
            dimensions = parse_search_lines(self.search_text)
            self._check_against_plugins(dimensions)
        except ConfigError as error:
            self._show(str(error))
            return
        self._show(None)

    def _check_against_plugins(self, dimensions: list[Dimension]) -> None:
        """Bind the dimensions to the chosen plugins' parameters, when the rest of the set-up is sound."""
        if not dimensions:
            return
        try:
            registry, compare = self.experiment()
        except ConfigError:
            return  # the field in red elsewhere comes first; starting checks everything again
        build_spec(registry, compare, StudyRequest(name="search space", space=dimensions))

    def _show(self, error: str | None) -> None:
        self.error = error
        message = self.query_one("#search-message", Static)
        message.update(Text(error) if error is not None else SEARCH_HELP)  # quotes what was typed
        self.set_class(error is not None, "-invalid")

    def declare(self, registry: Registry, compare: Compare) -> tuple[StudySpec, int] | None:
        """The study these fields ask of `compare` and its number of worker processes, or None when
        they ask for plain runs; raises ConfigError naming the field (and marks it) when something
        is wrong."""
        values = self.numbers.values()
        try:
            dimensions = parse_search_lines(self.search_text)
        except ConfigError as error:
            self._show(str(error))
            raise
        seeds, workers = values["seeds"], values["workers"]
        if seeds == 1 and workers == 1 and not dimensions:
            return None
        request = StudyRequest(name=default_study_name(compare.base), seeds=seeds if seeds > 1 else None,
                               trials=values["trials"] if dimensions else None, sampler=values["sampler"],
                               pruner=values["pruner"], workers=workers, space=dimensions)
        try:
            spec = build_spec(registry, compare, request)
        except ConfigError as error:
            self._show(str(error))  # the grid is the chosen cells and the seeds: the search is at fault
            raise
        self._show(None)
        return spec, workers
