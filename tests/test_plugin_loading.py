"""A broken plugin is reported with its package and reason, and never stops the others from loading."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from workbench_plugins.cells.custom import GRUCell

from workbench.cells import COMMON_PARAMS, StepCellPlugin
from workbench.cli import main
from workbench.errors import ConfigError
from workbench.hookspecs import hookimpl
from workbench.params import Param
from workbench.registry import load_registry, replace_default_registry


class Spare(StepCellPlugin):
    name = "spare-gru"
    description = "a plugin that loads fine"
    step = GRUCell


def plugin_of(*classes: type) -> SimpleNamespace:
    """A plugin object whose register_cells registers `classes`."""

    @hookimpl
    def register_cells(register):
        for cls in classes:
            register(cls)

    return SimpleNamespace(register_cells=register_cells)


def raising_plugin() -> SimpleNamespace:
    @hookimpl
    def register_cells(register):
        raise RuntimeError("corpus cache missing")

    return SimpleNamespace(register_cells=register_cells)


def problems_of(registry, source: str) -> list[str]:
    return [problem.reason for problem in registry.problems if problem.source == source]


def assert_others_loaded(registry) -> None:
    assert registry.get("cell", "spare-gru").cls is Spare
    assert registry.get("cell", "gru-custom")  # a built-in, from the installed entry points


def test_exception_in_a_hook_is_reported():
    registry = load_registry(extra=[("pkg-raises", raising_plugin()), ("pkg-fine", plugin_of(Spare))])
    assert problems_of(registry, "pkg-raises") == [
        "raised in register_cells: RuntimeError: corpus cache missing"
    ]
    assert_others_loaded(registry)


def test_bad_parameter_declaration_is_reported():
    bad = type("Bad", (Spare,), {"name": "bad", "params": (*COMMON_PARAMS, Param("2x", int, 1, ""))})
    single = type("Single", (Spare,), {"name": "single", "params": Param("n", int, 1, "n")})
    registry = load_registry(extra=[("pkg-bad", plugin_of(bad, single)), ("pkg-fine", plugin_of(Spare))])
    reasons = problems_of(registry, "pkg-bad")
    assert "bad" not in registry.names("cell") and "single" not in registry.names("cell")
    assert "'2x' is not an identifier" in reasons[0] and "no help text" in reasons[0]
    assert "use a tuple of Param" in reasons[1]
    assert_others_loaded(registry)


def test_loggers_are_isolated_like_every_other_kind():
    @hookimpl
    def register_loggers(register):
        raise RuntimeError("no network for the dashboard")

    @hookimpl
    def register_cells_as_loggers(register):
        register(Spare)

    registry = load_registry(extra=[
        ("pkg-raises", SimpleNamespace(register_loggers=register_loggers)),
        ("pkg-wrong", SimpleNamespace(register_loggers=register_cells_as_loggers)),
        ("pkg-fine", plugin_of(Spare)),
    ])
    assert problems_of(registry, "pkg-raises") == [
        "raised in register_loggers: RuntimeError: no network for the dashboard"
    ]
    (wrong,) = problems_of(registry, "pkg-wrong")
    assert "as a logger, but it is not a subclass of Logger" in wrong
    assert registry.names("logger") == ["csv", "jsonl", "tensorboard"]
    assert_others_loaded(registry)


def test_a_third_party_plugin_named_like_a_built_in_never_replaces_it():
    clash = type("Clash", (Spare,), {"name": "gru"})
    registry = load_registry(extra=[("pkg-clash", plugin_of(clash)), ("pkg-fine", plugin_of(Spare))])
    (problem,) = [problem for problem in registry.problems if problem.source == "pkg-clash"]
    assert registry.get("cell", "gru").cls is not clash
    assert registry.get("cell", "gru").source == "workbench"
    assert str(problem).startswith("cell 'gru' from pkg-clash not loaded: the built-in cell")
    assert "rename yours" in problem.reason and "Clash" in problem.reason
    assert_others_loaded(registry)


def test_same_class_twice_is_not_a_clash():
    registry = load_registry(extra=[("a", plugin_of(Spare)), ("b", plugin_of(Spare))])
    assert not problems_of(registry, "b")
    assert registry.get("cell", "spare-gru").source == "a"


def test_a_bad_hook_signature_or_a_misspelt_hook_is_reported():
    @hookimpl
    def register_cells(reg):  # pluggy calls hooks by keyword: the argument must be `register`
        pass

    @hookimpl
    def register_cell(register):
        pass

    registry = load_registry(extra=[
        ("pkg-signature", SimpleNamespace(register_cells=register_cells)),
        ("pkg-misspelt", SimpleNamespace(register_cell=register_cell)),
        ("pkg-fine", plugin_of(Spare)),
    ])
    assert "reg" in problems_of(registry, "pkg-signature")[0]
    assert "register_cell" in problems_of(registry, "pkg-misspelt")[0]
    assert_others_loaded(registry)


def write_distribution(root: Path, name: str, version: str, entry_points: dict[str, str]) -> None:
    """An installed distribution as importlib.metadata sees one: a dist-info directory."""
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[workbench]\n{lines}")


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on sys.path with two installed plugin packages: one sound, one that cannot import."""
    (tmp_path / "fake_sound_cell.py").write_text(
        "from workbench.hookspecs import hookimpl\n"
        "from workbench.cells import StepCellPlugin\n"
        "from workbench_plugins.cells.custom import RNNCell\n"
        "class Sound(StepCellPlugin):\n"
        "    name = 'sound-rnn'\n"
        "    step = RNNCell\n"
        "@hookimpl\n"
        "def register_cells(register):\n"
        "    register(Sound)\n"
    )
    (tmp_path / "fake_broken_cell.py").write_text("import no_such_dependency_xyz\n")
    write_distribution(tmp_path, "workbench-sound", "1.2.3", {"sound": "fake_sound_cell"})
    write_distribution(tmp_path, "workbench-broken", "0.0.1", {"broken": "fake_broken_cell"})
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_an_installed_package_that_fails_to_import_is_reported(fake_site):
    registry = load_registry()
    (reason,) = problems_of(registry, "workbench-broken (broken)")
    assert reason == "failed to load: ModuleNotFoundError: No module named 'no_such_dependency_xyz'"
    sound = registry.get("cell", "sound-rnn")
    assert (sound.source, sound.version) == ("workbench-sound", "1.2.3")
    assert registry.get("cell", "gru")


@pytest.fixture
def fresh_default():
    """Let `workbench plugins` load the registry afresh, and restore the cached one afterwards."""
    previous = replace_default_registry(None)
    yield
    replace_default_registry(previous)


def test_workbench_plugins_shows_packages_versions_and_problems(fake_site, fresh_default, capsys):
    assert main(["plugins"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "sound-rnn" in out and "workbench-sound" in out and "1.2.3" in out
    assert "plugin workbench-broken (broken) not loaded" in out
    assert "No module named 'no_such_dependency_xyz'" in out


def test_workbench_plugins_json_has_versions_and_problems_go_to_stderr(fake_site, fresh_default, capsys):
    assert main(["plugins", "--json"]) == 0
    captured = capsys.readouterr()
    listed = {item["name"]: item for item in json.loads(captured.out)}
    assert listed["sound-rnn"]["version"] == "1.2.3"
    assert listed["sound-rnn"]["source"] == "workbench-sound"
    assert listed["gru"]["version"]
    assert "workbench-broken" in captured.err


def test_checking_a_plugin_that_failed_to_load_shows_the_failure(fake_site, fresh_default, capsys,
                                                                 monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the reason on one line of the table
    assert main(["plugins", "check", "broken"]) == 1
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "No plugin named" not in flat
    assert "plugin workbench-broken (broken)" in flat and "FAIL" in flat
    assert "failed to load: ModuleNotFoundError: No module named 'no_such_dependency_xyz'" in flat
    assert "Traceback (most recent call last)" in out and "fake_broken_cell.py" in out
    with pytest.raises(ConfigError, match="It did not load: plugin workbench-broken"):
        load_registry().get("cell", "broken")


def test_checking_a_plugin_that_failed_to_load_gives_json_too(fake_site, fresh_default, capsys):
    assert main(["plugins", "check", "broken", "--json"]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["check"] == "loads" and not result["passed"]
    assert "no_such_dependency_xyz" in result["reason"]


SIBLINGS = (
    "from workbench.hookspecs import hookimpl\n"
    "from workbench.cells import COMMON_PARAMS, StepCellPlugin\n"
    "from workbench.params import Param\n"
    "from workbench_plugins.cells.custom import RNNCell\n"
    "class Good(StepCellPlugin):\n"
    "    name = 'sibling-good'\n"
    "    step = RNNCell\n"
    "class Bad(StepCellPlugin):\n"
    "    name = 'sibling-bad'\n"
    "    step = RNNCell\n"
    "    params = (*COMMON_PARAMS, Param('width', int, 0, 'units', min=1))\n"
    "@hookimpl\n"
    "def register_cells(register):\n"
    "    register(Bad)\n"
    "    register(Good)\n"
)


def test_a_bad_declaration_names_that_plugin_not_its_package(fake_site, fresh_default, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    (fake_site / "fake_siblings.py").write_text(SIBLINGS)
    write_distribution(fake_site, "workbench-siblings", "2.0", {"siblings": "fake_siblings"})
    assert main(["plugins"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "sibling-good" in out
    assert "cell 'sibling-bad' from workbench-siblings (siblings) not loaded: declares bad parameters" in out
    assert "plugin workbench-siblings" not in out
    assert main(["plugins", "check", "sibling-bad"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "cell 'sibling-bad' from workbench-siblings (siblings)" in out
    assert "parameter 'width' has a default that fails its own rules" in out


def gru_named_cell(name: str) -> str:
    """A plugin module registering a cell called `name` (built on the custom GRU step)."""
    return (
        "from workbench.hookspecs import hookimpl\n"
        "from workbench.cells import StepCellPlugin\n"
        "from workbench_plugins.cells.custom import GRUCell\n"
        "class Fast(StepCellPlugin):\n"
        f"    name = {name!r}\n"
        "    step = GRUCell\n"
        "@hookimpl\n"
        "def register_cells(register):\n"
        "    register(Fast)\n"
    )


def test_an_installed_package_cannot_take_a_built_in_name(tmp_path, monkeypatch, fresh_default, capsys):
    # Found before the built-ins (its directory is first on sys.path), yet the built-in stays.
    (tmp_path / "fake_fast_gru.py").write_text(gru_named_cell("gru"))
    write_distribution(tmp_path, "aaa-fast-gru", "1.0", {"fastgru": "fake_fast_gru"})
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = load_registry()
    assert registry.get("cell", "gru").source == "workbench"
    (problem,) = registry.refused("gru")
    assert problem.source == "aaa-fast-gru (fastgru)"
    assert "built-in cell of that name is kept" in problem.reason
    assert "rename yours (the `name` of fake_fast_gru.Fast)" in problem.reason
    assert main(["plugins"]) == 0
    assert "cell 'gru' from aaa-fast-gru (fastgru) not loaded" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("found_first", ["zz", "aa"])
@pytest.mark.parametrize("selected", ["aa-peep, zz-peep, workbench", "zz-peep, aa-peep, workbench"])
def test_two_packages_with_one_plugin_name_are_decided_by_package_name(
    tmp_path, monkeypatch, found_first, selected
):
    for prefix in ("aa", "zz"):
        site = tmp_path / prefix
        site.mkdir()
        (site / f"fake_{prefix}_peep.py").write_text(gru_named_cell("peephole"))
        write_distribution(site, f"{prefix}-peep", "1.0", {"peep": f"fake_{prefix}_peep"})
    for prefix in ("aa", "zz") if found_first == "zz" else ("zz", "aa"):
        monkeypatch.syspath_prepend(str(tmp_path / prefix))  # the last prepended is found first
    monkeypatch.setenv("WORKBENCH_PLUGINS", selected)
    registry = load_registry()
    assert registry.get("cell", "peephole").source == "aa-peep"
    (problem,) = registry.refused("peephole")
    assert problem.source == "zz-peep (peep)"
    assert "aa-peep registers a cell named 'peephole' too and is kept" in problem.reason
    assert "first in alphabetical order wins" in problem.reason and "rename one of them" in problem.reason


def test_workbench_run_warns_about_a_broken_plugin_and_trains_with_the_others(
    fake_site, fresh_default, tiny_corpora, tmp_path, capsys
):
    code = main(["run", "--dataset", "names", "--cell", "sound-rnn", "--task", "classify", "--steps", "2",
                 "--set", "cell.hidden_size=8", "--set", "cell.layers=1",
                 "--runs-dir", str(tmp_path / "runs"), "--json"])
    captured = capsys.readouterr()
    assert code == 0
    assert "plugin workbench-broken (broken) not loaded" in " ".join(captured.err.split())
    events = [json.loads(line)["event"] for line in captured.out.splitlines()]
    assert events[0] == "run_started" and events[-1] == "run_finished"


def test_workbench_run_debug_shows_how_a_plugin_failed_to_load(
    fake_site, fresh_default, tiny_corpora, tmp_path, capsys
):
    code = main(["run", "--dataset", "names", "--cell", "sound-rnn", "--task", "classify", "--steps", "1",
                 "--set", "cell.hidden_size=8", "--set", "cell.layers=1",
                 "--runs-dir", str(tmp_path / "runs"), "--json", "--debug"])
    assert code == 0
    err = capsys.readouterr().err
    assert "plugin workbench-broken (broken) not loaded" in " ".join(err.split())
    assert "Traceback (most recent call last)" in err
    assert 'fake_broken_cell.py", line 1' in err and "import no_such_dependency_xyz" in err


def test_workbench_plugins_variable_loads_only_the_named_entry_points_or_packages(monkeypatch):
    monkeypatch.setenv("WORKBENCH_PLUGINS", "native-cells, classify")
    registry = load_registry()
    assert registry.names("cell") == ["gru", "lstm", "rnn"]
    assert registry.names("task") == ["classify"] and registry.names("dataset") == []
    monkeypatch.setenv("WORKBENCH_PLUGINS", "workbench")
    assert "gru-custom" in load_registry().names("cell")
