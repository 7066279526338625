"""Groups of runs that differ only by seed, labelled by what sets the groups apart."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from workbench.runs.directory import RunRecord, run_settings
from workbench.studies.outcome import RunOutcome, read_outcome

SEED_KEY = "train.seed"
# Settings that change how fast a run goes, not what it learns: runs differing in them still group.
SPEED_KEYS = ("train.threads",)

Member = TypeVar("Member")  # what is grouped: run outcomes, or the app's tracks of running trials


def group_by_seed(items: Iterable[tuple[dict[str, Any], Member]]) -> dict[str, list[Member]]:
    """Group members (outcomes, tracks) whose settings are equal once the seed is set aside.

    `items` pairs each member with its settings as flat `section.key` names (a `cell` key for the
    cell's name). Each group is labelled by the settings in which the groups differ: the cell's
    name alone when that is all, else `name=value` pairs.
    """
    groups: dict[tuple[tuple[str, str], ...], list[tuple[dict[str, Any], Member]]] = {}
    for settings, member in items:
        kept = {key: value for key, value in settings.items() if key != SEED_KEY and key not in SPEED_KEYS}
        key = tuple(sorted((name, repr(value)) for name, value in kept.items()))
        groups.setdefault(key, []).append((kept, member))
    firsts = [members[0][0] for members in groups.values()]
    differing = _differing_keys(firsts)
    return {_label(members[0][0], differing): [member for _, member in members]
            for members in groups.values()}


def seed_groups(records: Iterable[RunRecord]) -> dict[str, list[RunOutcome]] | None:
    """Runs on disk grouped as `group_by_seed` does, or None when no two differ only by seed."""
    pairs = (({"cell": record.summary.cell, **run_settings(record)}, read_outcome(record.run_dir))
             for record in records)
    groups = group_by_seed(pairs)
    return groups if any(len(members) > 1 for members in groups.values()) else None


def _differing_keys(settings: list[dict[str, Any]]) -> list[str]:
    """Keys every group has, with more than one value; an option only some cells declare is part
    of what the cell's name already says."""
    shared = set.intersection(*(set(one) for one in settings)) if settings else set()
    return sorted(key for key in shared if len({repr(one[key]) for one in settings}) > 1)


def _label(settings: dict[str, Any], differing: list[str]) -> str:
    if differing == ["cell"]:
        return str(settings["cell"])
    parts = [f"{key}={settings[key]}" for key in differing if key != "cell"]
    name = [str(settings.get("cell", "runs"))] if "cell" in differing or not parts else []
    return " ".join(name + parts)
