"""Declared parameters: parsing from CLI strings and TOML values, range checks, declaration problems."""

import pytest

from workbench.errors import ConfigError
from workbench.params import Param, declaration_problems, resolve

HIDDEN = Param("hidden_size", int, 256, "units", min=1, max=1024)
MODE = Param("mode", str, "tanh", "nonlinearity", choices=("tanh", "relu"))
RATE = Param("rate", float, 0.1, "learning rate", min=0.0)
FLAG = Param("flag", bool, False, "a switch")


@pytest.mark.parametrize(
    ("param", "raw", "expected"),
    [
        (HIDDEN, "128", 128),
        (HIDDEN, 64, 64),
        (RATE, "3e-4", 3e-4),
        (RATE, 1, 1.0),
        (FLAG, "yes", True),
        (FLAG, "off", False),
        (FLAG, True, True),
        (MODE, "relu", "relu"),
    ],
)
def test_parse_accepts_strings_and_native_values(param, raw, expected):
    assert param.parse(raw) == expected
    assert type(param.parse(raw)) is param.type


@pytest.mark.parametrize(
    ("param", "raw", "message"),
    [
        (HIDDEN, "big", "not a valid int"),
        (HIDDEN, 0, "too small"),
        (HIDDEN, 4096, "too large"),
        (HIDDEN, True, "hidden_size = true has the wrong type"),
        (HIDDEN, 1.5, "wrong type"),
        (FLAG, "maybe", 'flag = "maybe" is not a valid bool'),
        (MODE, "sigmoid", 'mode = "sigmoid" is not allowed: choose one of "tanh", "relu"'),
    ],
)
def test_parse_rejects_bad_values_naming_the_field(param, raw, message):
    with pytest.raises(ConfigError) as caught:
        param.parse(raw, owner="cell 'gru'")
    assert message in str(caught.value)
    assert f"cell 'gru'.{param.name}" in str(caught.value)


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", float("nan"), float("inf")])
def test_floats_must_be_finite_unless_declared_otherwise(raw):
    with pytest.raises(ConfigError, match="is not a finite number"):
        RATE.parse(raw, owner="train")  # nan slips past `min`: every comparison with it is false
    unbounded = Param("scale", float, 1.0, "any number, infinity included", finite=False)
    assert unbounded.parse(raw) != 0.0
    assert declaration_problems([Param("bad", float, float("inf"), "x")]) != []


def test_resolve_fills_defaults_and_rejects_unknown_names():
    assert resolve("cell 'x'", [HIDDEN, MODE], {"mode": "relu"}) == {"hidden_size": 256, "mode": "relu"}
    with pytest.raises(ConfigError) as caught:
        resolve("cell 'x'", [HIDDEN, MODE], {"hiden_size": 3})
    assert "'hiden_size'" in str(caught.value) and "hidden_size, mode" in str(caught.value)


def test_declaration_problems_catches_each_mistake():
    assert declaration_problems([HIDDEN, MODE, RATE, FLAG]) == []
    problems = declaration_problems(
        [
            Param("bad name", int, 1, "x"),
            Param("twice", int, 1, "x"),
            Param("twice", int, 1, "x"),
            Param("listy", list, [], "x"),
            Param("silent", int, 1, " "),
            Param("outside", int, 0, "x", min=1),
            "not a param",
        ]
    )
    joined = "\n".join(problems)
    for expected in ("not an identifier", "declared twice", "use bool, int, float or str",
                     "no help text", "fails its own rules", "not a workbench.params.Param"):
        assert expected in joined
