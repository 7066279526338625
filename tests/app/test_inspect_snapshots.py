"""SVG snapshots of the Inspect screen at 80x24 (one classifier) and 120x40 (two character models)."""

from __future__ import annotations

from pathlib import Path

from app_support import make_app, ready, wait_for
from inspect_support import seeded_run
from textual.widgets import Select


def test_inspect_one_classifier(snap_compare, tiny_corpora: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    run_dir = seeded_run(runs, tiny_corpora, "20250101-000000-names-lstm-classify", "names", "lstm",
                         "classify", bidirectional=True)

    async def inspected(pilot) -> None:  # noqa: ANN001 - the snapshot plugin's Pilot
        await ready(pilot)
        pilot.app.inspect_run(run_dir, "Schmidt")
        screen = pilot.app.inspect_screen
        await wait_for(pilot, lambda: pilot.app.screen is screen and screen.is_mounted
                       and screen.pane("left").current is not None, "the inspection")
        await pilot.press("right", "right", "right", "p", "p")
        await pilot.pause()

    assert snap_compare(make_app(runs), terminal_size=(80, 24), run_before=inspected)


def test_inspect_two_character_models_side_by_side(snap_compare, tiny_corpora: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    lstm = seeded_run(runs, tiny_corpora, "20250101-000000-divina-lstm-generate", "divina", "lstm",
                      "generate")
    gru = seeded_run(runs, tiny_corpora, "20250101-000001-divina-gru-generate", "divina", "gru",
                     "generate", seed=1)

    async def compared(pilot) -> None:  # noqa: ANN001
        await ready(pilot)
        pilot.app.inspect_run(lstm, "Nel mezzo del cammin di nostra vita\nmi ritrovai per una selva oscura")
        screen = pilot.app.inspect_screen
        await wait_for(pilot, lambda: pilot.app.screen is screen and screen.is_mounted
                       and screen.pane("left").current is not None, "the left inspection")
        screen.query_one("#inspect-right", Select).value = str(gru)
        await wait_for(pilot, lambda: screen.pane("right").current is not None, "the right inspection")
        await pilot.press(*["right"] * 12, "l")
        await pilot.pause()

    assert snap_compare(make_app(runs), terminal_size=(120, 40), run_before=compared)
