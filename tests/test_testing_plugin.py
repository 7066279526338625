"""workbench.testing is a pytest plugin: an installed workbench gives any test suite its fixture,
and a test module may import its helpers without pytest warning that it cannot rewrite them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PLUGIN_TESTS = '''
from workbench_plugins.cells.custom import GRUCell

from workbench.cells import StepCellPlugin
from workbench.testing import assert_cell_conforms


class Twin(StepCellPlugin):
    name = "twin-gru"
    step = GRUCell


def test_the_fixture_needs_no_set_up(register_plugin):
    assert register_plugin(Twin).get("cell", "twin-gru").cls is Twin


def test_the_helpers_import_from_a_test_module():
    assert_cell_conforms(Twin)
'''


def test_a_plugin_suite_gets_the_fixture_without_warnings(tmp_path: Path):
    (tmp_path / "test_twin.py").write_text(PLUGIN_TESTS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "test_twin.py"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout and "warning" not in done.stdout.lower(), done.stdout


def test_loading_the_plugin_does_not_import_torch():
    # Every pytest run in an environment with the workbench loads the plugin: it must stay light.
    done = subprocess.run(
        [sys.executable, "-c", "import sys, workbench.testing; print('torch' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )
    assert done.stdout.strip() == "False"
