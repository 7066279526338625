"""`workbench runs plot` and `workbench runs confusion`: figures drawn from real runs' logs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from engine_support import tiny_config
from tiny_corpora import write_tiny_corpora

from workbench.cli import main
from workbench.config import RunConfig
from workbench.engine.run import Run
from workbench.events import RunFinished
from workbench.formatting import format_metric
from workbench.runs.directory import METRICS_FILE
from workbench.runs.plots import automatic_smoothing, smoothed

CELLS = ("rnn", "lstm", "gru")


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-cell compare on the tiny surnames, plus one generate run, trained for real."""
    root = tmp_path_factory.mktemp("plots")
    corpora = write_tiny_corpora(root / "corpora")
    runs = root / "runs"
    for cell in CELLS:
        assert isinstance(Run(tiny_config(corpora, runs, cell=cell)).run_sync(), RunFinished)
    generate = RunConfig(dataset="names", cell="gru", task="generate", cell_options={"hidden_size": 8},
                         task_options={"embedding_size": 8, "sample_length": 10},
                         train={"steps": 4, "batch_size": 8, "eval_every": 2}, runs_dir=runs, corpora=corpora)
    assert isinstance(Run(generate).run_sync(), RunFinished)
    return runs


def run_ids(runs_dir: Path, task: str = "classify") -> list[str]:
    return sorted(path.name for path in runs_dir.iterdir() if path.name.endswith(task))


@pytest.mark.parametrize("axis", ["steps", "tokens", "seconds"])
def test_three_runs_on_one_svg_that_names_each_run(runs_dir: Path, tmp_path: Path, axis: str, capsys) -> None:
    ids = run_ids(runs_dir)
    assert len(ids) == 3
    output = tmp_path / "figures" / "curves.svg"
    assert main(["runs", "plot", *ids, "--runs-dir", str(runs_dir), "-o", str(output), "--x", axis]) == 0
    svg = output.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "</svg>" in svg
    for run_id in ids:
        assert svg.count(run_id) == 1, run_id  # one legend entry per run, as text
    assert "validation accuracy (higher is better)" in svg
    assert {"steps": "training steps", "tokens": "tokens seen", "seconds": "wall-clock seconds"}[axis] in svg
    assert "names · classify · 3 runs" in svg
    assert capsys.readouterr().out == f"Wrote {output}: 3 runs against {axis}.\n"


def test_the_same_runs_give_the_same_file_and_png_works(runs_dir: Path, tmp_path: Path) -> None:
    paths = [str(runs_dir / run_id) for run_id in run_ids(runs_dir)]
    first, second, png = tmp_path / "a.svg", tmp_path / "b.svg", tmp_path / "c.png"
    for output in (first, second, png):
        assert main(["runs", "plot", *paths, "-o", str(output)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_generate_run_shows_its_own_metric(runs_dir: Path, tmp_path: Path) -> None:
    (generate,) = run_ids(runs_dir, "generate")
    output = tmp_path / "generate.svg"
    assert main(["runs", "plot", generate, "--runs-dir", str(runs_dir), "-o", str(output)]) == 0
    assert "validation bpc (lower is better)" in output.read_text(encoding="utf-8")


def test_confusion_of_a_classify_run_names_its_classes(runs_dir: Path, tmp_path: Path) -> None:
    run_id = run_ids(runs_dir)[0]
    output = tmp_path / "confusion.svg"
    assert main(["runs", "confusion", run_id, "--runs-dir", str(runs_dir), "-o", str(output)]) == 0
    svg = output.read_text(encoding="utf-8")
    summary = json.loads((runs_dir / run_id / "summary.json").read_text(encoding="utf-8"))
    assert run_id in svg and format_metric("accuracy", summary["test"]["accuracy"]) in svg
    for language in summary["test"]["classes"]:
        assert svg.count(f">{language}<") == 2, language  # a tick on each axis


def test_clear_errors_exit_2(runs_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (generate,) = run_ids(runs_dir, "generate")
    svg = str(tmp_path / "c.svg")
    cases = [
        (["runs", "confusion", generate, "-o", svg], "logged no confusion matrix on test"),
        (["runs", "plot", generate, "-o", svg[:-3] + "jpeg"], "name a file ending in .svg, .png, .pdf"),
        (["runs", "plot", "no-such-run", "-o", svg], "No run 'no-such-run'"),
        (["runs", "plot", generate, "-o", svg, "--smoothing", "1"], "--smoothing 1.0"),
    ]
    for argv, message in cases:
        assert main([*argv, "--runs-dir", str(runs_dir)]) == 2, argv
        assert message in " ".join(capsys.readouterr().err.split()), argv
    assert not list(tmp_path.iterdir())


def test_a_log_without_token_counts_asks_for_another_axis(runs_dir: Path, tmp_path: Path, capsys) -> None:
    old = tmp_path / "old-run"
    old.mkdir()
    source = runs_dir / run_ids(runs_dir)[0]
    (old / "summary.json").write_bytes((source / "summary.json").read_bytes())
    lines = [json.loads(line) for line in (source / METRICS_FILE).read_text(encoding="utf-8").splitlines()]
    for line in lines:
        line.pop("tokens", None)  # as versions that did not record them wrote the log
    (old / METRICS_FILE).write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert main(["runs", "plot", str(old), "-o", str(tmp_path / "old.svg")]) == 0
    assert main(["runs", "plot", str(old), "-o", str(tmp_path / "old.svg"), "--x", "tokens"]) == 2
    assert "plot it against steps or seconds" in " ".join(capsys.readouterr().err.split())


def test_without_matplotlib_the_error_names_the_install_command(
    runs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what an environment without the extra sees
    for command in (["plot"], ["confusion"]):
        run_id = run_ids(runs_dir)[0]
        output = str(tmp_path / "x.svg")
        assert main(["runs", *command, run_id, "--runs-dir", str(runs_dir), "-o", output]) == 2
        error = " ".join(capsys.readouterr().err.split())
        assert f"`workbench runs {command[0]}` needs the optional package 'matplotlib'" in error
        assert 'pip install -e ".[plots]"' in error


def test_smoothing_follows_the_values_and_corrects_its_start() -> None:
    assert smoothed([2.0, 2.0, 2.0], 0.9) == pytest.approx([2.0, 2.0, 2.0])
    assert smoothed([1.0, 3.0], 0.0) == [1.0, 3.0]
    assert smoothed([1.0, 3.0], 0.5) == pytest.approx([1.0, (0.5 * 0.5 + 0.5 * 3.0) / 0.75])


def test_automatic_smoothing_grows_with_the_run() -> None:
    assert automatic_smoothing(30) == 0.0  # a short run is drawn as it is
    assert automatic_smoothing(500) == pytest.approx(0.9)
    assert automatic_smoothing(5000) == pytest.approx(0.99)
