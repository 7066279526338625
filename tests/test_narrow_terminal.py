"""At 80 columns (COLUMNS=80) the headless commands keep what people read and copy whole.

Defaults are never cut, run ids and paths are never broken, figures are never cropped, and no
line is wider than the terminal. Without a terminal (a log file, a pipe) and without COLUMNS, the
same output keeps every value whole on one line.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tiny_corpora import write_tiny_corpora

from workbench.cli import main
from workbench.formatting import format_duration, format_metric, format_value
from workbench.registry import default_registry
from workbench.runs.directory import list_runs

WIDTH = 80
LONGEST = [("divina", "lstm-custom", "generate"), ("names", "gru-custom", "classify")]


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def assert_fits(out: str) -> None:
    wide = [line for line in out.splitlines() if len(line.rstrip()) > WIDTH]
    assert not wide, wide
    assert "…" not in out


@pytest.fixture
def runs(narrow, tiny_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> Iterator[dict[str, str]]:
    """Runs of the longest built-in names, made in ./runs; yields what each one printed, by task."""
    monkeypatch.chdir(tmp_path)
    headers: dict[str, str] = {}
    for dataset, cell, task in LONGEST:
        code = main(["run", "--dataset", dataset, "--cell", cell, "--task", task, "--steps", "1",
                     "--set", "cell.hidden_size=8", "--set", "cell.layers=1", "--runs-dir", "runs"])
        assert code == 0
        headers[task] = capsys.readouterr().out
    yield headers


def test_output_to_a_log_keeps_each_description_on_one_line(monkeypatch, capsys):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["plugins"]) == 0  # capsys stands for a file: standard output is not a terminal
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    for info in default_registry().all():
        assert any(info.cls.description in line for line in lines), info.cls.description


def test_plugins_show_every_default_whole(narrow, capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert_fits(out)
    lines = [line.strip() for line in out.splitlines()]
    for info in default_registry().all():
        for param in info.cls.params:
            expected = f"{param.name} = {format_value(param.default)}"
            assert any(line.endswith(expected) for line in lines), expected
    assert "bidirectional = false" in out and 'nonlinearity = "tanh"' in out
    assert "False" not in out


def test_the_run_header_fits_with_the_run_id_whole(runs):
    for (dataset, cell, task), out in zip(LONGEST, runs.values(), strict=True):
        first, second = out.splitlines()[:2]
        assert first == f"{first.split()[0]}  {dataset} · {cell} · {task}"
        assert first.split()[0].endswith(f"-{dataset}-{cell}-{task}")
        assert second.strip().endswith("parameters on cpu · saved in runs/")
        assert len(first) <= WIDTH and len(second) <= WIDTH


def test_runs_keep_every_column_whole(runs, tmp_path, capsys):
    assert main(["runs", "--runs-dir", "runs"]) == 0
    out = capsys.readouterr().out
    assert_fits(out)
    records = list_runs(tmp_path / "runs")
    assert len(records) == 2
    for record in records:
        (row,) = [line for line in out.splitlines() if line.startswith(record.summary.run_id + " ")]
        summary = record.summary
        assert summary.status in row and format_metric(summary.metric_name, summary.metric) in row
        assert row.rstrip().endswith(" " + format_duration(summary.wall_time))


def test_predict_keeps_the_run_id_on_one_line(runs, tmp_path, capsys):
    (record,) = [record for record in list_runs(tmp_path / "runs") if record.summary.task == "classify"]
    assert main(["predict", "--runs-dir", "runs", record.summary.run_id, "Smith"]) == 0
    out = capsys.readouterr().out
    assert_fits(out)
    assert out.splitlines()[0] == f"{record.summary.run_id} · gru-custom"
    assert '"Smith"' in out


def test_corpora_never_break_a_path(narrow, monkeypatch, capsys):
    with tempfile.TemporaryDirectory() as short:  # a path that fits, unlike pytest's long tmp_path
        root = write_tiny_corpora(Path(short) / "corpora")
        monkeypatch.setenv("WORKBENCH_CORPORA", str(root))
        assert main(["corpora"]) == 0
    out = capsys.readouterr().out
    assert_fits(out)
    lines = out.splitlines()
    for path in (root / "divina_commedia.txt", root / "names"):
        assert any(str(path) in line for line in lines), path
    assert any("https://www.gutenberg.org/cache/epub/1012/pg1012.txt" in line for line in lines)
    assert any("https://download.pytorch.org/tutorial/data.zip" in line for line in lines)
