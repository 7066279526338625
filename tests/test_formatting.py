"""Values read the way a config file writes them, wherever they are shown."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from workbench.formatting import format_value

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (False, "false"),
        (True, "true"),
        (256, "256"),
        (0.003, "0.003"),
        (1e-05, "1e-05"),
        ("tanh", '"tanh"'),
        ("", '""'),
        ('say "ciao"\n', r'"say \"ciao\"\n"'),
        ("perché", '"perché"'),
        (["rnn", "gru"], '["rnn", "gru"]'),
        (Path("runs/a"), '"runs/a"'),
        ({"lowercase": True}, '{"lowercase" = true}'),
    ],
)
def test_values_are_written_as_toml_writes_them(value, shown):
    assert format_value(value) == shown
    assert tomllib.loads(f"key = {shown}")["key"] == (str(value) if isinstance(value, Path) else value)


def test_non_finite_floats_are_toml_too():
    assert tomllib.loads(f"key = {format_value(math.inf)}")["key"] == math.inf
    assert math.isnan(tomllib.loads(f"key = {format_value(math.nan)}")["key"])
