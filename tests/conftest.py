"""Shared fixtures: the real corpora (through WORKBENCH_CORPORA) and tiny corpora built per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TINY_NAMES = {
    "English": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright",
                "Hughes", "Green", "Hall", "Wood", "Clarke", "Turner", "Hill", "Moore"],
    "Italian": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
                "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "Costa", "Giordano", "Rizzo"],
    "Russian": ["Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vasiliev", "Petrov", "Sokolov",
                "Mikhailov", "Novikov", "Fedorov", "Morozov", "Volkov", "Alekseev", "Lebedev",
                "Semenov", "Egorov", "Smith"],
}

_TERCET = ("Nel mezzo del cammin di nostra vita\nmi ritrovai per una selva oscura,\n"
           "ché la diritta via era smarrita.\n")


def tiny_divina_text(cantos_per_cantica: int = 4, tercets_per_canto: int = 6) -> str:
    """A poem in the layout of divina_commedia.txt: title, cantiche, canto headings, tercets."""
    parts = ["LA DIVINA COMMEDIA\ndi Dante Alighieri\n"]
    numerals = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    for cantica in ("Inferno", "Purgatorio", "Paradiso"):
        parts.append(cantica.upper() + "\n")
        for canto in range(cantos_per_cantica):
            parts.append(f"{cantica} • Canto {numerals[canto]}\n")
            for tercet in range(tercets_per_canto):
                words = _TERCET.replace("vita", f"vita {cantica.lower()} {canto} {tercet}")
                parts.append(words)
    return "\n".join(parts)


def write_tiny_corpora(root: Path) -> Path:
    names = root / "names"
    names.mkdir(parents=True, exist_ok=True)
    for language, surnames in TINY_NAMES.items():
        (names / f"{language}.txt").write_text("\n".join(surnames) + "\n", encoding="utf-8")
    (root / "divina_commedia.txt").write_text(tiny_divina_text(), encoding="utf-8")
    return root


@pytest.fixture
def tiny_corpora(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny names + divina corpus in a temporary directory, made the WORKBENCH_CORPORA."""
    root = write_tiny_corpora(tmp_path / "corpora")
    monkeypatch.setenv("WORKBENCH_CORPORA", str(root))
    return root


@pytest.fixture(scope="session")
def real_corpora() -> Path:
    """The real corpora that CI provides through WORKBENCH_CORPORA."""
    root = os.environ.get("WORKBENCH_CORPORA")
    assert root, "set WORKBENCH_CORPORA to the corpora directory (CI uses ../shared/corpora)"
    path = Path(root)
    assert (path / "divina_commedia.txt").is_file(), f"no corpora found under {path}"
    return path
