"""The set-up screen: pick a dataset, a task, one or more cells and loggers, fill their forms, start.

Everything on it comes from the registry: a third-party plugin's parameters get a form with no
app change. The forms also read and write TOML configs (a path typed in the input at the left),
with a `[study]` table when the study section asks for a study. A config, typed or remembered from
the last launch, is checked whole before it changes anything, and then replaces the whole set-up:
options it does not set go back to their defaults.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, LoadingIndicator, Select, SelectionList

from workbench.app import last_setup
from workbench.app.confirm_screen import ConfirmScreen
from workbench.app.logger_picker import LoggerPicker
from workbench.app.nav_bar import NavBar
from workbench.app.param_form import ParamForm
from workbench.app.requests import ChangeRunsDir, StartRuns, StartStudy
from workbench.app.study_form import StudyForm
from workbench.app.tick_list import TickList
from workbench.app.workspace import Workspace
from workbench.errors import ConfigError
from workbench.runs.atomic import atomic_write

if TYPE_CHECKING:
    from workbench.config import Compare
    from workbench.datasets import Dataset
    from workbench.registry import Registry
    from workbench.studies.spec import StudyRequest


class SetupScreen(Screen):
    """Choose plugins and options; `start` asks the App to run a Compare (one run per chosen cell)."""

    BINDINGS = [
        Binding("ctrl+r", "start", "Start", priority=True),
        Binding("ctrl+o", "load_config", "Load config", priority=True),
        Binding("ctrl+s", "save_config", "Save config", priority=True),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(id="setup")
        self.workspace = workspace
        self.registry: Registry | None = None
        self._forms: dict[str, ParamForm] = {}
        self._loggers: LoggerPicker | None = None  # made once the registry says which are installed
        self._study: StudyForm | None = None  # seeds, workers and a search space, after the plugins' forms
        self._corpora: Path | None = None  # kept from a loaded config: the forms do not show it
        self._rebuilding = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield NavBar()
        with Horizontal(id="setup-body"):
            with Vertical(id="choices"):
                yield Label("Dataset", classes="choice-title")
                yield Select([], id="dataset", prompt="loading…", compact=True, disabled=True)
                yield Label("Task", classes="choice-title")
                yield Select([], id="task", prompt="loading…", compact=True, disabled=True)
                yield Label("Cells [dim](space picks)[/]", classes="choice-title")
                yield TickList(id="cells")
                yield Label("Config file", classes="choice-title")
                yield Input(placeholder="path/to/run.toml", id="config-path", compact=True)
                with Horizontal(id="config-buttons"):
                    yield Button("Load", id="load", compact=True)
                    yield Button("Save", id="save", compact=True)
                yield Button("Start ▶", id="start", variant="success", compact=True)
            with VerticalScroll(id="forms"):
                yield LoadingIndicator(id="loading")
                yield Label("loading plugins…", id="loading-label")
        yield Footer(compact=True)

    # Filling the screen once the registry has loaded
    async def show_registry(self, registry: Registry) -> None:
        """Offer the installed plugins, then bring back the last set-up if there is a usable one."""
        datasets = registry.names("dataset")
        await self._replace_select("dataset", datasets, "names" if "names" in datasets else None)
        await self._replace_select("task", registry.names("task"), None)
        cells = self.query_one("#cells", SelectionList)
        cells.clear_options()
        names = registry.names("cell")
        preferred = "lstm" if "lstm" in names else (names[0] if names else None)
        cells.add_options([(name, name, name == preferred) for name in names])
        from workbench.config import ALWAYS_ON_LOGGER

        names = [name for name in registry.names("logger") if name != ALWAYS_ON_LOGGER]
        self._loggers = LoggerPicker(names, id="logger-picker")
        self._study = StudyForm(self._experiment, id="study-form")
        self.registry = registry  # only now: the controls' change handlers need the new selects
        await self.query("#loading, #loading-label").remove()
        if not await self._recall_last_setup():
            self._pick_task_for(self._chosen("#dataset"))
            await self._rebuild_forms()

    async def _replace_select(self, select_id: str, names: list[str], value: str | None) -> None:
        """Swap the disabled "loading…" placeholder for a Select of `names` with no blank entry."""
        placeholder = self.query_one(f"#{select_id}", Select)
        parent = placeholder.parent
        assert parent is not None
        position = list(parent.children).index(placeholder)
        await placeholder.remove()
        options = [(name, name) for name in names]
        if names:
            select = Select(options, value=value if value in names else names[0], allow_blank=False,
                            compact=True, id=select_id)
        else:
            select = Select([], prompt=f"no {select_id} plugin installed", compact=True, id=select_id,
                            disabled=True)
        await parent.mount(select, before=position)

    async def _recall_last_setup(self) -> bool:
        """Show the set-up of the last launch; False when there is none or it no longer fits."""
        try:
            recalled = last_setup.recall()
            if recalled is None:
                return False
            await self.show_config(*recalled)
        except ConfigError as error:
            self.notify(f"The last set-up was not restored: {error}", title="Set-up",
                        severity="warning", timeout=8)
            return False
        return True

    def _pick_task_for(self, dataset_name: Any) -> None:
        """Choose the first task whose data form the dataset serves."""
        if self.registry is None or not isinstance(dataset_name, str):
            return
        forms = self.registry.get("dataset", dataset_name).cls.forms
        task = self.query_one("#task", Select)
        if isinstance(task.value, str) and self.registry.get("task", task.value).cls.form in forms:
            return
        for name in self.registry.names("task"):
            if self.registry.get("task", name).cls.form in forms:
                task.value = name
                return

    @property
    def chosen_cells(self) -> list[str]:
        return list(self.query_one("#cells", SelectionList).selected)

    def _chosen(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else None

    async def _rebuild_forms(self) -> None:
        """Forms for the chosen plugins, keeping values already typed for plugins still chosen.

        One rebuild at a time: every change of a control asks for one, and a rebuild that removed
        forms another was still mounting would leave half-mounted widgets behind.
        """
        async with self._rebuilding:
            await self._rebuild_forms_now()

    async def _rebuild_forms_now(self) -> None:
        if self.registry is None:
            return
        registry = self.registry
        from workbench.config import TRAIN_OWNER, TRAIN_PARAMS, train_defaults

        forms = self.query_one("#forms", VerticalScroll)
        dataset, task = self._chosen("#dataset"), self._chosen("#task")
        task_cls = registry.get("task", task).cls if task else None
        wanted: list[ParamForm | LoggerPicker | StudyForm] = []
        if dataset:
            dataset_cls = registry.get("dataset", dataset).cls
            wanted.append(self._form("dataset", dataset, dataset_cls.params, dataset=dataset_cls))
        if task_cls is not None:
            wanted.append(self._form("task", task, task_cls.params))
        cell_defaults = task_cls.cell_defaults if task_cls else {}
        for cell in self.chosen_cells:
            wanted.append(self._form("cell", cell, registry.get("cell", cell).cls.params, cell_defaults))
        defaults = train_defaults(task_cls.train_defaults if task_cls else None)
        wanted.append(self._form("train", TRAIN_OWNER, TRAIN_PARAMS, defaults))
        wanted.extend(extra for extra in (self._loggers, self._study) if extra is not None)
        stale = [child for child in forms.children if child not in wanted]
        for key in [key for key, form in self._forms.items() if form in stale]:
            del self._forms[key]
        await forms.remove_children(stale)
        for index, form in enumerate(wanted):
            if form.parent is None:
                if index < len(forms.children):
                    await forms.mount(form, before=index)
                else:
                    await forms.mount(form)

    def _form(self, kind: str, name: str, params: Any, defaults: dict[str, Any] | None = None,
              dataset: type[Dataset] | None = None) -> ParamForm:
        key = f"{kind}:{name}"
        defaults = defaults or {}
        form = self._forms.get(key)
        if form is None:
            title = "training" if kind == "train" else f"{kind} · {name}"
            owner = "train" if kind == "train" else f"{kind} {name!r}"
            values = {p.name: defaults[p.name] for p in params if p.name in defaults}
            form = ParamForm(title, owner, params, values, id=f"form-{kind}-{_css_id(name)}", dataset=dataset)
            self._forms[key] = form
        elif form.is_mounted:
            form.set_defaults({p.name: defaults.get(p.name, p.default) for p in params})
        return form

    async def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "dataset":
            self._pick_task_for(self._chosen("#dataset"))  # the value now, not the event's: a
            # loaded config may have changed it since
        if event.select.id in ("dataset", "task"):
            await self._rebuild_forms()

    async def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        if event.selection_list.id == "cells":
            await self._rebuild_forms()

    # Turning the screen into a config, and back
    def config(self) -> Compare:
        """The run(s) the forms describe; raises ConfigError naming the first bad field."""
        from workbench.config import Compare, RunConfig

        dataset, task, cells = self._chosen("#dataset"), self._chosen("#task"), self.chosen_cells
        if self.registry is None:
            raise ConfigError("The plugins are still loading; try again in a moment.")
        if not dataset or not task:
            raise ConfigError("Choose a dataset and a task at the top left.")
        if not cells:
            raise ConfigError("Choose at least one cell in the Cells list (space picks one).")
        problems = [p for form in self.query(ParamForm) for p in form.problems()]
        if problems:
            raise ConfigError(f"{problems[0]} (fix the field marked in red and start again)")
        shared = RunConfig(
            dataset=dataset,
            cell=cells[0],
            task=task,
            dataset_options=self._values("dataset", dataset),
            task_options=self._values("task", task),
            train=self._values("train", "train"),
            plugin_options={cell: values for cell in cells if (values := self._values("cell", cell))},
            loggers=self._loggers.chosen if self._loggers is not None else [],
            runs_dir=self.workspace.runs_dir,
            corpora=self._corpora,
        )
        return Compare(shared, tuple(cells))

    def _experiment(self) -> tuple[Registry, Compare]:
        """The registry and the set-up on screen, for checking a search space as it is typed."""
        config = self.config()  # raises while the plugins load or a field is bad
        assert self.registry is not None
        return self.registry, config

    def _values(self, kind: str, name: str) -> dict[str, Any]:
        form = self._forms.get(f"{kind}:{name}")
        return form.values(changed_only=True) if form is not None else {}

    async def show_config(self, compare: Compare, study: StudyRequest | None = None) -> None:
        """Replace the whole set-up with `compare` and the study section with `study` (a config's
        `[study]` table, if it has one), or raise ConfigError having changed nothing.

        The config is validated as a run (and the study as a study) would be first; then every
        control is set from it, and the forms are built afresh so options the config does not set
        show their defaults.
        """
        registry = self.registry
        if registry is None or self._study is None:
            raise ConfigError("The plugins are still loading; try again in a moment.")
        compare.resolve(registry)
        if study is not None:
            self._study.check(registry, compare, study)
        config = compare.base
        async with self._rebuilding:  # the rebuilds the controls' changes ask for wait for this one
            self.query_one("#dataset", Select).value = config.dataset
            self.query_one("#task", Select).value = config.task
            cells = self.query_one("#cells", SelectionList)
            cells.deselect_all()
            for cell in compare.cells:
                cells.select(cell)
            self._forms.clear()  # every form is rebuilt from its defaults, none keeps a stale value
            await self._rebuild_forms_now()
            chosen = [("dataset", config.dataset), ("task", config.task),
                      *(("cell", c) for c in compare.cells)]
            for kind, name in chosen:
                self._forms[f"{kind}:{name}"].load(config.options_for(kind, name))
            self._forms["train:train"].load(config.train)
            if self._loggers is not None:
                self._loggers.choose(config.loggers)
            self._study.show(study)
        self._corpora = config.corpora

    # Actions
    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"start": self.action_start, "load": self.action_load_config,
                   "save": self.action_save_config}
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    def action_start(self) -> None:
        try:
            config = self.config()
            config.resolve(self.registry)  # every mistake now, not when the run opens
            study = self._study.declare(self.registry, config) if self._study is not None else None
        except ConfigError as error:
            self.notify(str(error), title="Cannot start", severity="error", timeout=8)
            return
        self.remember()
        if study is None:
            self.post_message(StartRuns(config))
        else:
            spec, workers = study
            self.post_message(StartStudy(spec, workers, self.workspace.runs_dir, config.base.corpora))

    def remember(self) -> None:
        """Keep the set-up on screen for the next launch, study section included, if it is a
        complete one."""
        try:
            last_setup.remember(self.config(), self._study_request(always=True))
        except ConfigError:
            return  # an unfinished set-up is not worth keeping over the last good one
        except OSError as error:
            self.notify(f"Cannot remember this set-up in {last_setup.last_setup_path()}: "
                        f"{error.strerror}.", severity="warning")

    def _study_request(self, *, always: bool) -> StudyRequest | None:
        """The study section as a `[study]` table: always (to restore the section as it was), or
        only when it asks for a study (a config for plain runs has no such table)."""
        if self._study is None:
            return None
        request = self._study.request()
        return request if always or self._study.asks_for_study(request) else None

    def _path(self) -> Path | None:
        text = self.query_one("#config-path", Input).value.strip()
        if not text:
            self.notify("Type the path of a TOML config file in the Config file box first.",
                        severity="warning")
            self.query_one("#config-path", Input).focus()
            return None
        return Path(text).expanduser()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "config-path":
            self.action_load_config()

    def action_load_config(self) -> None:
        path = self._path()
        if path is None:
            return
        from workbench.studies.spec import read_config_file

        try:
            config, study = read_config_file(path)
        except ConfigError as error:
            self.notify(str(error), title="Cannot load config", severity="error", timeout=8)
            return
        self.run_worker(self._show_loaded(config, study, path), exclusive=True, group="load-config")

    async def _show_loaded(self, config: Compare, study: StudyRequest | None, path: Path) -> None:
        try:
            await self.show_config(config, study)
        except ConfigError as error:
            self.notify(str(error), title="Cannot load config", severity="error", timeout=8)
            return
        if config.base.runs_dir is not None:
            self.post_message(ChangeRunsDir(config.base.runs_dir))
        self.notify(f"Loaded {path}.")

    def action_save_config(self) -> None:
        path = self._path()
        if path is None:
            return
        from workbench.studies.spec import config_file_text

        try:
            text = config_file_text(self.config(), self._study_request(always=False))
        except ConfigError as error:
            self.notify(str(error), title="Cannot save config", severity="error", timeout=8)
            return
        if path.exists():
            def answered(overwrite: bool | None) -> None:
                if overwrite:
                    self._save(path, text)

            self.app.push_screen(ConfirmScreen(f"{path} exists. Replace it with this set-up?",
                                               yes="Replace", no="Keep it"), answered)
            return
        self._save(path, text)

    def _save(self, path: Path, text: str) -> None:
        try:
            atomic_write(path, text.encode("utf-8"))
        except OSError as error:
            self.notify(f"Cannot write {path}: {error.strerror}. Choose another path.",
                        title="Cannot save config", severity="error", timeout=8)
            return
        self.notify(f"Saved {path}.")


def _css_id(name: str) -> str:
    return "".join(char if char.isalnum() or char in "-_" else "-" for char in name)
