"""The example MGU package, installed as a user would install it, is found, conforms, and trains."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from workbench.conformance import check_plugin, failures
from workbench.registry import load_registry

EXAMPLE = Path(__file__).resolve().parents[1] / "plugins" / "examples" / "workbench-mgu"


def pip_install_target(source: Path, target: Path) -> None:
    """`pip install` without network, build isolation or dependencies, into a directory of its own."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def mgu(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A copy of the example package (pip builds in its source tree) and the directory it installs to."""
    root = tmp_path_factory.mktemp("mgu")
    source = root / "workbench-mgu"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = root / "site"
    pip_install_target(source, site)
    return SimpleNamespace(source=source, site=site, env={**os.environ, "PYTHONPATH": str(site)})


def test_it_is_found_with_its_package_name_and_version(mgu, monkeypatch):
    monkeypatch.syspath_prepend(str(mgu.site))
    registry = load_registry()
    info = registry.get("cell", "mgu")
    assert (info.source, info.version) == ("workbench-mgu", "0.1.0")
    assert [p for p in registry.problems if "mgu" in p.source] == []
    assert [p.name for p in info.cls.params][-1] == "gate_bias"


def test_it_passes_conformance(mgu, monkeypatch):
    monkeypatch.syspath_prepend(str(mgu.site))
    results = check_plugin("mgu", kind="cell", registry=load_registry())
    assert not failures(results), [str(result) for result in failures(results)]


def test_its_own_tests_pass(mgu):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore"],
        cwd=mgu.source, env=mgu.env, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout
