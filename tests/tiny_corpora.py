"""Tiny corpora in the real layouts, for tests that need only the format."""

from __future__ import annotations

from pathlib import Path

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
