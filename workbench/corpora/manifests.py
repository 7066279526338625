"""Corpus manifests: what each corpus is, its source and licence, and the checksums of its files.

The manifests ship in the `workbench_corpora` package; the files they describe do not.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from workbench.errors import CorpusError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

MANIFEST_PACKAGE = "workbench_corpora"


@dataclass(frozen=True)
class CorpusFile:
    """One file of a corpus, relative to a corpora directory, with its expected checksum."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """What a corpus is, where it comes from and what its files must look like."""

    name: str
    description: str
    licence: str
    target: str
    layout: str
    encoding: str
    layout_description: str
    source_url: str
    source: dict[str, Any]
    files: tuple[CorpusFile, ...]

    @property
    def is_directory(self) -> bool:
        return self.layout == "directory"


@cache
def manifests() -> dict[str, Manifest]:
    """Every corpus manifest shipped with workbench, by corpus name."""
    found: dict[str, Manifest] = {}
    for entry in sorted(resources.files(MANIFEST_PACKAGE).iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".toml"):
            manifest = _parse_manifest(tomllib.loads(entry.read_text(encoding="utf-8")))
            found[manifest.name] = manifest
    return found


def _parse_manifest(data: dict[str, Any]) -> Manifest:
    source = dict(data["source"])
    return Manifest(
        name=data["name"],
        description=data["description"],
        licence=data["licence"],
        target=data["target"],
        layout=data["format"]["layout"],
        encoding=data["format"]["encoding"],
        layout_description=data["format"]["description"],
        source_url=source["url"],
        source=source,
        files=tuple(CorpusFile(f["path"], f["sha256"], f["size"]) for f in data["files"]),
    )


def get_manifest(name: str) -> Manifest:
    """The manifest of corpus `name`, or a CorpusError listing the known corpora."""
    known = manifests()
    if name not in known:
        raise CorpusError(
            f"There is no corpus named {name!r}: the known corpora are {', '.join(sorted(known))}."
        )
    return known[name]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def mismatches(manifest: Manifest, root: Path) -> list[str]:
    """The manifest files under corpora directory `root` that are missing or differ, with why."""
    problems = []
    for expected in manifest.files:
        path = root / expected.path
        if not path.is_file():
            problems.append(f"{expected.path} is missing")
        elif path.stat().st_size != expected.size or sha256_of(path) != expected.sha256:
            problems.append(f"{expected.path} differs from the manifest checksum")
    return problems
