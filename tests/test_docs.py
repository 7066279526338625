"""The plugin guide works as written: its files make installable packages and its commands succeed.

The guide is walked in order like a person following it: file blocks (```lang file=PATH) are
written, shell blocks run line by line with the working directory carried between blocks, python
blocks without a path are executed. Where a command cannot run as written here it is mapped, and
only mapped: `pip install -e .` installs into a directory on sys.path (no network, no change to the
shared environment), `workbench run` trains a model of 8 units for one step, `RUN` in a command stands
for the run trained last, and `workbench` alone (the app) is checked for the app's entry point and
the new plugins instead of opening a terminal UI.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.registry import default_registry, replace_default_registry

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    language: str
    path: str | None
    text: str


def guide_blocks() -> list[Block]:
    blocks = []
    for language, info, text in FENCE.findall(GUIDE.read_text(encoding="utf-8")):
        found = re.search(r"\bfile=(\S+)", info)
        blocks.append(Block(language, found.group(1) if found else None, text))
    return blocks


@dataclass
class Reader:
    """A person following the guide: a working directory, what they installed, what ran."""

    root: Path
    site: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    cwd: Path = field(init=False)
    commands: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cwd = self.root

    def write(self, block: Block) -> None:
        target = self.root / block.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.text, encoding="utf-8")

    def shell(self, line: str) -> None:
        words = shlex.split(line)
        self.commands.append(line)
        if words[0] == "cd":
            self.cwd = (self.cwd / words[1]).resolve()
            assert self.cwd.is_dir(), f"the guide changes into {words[1]}, which it never created"
        elif words[:3] == ["pip", "install", "-e"] and words[3:] == ["."]:
            self.pip_install()
        elif words[0] == "workbench":
            self.workbench(words[1:])
        elif words[0] == "pytest":
            self.pytest(words[1:])
        else:
            raise AssertionError(f"the guide runs {line!r}, which this test does not know how to run")

    def pip_install(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--no-index", "--target", str(self.site), str(self.cwd)],
            check=True, capture_output=True,
        )
        self.monkeypatch.syspath_prepend(str(self.site))
        replace_default_registry(None)  # the next command loads plugins afresh, as a new process would

    def workbench(self, argv: list[str]) -> None:
        if not argv:  # the app: check its entry point and that it will list the new plugins
            from workbench.app.main import run_app

            assert callable(run_app)
            assert "indrnn" in default_registry().names("cell")
            return
        if argv[0] == "run":  # the same command on a tiny model for one step: the test stays fast
            argv += ["--steps", "1", "--set", "cell.hidden_size=8", "--set", "cell.layers=1"]
        argv = [str(self.last_run()) if word == "RUN" else word for word in argv]
        self.monkeypatch.chdir(self.cwd)
        code = main(argv)
        captured = self.capsys.readouterr()
        assert code == 0, f"`workbench {' '.join(argv)}` exited {code}:\n{captured.out}\n{captured.err}"
        if argv[0] == "plugins" and len(argv) == 1:
            assert "indrnn" in captured.out and "workbench-indrnn" in captured.out
        if argv[:2] == ["plugins", "check"]:
            assert "FAIL" not in captured.out
        if argv[0] == "inspect":
            assert "layer 0 · forward · preactivation" in captured.out or "after_comma" in captured.out

    def last_run(self) -> Path:
        runs = Path(os.environ["WORKBENCH_RUNS_DIR"])
        return max(runs.iterdir(), key=lambda run: run.stat().st_mtime_ns)

    def pytest(self, args: list[str]) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
            cwd=self.cwd, capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(self.site)},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "warning" not in done.stdout.lower(), done.stdout


@pytest.fixture
def reader(tmp_path, tiny_corpora, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("WORKBENCH_PLUGINS", raising=False)
    monkeypatch.setenv("COLUMNS", "200")  # tables wide enough that package names are not wrapped
    previous = replace_default_registry(None)
    yield Reader(tmp_path / "reader", tmp_path / "site", monkeypatch, capsys)
    replace_default_registry(previous)


def test_every_block_of_the_guide_works_in_order(reader):
    reader.root.mkdir()
    for block in guide_blocks():
        if block.path:
            reader.write(block)
        elif block.language == "sh":
            for line in block.text.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    reader.shell(line.strip())
        elif block.language == "python":
            exec(compile(block.text, str(GUIDE), "exec"), {})
    assert any(c.startswith("workbench run") for c in reader.commands)
    assert sum(c.startswith("pip install") for c in reader.commands) == 3
    assert sum(c.startswith("workbench inspect") for c in reader.commands) == 2
    assert "pytest tests" in reader.commands
    (milestones,) = (reader.root.parent / "runs").glob("*/milestones.txt")  # the guide's logger wrote
    assert milestones.read_text(encoding="utf-8").startswith("step 1: loss ")


def test_each_package_tree_shows_the_files_the_guide_writes():
    trees = [block.text for block in guide_blocks() if block.language == "text" and not block.path]
    paths = [block.path for block in guide_blocks() if block.path]
    for package, files in (("workbench-indrnn", 4), ("workbench-proverbs", 3)):
        (tree,) = [tree for tree in trees if tree.startswith(package + "/")]
        written = [path for path in paths if path.startswith(package + "/")]
        assert len(written) == files, written
        for path in written:
            assert Path(path).name in tree, path


def test_every_block_is_a_file_a_command_or_the_tree():
    for block in guide_blocks():
        assert block.path or block.language in {"sh", "text"}, block.text[:80]
