"""A study's seeds on the live chart: each seed's curve as a thin line in a faded shade of its
cell's colour, and their mean as a thick line in the full colour on top, so the spread over seeds
reads at a glance and the legend names each group once."""

from __future__ import annotations

from itertools import repeat

from rich.color import Color, ColorTriplet, blend_rgb

from workbench.app.chart import Series
from workbench.app.tracking import RunTrack

FADE = 0.55  # how far a seed's line is blended from its colour into the background
BACKGROUND = ColorTriplet(0x12, 0x12, 0x12)  # the dark themes' background


def seed_series(tracks: list[RunTrack], which: str, axis: str, smoothing: float,
                markers: str | None = None) -> tuple[list[Series], list[RunTrack]]:
    """The series of the tracks in seed groups for one curve (`which`, as RunTrack.curve names it):
    seed lines first, then the means, then the means of the `markers` curve as markers, so a mean
    is never drawn over; and the tracks in no group, for the caller to draw as it draws any run."""
    groups: dict[tuple[str, str], list[RunTrack]] = {}
    alone = []
    for track in tracks:
        if track.seed_group:
            groups.setdefault((track.study, track.seed_group), []).append(track)
        else:
            alone.append(track)
    seeds, means, points = [], [], []
    for (_, label), members in groups.items():
        colour = members[0].colour
        seeds += [Series(track.label, faded(colour), track.curve(which, axis), smoothing=smoothing,
                         legend=False) for track in members]
        means.append(Series(label, colour, mean_curve(members, which, axis), smoothing=smoothing, thick=True))
        if markers is not None:
            points.append(Series(f"{label} val", colour, mean_curve(members, markers, axis), markers=True))
    return seeds + means + points, alone


def mean_curve(tracks: list[RunTrack], which: str, axis: str) -> list[tuple[float, float]]:
    """The mean over the tracks that have started of their training or validation losses, at the
    steps every one of them has logged (so the mean never jumps where one seed is ahead). Built
    from maps and zips rather than a loop per step: it is redrawn a few times a second."""
    started = [(track, dict(curve)) for track in tracks if (curve := track.curve(which, "steps"))]
    if not started:
        return []
    steps = sorted(set.intersection(*(set(losses) for _, losses in started)))
    count = len(started)
    totals = map(sum, zip(*(map(losses.__getitem__, steps) for _, losses in started), strict=True))
    means = [total / count for total in totals]
    if axis == "steps":
        return list(zip(map(float, steps), means, strict=True))
    places = zip(*(map(track.position, steps, repeat(axis)) for track, _ in started), strict=True)
    return [(sum(xs) / count, mean) for xs, mean in zip(places, means, strict=True) if None not in xs]


def faded(colour: str) -> str:
    """`colour` blended toward the background: a seed's thin line under its group's mean."""
    triplet = blend_rgb(Color.parse(colour).get_truecolor(), BACKGROUND, FADE)
    return triplet.hex
