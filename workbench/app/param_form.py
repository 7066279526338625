"""Forms generated from Param declarations: one field per parameter, checked as you type.

A field picks its control from the declaration (Switch for bool, Select for choices, Input for the
rest), starts at the default, and shows either the help text or, when the value is bad, the reason
beside the control. A plugin's parameters need no app code to appear here. A dataset that reads a
path a person gives also gets a line that says what the path holds (SourcePreview).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, Switch

from workbench.app.source_preview import SourcePreview, summarises_its_source
from workbench.errors import ConfigError
from workbench.params import Param, resolve

if TYPE_CHECKING:
    from workbench.datasets import Dataset


class ParamField(Horizontal):
    """One parameter: its name, a control for its type, and the help text or the error."""

    class Edited(Message):
        """The field's value changed, by a person or by code."""

    def __init__(self, param: Param, owner: str, value: Any = None, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="param-field")
        self.param = param
        self.owner = owner
        self.default = param.default if value is None else value
        self.touched = False
        self.error: str | None = None
        self._placed: Any = None  # the raw value last put in the control by code, not by a person

    def compose(self) -> ComposeResult:
        yield Label(self.param.name, classes="param-name")
        yield self._control(self.default)
        yield Static(self._help(), classes="param-message")

    def _control(self, value: Any) -> Input | Select | Switch:
        if self.param.type is bool:
            self._placed = bool(value)
            return Switch(value=self._placed, classes="param-control")  # one line high, see app.tcss
        if self.param.choices is not None:
            self._placed = value
            options = [(str(choice), choice) for choice in self.param.choices]
            return Select(options, value=value, allow_blank=False, compact=True, classes="param-control")
        self._placed = _show(value)
        placeholder = "" if self.param.type is str else self.param.describe_range()
        return Input(value=self._placed, placeholder=placeholder, compact=True, classes="param-control")

    def _help(self) -> str:
        """The help text, with the allowed range where the control does not already show it."""
        if self.param.type is bool or self.param.choices is not None:
            return self.param.help
        return f"{self.param.help} ({self.param.describe_range()})"

    @property
    def control(self) -> Input | Select | Switch:
        control = self.query_one(".param-control")
        assert isinstance(control, (Input, Select, Switch))
        return control

    @property
    def value(self) -> Any:
        """The checked value; raises ConfigError naming the field when it is bad."""
        return self.param.parse(self.control.value, self.owner)

    def set_value(self, value: Any, *, touched: bool = True) -> None:
        control = self.control
        self._placed = _show(value) if isinstance(control, Input) else value
        control.value = self._placed
        self.touched = touched
        self.validate_now()

    def set_default(self, value: Any) -> None:
        """A new default (another task's preference) replaces the value only if nobody edited it."""
        self.default = value
        if not self.touched:
            self.set_value(value, touched=False)

    def validate_now(self) -> bool:
        message = self.query_one(".param-message", Static)
        try:
            self.value  # noqa: B018 - parsing is the check
        except ConfigError as error:
            self.error = str(error)
            message.update(Text(self.error))  # it quotes what was typed: never read as markup
            self.add_class("-invalid")
            return False
        self.error = None
        message.update(self._help())
        self.remove_class("-invalid")
        return True

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.add_class("-focused")  # narrow layouts show the help of the focused field only

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.remove_class("-focused")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._edited(event)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._edited(event)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        self._edited(event)

    def _edited(self, event: Message) -> None:
        event.stop()
        if self.control.value != self._placed:
            self.touched = True
        self.validate_now()
        self.post_message(self.Edited())


class ParamForm(Vertical):
    """All parameters of one plugin (or of training), titled, with their current values."""

    def __init__(self, title: str, owner: str, params: Iterable[Param],
                 values: Mapping[str, Any] | None = None, *, id: str | None = None,
                 dataset: type[Dataset] | None = None) -> None:
        super().__init__(id=id, classes="param-form")
        self.title = title
        self.owner = owner
        self.params = tuple(params)
        self.initial = dict(values or {})
        self.dataset = dataset if dataset is not None and summarises_its_source(dataset) else None

    def compose(self) -> ComposeResult:
        yield Label(self.title, classes="form-title")
        if not self.params:
            yield Static("no options", classes="param-message")
        for param in self.params:
            yield ParamField(param, self.owner, self.initial.get(param.name), id=f"field-{param.name}")
        if self.dataset is not None:
            yield SourcePreview(self.dataset)

    def on_mount(self) -> None:
        self._preview()

    def on_param_field_edited(self, event: ParamField.Edited) -> None:
        event.stop()
        self._preview()

    def _preview(self) -> None:
        """Ask the source preview, if any, about the options as they now stand."""
        if self.dataset is None:
            return
        try:
            options = self.values()
        except ConfigError:
            return  # the field in red says what is wrong
        self.query_one(SourcePreview).show_for(options)

    @property
    def fields(self) -> list[ParamField]:
        return list(self.query(ParamField))

    def field(self, name: str) -> ParamField:
        return self.query_one(f"#field-{name}", ParamField)

    def values(self, *, changed_only: bool = False) -> dict[str, Any]:
        """Checked values by name; raises the first field's ConfigError if any is bad.

        `changed_only` keeps the values that differ from what the config would get anyway.
        """
        values = {}
        for field in self.fields:
            value = field.value
            if not changed_only or value != field.default:
                values[field.param.name] = value
        return values

    def problems(self) -> list[str]:
        return [field.error for field in self.fields if not field.validate_now() and field.error]

    def load(self, values: Mapping[str, Any]) -> None:
        """Fill the form from a config; values a run would refuse (an unknown name, a bad value)
        are the same ConfigError here, raised before any field changes."""
        resolve(self.owner, self.params, values)
        for field in self.fields:
            if field.param.name in values:
                field.set_value(values[field.param.name])

    def set_defaults(self, defaults: Mapping[str, Any]) -> None:
        for field in self.fields:
            if field.param.name in defaults:
                field.set_default(defaults[field.param.name])


def _show(value: Any) -> str:
    return "" if value is None else str(value)
