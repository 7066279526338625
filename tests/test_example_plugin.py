"""The example MGU package, installed as a user would install it, is found, conforms, and trains."""

from __future__ import annotations

import json
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
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=mgu.source, env=mgu.env, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout
    assert "warning" not in done.stdout.lower(), done.stdout  # the register_plugin fixture needs no set-up


def test_it_trains_headless_through_the_engine(mgu, tiny_corpora, tmp_path):
    runs = tmp_path / "runs"
    command = (
        "import sys; from workbench.cli import main; sys.exit(main(['run', '--dataset', 'names', "
        f"'--cell', 'mgu', '--task', 'classify', '--steps', '3', '--set', 'cell.hidden_size=8', "
        f"'--set', 'cell.gate_bias=1.5', '--runs-dir', {str(runs)!r}, '--json']))"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", command],
        env={**mgu.env, "WORKBENCH_CORPORA": str(tiny_corpora)}, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [e["step"] for e in events if e["event"] == "step"] == [1, 2, 3]
    finished = events[-1]
    assert finished["event"] == "run_finished" and finished["status"] == "completed"
    (run_dir,) = runs.iterdir()
    assert (run_dir / "checkpoint.safetensors").is_file()
    assert "gate_bias" in (run_dir / "config.toml").read_text()
