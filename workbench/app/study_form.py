"""The set-up's study section: a name, seeds, workers, trials, sampler, pruner, a grid and a search
space for the experiment on screen.

Its fields are the `[study]` table's own declarations (workbench.studies.spec), and the grid and
the search space are typed as the lines of `[study.grid]` and `[study.search]` tables and read by
the same parsers, so the app accepts and refuses exactly what a study file does: a config file's
`[study]` table fills the section (`show`), and the section gives the table back (`request`). With
one seed, one worker and neither grid nor search space the set-up trains its runs as usual; asking
for more makes it a study (a StartStudy request).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static, TextArea

from workbench.app.param_form import ParamForm
from workbench.errors import ConfigError
from workbench.params import resolve
from workbench.studies.grouping import SEED_KEY
from workbench.studies.space import (
    Dimension,
    grid_lines,
    parse_grid_lines,
    parse_search_lines,
    search_lines,
)
from workbench.studies.spec import (
    HEARTBEAT,
    NAME,
    PRUNER,
    PRUNER_STARTUP,
    SAMPLER,
    SEEDS,
    STUDY_OWNER,
    TRIALS,
    WORKERS,
    StudyRequest,
    StudySpec,
    build_spec,
    default_study_name,
    seed_list,
)

if TYPE_CHECKING:
    from workbench.config import Compare
    from workbench.registry import Registry

    Experiment = Callable[[], tuple[Registry, Compare]]

FIELDS = (NAME, SEEDS, WORKERS, TRIALS, SAMPLER, PRUNER, PRUNER_STARTUP, HEARTBEAT)
GRID, SEARCH = "grid", "search"


class Editor(NamedTuple):
    """One of the section's editors of lines: its title, the help shown while its lines are sound,
    its placeholder example and its TextArea's id."""

    title: str
    help: str
    example: str
    widget_id: str


EDITORS = {
    GRID: Editor("grid", "every combination trains, one parameter a line, as in a study file's "
                         '[study.grid]: train.batch_size = [32, 64] or cell = ["gru", "lstm"]',
                 "train.batch_size = [32, 64]", "grid-values"),
    SEARCH: Editor("search space", "sampled for each trial, one parameter a line, as in a study file's "
                                   "[study.search]: a range { low = 1e-4, high = 1e-2, log = true } or "
                                   "choices [128, 256]",
                   "train.learning_rate = { low = 1e-4, high = 1e-2, log = true }\n"
                   "cell.hidden_size = [128, 256]", "search-space"),
}


class StudyForm(Vertical):
    """The study's fields, and the grid and search space editors.

    `experiment` gives the registry and the set-up's cells and options (or raises ConfigError
    while they are not ready): the grid and the search space are checked against the chosen
    plugins' parameters as they are typed.
    """

    def __init__(self, experiment: Experiment, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="study-form")
        self.experiment = experiment
        self.errors: dict[str, str] = {}  # by editor, the reason its lines are refused

    def compose(self) -> ComposeResult:
        yield ParamForm("study", STUDY_OWNER, FIELDS, id="form-study")
        for name, editor in EDITORS.items():
            yield Label(editor.title, classes="param-name")
            yield Static(editor.help, id=f"{name}-message", classes="study-message")
            yield TextArea(id=editor.widget_id, classes="study-lines", soft_wrap=False,
                           show_line_numbers=True, compact=True, placeholder=editor.example)

    @property
    def numbers(self) -> ParamForm:
        return self.query_one("#form-study", ParamForm)

    def _editor(self, editor: str) -> TextArea:
        return self.query_one(f"#{EDITORS[editor].widget_id}", TextArea)

    # Reading the section
    def request(self) -> StudyRequest:
        """The section as a `[study]` table declares it; raises ConfigError naming the field or the
        line at fault (and marks it). Trials are declared with a search space, or when set."""
        grid, space = self._lines()
        values = self.numbers.values()
        given_trials = bool(space) or self.numbers.field("trials").touched
        return StudyRequest(name=values["name"].strip() or None,
                            trials=values["trials"] if given_trials else None,
                            seeds=values["seeds"] if values["seeds"] > 1 else None,
                            sampler=values["sampler"], pruner=values["pruner"],
                            pruner_startup=values["pruner_startup"], heartbeat=values["heartbeat"],
                            workers=values["workers"], grid=grid, space=space)

    @staticmethod
    def asks_for_study(request: StudyRequest) -> bool:
        """True unless the section asks for one seed, one worker and nothing varied: plain runs."""
        return bool(request.seeds or request.workers > 1 or request.grid or request.space)

    def declare(self, registry: Registry, compare: Compare) -> tuple[StudySpec, int] | None:
        """The study these fields ask of `compare` and its number of worker processes, or None when
        they ask for plain runs; raises ConfigError naming the field (and marks it) when something
        is wrong."""
        request = self.request()
        if not self.asks_for_study(request):
            return None
        return self._bind(registry, compare, request), request.workers

    def _lines(self) -> tuple[dict[str, list[Any]], list[Dimension]]:
        """The grid and the search space as typed; each editor says what is wrong with its lines."""
        read: dict[str, Any] = {}
        first = None
        for editor, parse in ((GRID, parse_grid_lines), (SEARCH, parse_search_lines)):
            try:
                read[editor] = parse(self._editor(editor).text)
            except ConfigError as error:
                self._show(editor, str(error))
                first = first or error
                continue
            self._show(editor, None)
        if first is not None:
            raise first
        return read[GRID], read[SEARCH]

    def _bind(self, registry: Registry, compare: Compare, request: StudyRequest) -> StudySpec:
        """The study checked against the plugins, a mistake shown under the editor at fault: the
        grid is checked alone first (the chosen cells and the seeds are part of it), then with
        the search space."""
        request = _named(request, compare)
        for editor, checked in ((GRID, replace(request, space=[])), (SEARCH, request)):
            try:
                spec = build_spec(registry, compare, checked)
            except ConfigError as error:
                self._show(editor, str(error))
                raise
            self._show(editor, None)
        return spec

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Check the lines as they are typed, against the plugins once the rest of the set-up is sound."""
        event.stop()
        try:
            request = self.request()
            if not (request.grid or request.space):
                return
            registry, compare = self.experiment()
            self._bind(registry, compare, request)
        except ConfigError:
            return  # shown under its editor, or in red in its field elsewhere: starting checks again

    def _show(self, editor: str, error: str | None) -> None:
        message = self.query_one(f"#{editor}-message", Static)
        message.update(Text(error) if error is not None else EDITORS[editor].help)  # quotes what was typed
        message.set_class(error is not None, "-invalid")
        self._editor(editor).set_class(error is not None, "-invalid")
        if error is None:
            self.errors.pop(editor, None)
        else:
            self.errors[editor] = error
        self.set_class(bool(self.errors), "-invalid")

    # Filling the section from a config file
    @staticmethod
    def check(registry: Registry, compare: Compare, request: StudyRequest) -> None:
        """Raise the ConfigError that `request` (a file's `[study]` table) would meet in the
        section or when started, before anything on screen changes."""
        values, _, _ = _shown(request)
        resolve(STUDY_OWNER, FIELDS, values)
        build_spec(registry, compare, _named(request, compare))

    def show(self, request: StudyRequest | None) -> None:
        """Fill the section from a `[study]` table that `check` accepted (None: a config without
        one), every field it leaves out at its default."""
        values, grid, space = _shown(request) if request is not None else ({}, {}, [])
        form = self.numbers
        form.load(values)
        for field in form.fields:
            if field.param.name not in values:
                field.set_value(field.param.default, touched=False)
        self._editor(GRID).text = grid_lines(grid)
        self._editor(SEARCH).text = search_lines(space)


def _shown(request: StudyRequest) -> tuple[dict[str, Any], dict[str, list[Any]], list[Dimension]]:
    """The field values, grid and search space that show `request`. The seeds field counts seeds
    from 0, so other seeds (`seeds = [3, 7]`) stand in the grid as train.seed, which means the same."""
    values = {param.name: getattr(request, param.name) for param in FIELDS
              if getattr(request, param.name) is not None}
    grid = dict(request.grid)
    seeds = seed_list(request.seeds)
    if seeds == list(range(len(seeds))):
        values["seeds"] = len(seeds) or SEEDS.default
    else:
        values["seeds"] = SEEDS.default
        grid[SEED_KEY] = seeds
    return values, grid, list(request.space)


def _named(request: StudyRequest, compare: Compare) -> StudyRequest:
    """A request with no name gets a new study's (its data, task and the time)."""
    return request if request.name else replace(request, name=default_study_name(compare.base))
