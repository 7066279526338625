"""What people tripped on: the footer at 80 and 120 columns, Enter on the runs screen, and a
classifier's per-class numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_support import make_app, pilot_test, ready, wait_for, write_synthetic_runs
from rich.console import Console
from textual.widgets._footer import FooterKey

CONFUSION = {"classes": ["English", "Italian", "Russian"], "confusion": [[3, 1, 0], [0, 4, 1], [2, 0, 9]],
             "accuracy": 0.8, "loss": 0.6}


def _text(widget) -> str:  # noqa: ANN001 - any Static
    console = Console(width=300, record=True)
    console.print(widget.content)
    return console.export_text()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80", "120"])
@pilot_test
async def test_every_footer_fits_its_line(tiny_corpora: Path, tmp_path: Path, size) -> None:
    app = make_app(tmp_path / "runs")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        for key in ("f2", "f3", "f4", "f5", "f6"):
            await pilot.press(key)
            await pilot.pause(0.2)
            keys = list(app.screen.query(FooterKey))
            palette = [one for one in keys if one.has_class("-command-palette")]
            assert palette and palette[0].region.right == size[0]
            for one in keys:
                if one is not palette[0]:  # every binding shown whole, none hidden under the palette key
                    assert one.region.width > 0 and one.region.right <= palette[0].region.x, (key, one)


@pilot_test
async def test_enter_on_a_run_opens_it_on_the_model_screen(tiny_corpora: Path, tmp_path: Path) -> None:
    runs = write_synthetic_runs(tmp_path / "runs")
    app = make_app(tmp_path / "runs")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f4")
        screen = app.screen
        await wait_for(pilot, lambda: screen.opened is not None, "the run to open")
        screen.query_one("#runs-table").focus()
        await pilot.press("down", "enter")
        await pilot.pause(0.5)
        assert app.screen.id == "model"
        await wait_for(pilot, lambda: runs[0].name in _text(app.model_screen.query_one("#model-info")),
                       "the run to be opened")


@pilot_test
async def test_a_classifier_shows_its_per_class_numbers_and_confusion_matrix(
        tiny_corpora: Path, tmp_path: Path) -> None:
    runs = write_synthetic_runs(tmp_path / "runs", cells=("gru",))
    summary = json.loads((runs[0] / "summary.json").read_text())
    (runs[0] / "summary.json").write_text(json.dumps({**summary, "test": CONFUSION}))
    app = make_app(tmp_path / "runs")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("f4")
        screen = app.screen
        await wait_for(pilot, lambda: screen.opened is not None, "the run to open")
        await pilot.press("v")
        await pilot.pause()
        assert screen.query_one("#run-views").current == "run-classes"
        lines = _text(screen.query_one("#class-report")).splitlines()
        assert "test split" in lines[0]
        rows = {line.split()[0]: line.split()[1:] for line in lines if line.split()[:1] in
                (["English"], ["Italian"], ["Russian"])}
        assert rows["English"] == ["75%", "4", "3", "1", "·"]
        assert rows["Russian"] == ["82%", "11", "2", "·", "9"]
        await pilot.press("v")
        assert screen.query_one("#run-views").current == "run-detail"


def test_the_app_finds_runs_where_the_cli_writes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from workbench.app.main import WorkbenchApp
    from workbench.runs.directory import RUNS_DIR_ENV

    monkeypatch.setenv(RUNS_DIR_ENV, str(tmp_path / "elsewhere"))
    assert WorkbenchApp().runs_dir == tmp_path / "elsewhere"
    monkeypatch.delenv(RUNS_DIR_ENV)
    assert WorkbenchApp().runs_dir == Path("runs")
