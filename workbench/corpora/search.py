"""Where corpora live: the search path, finding a corpus on it, and whether each one verifies.

A corpus's files are never shipped: they are looked up, in order, in an explicit directory
(`--corpora DIR`), in `$WORKBENCH_CORPORA`, and in the user data directory where
`workbench corpora pull NAME` installs them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from workbench.corpora.manifests import Manifest, get_manifest, manifests, mismatches
from workbench.errors import CorpusError

ENV_VAR = "WORKBENCH_CORPORA"
@dataclass(frozen=True)
class SearchRoot:
    """One directory of the search path and why it is there (shown to people)."""

    origin: str
    directory: Path


@dataclass(frozen=True)
class CorpusStatus:
    """Whether a corpus was found, where, and whether its files match the manifest."""

    manifest: Manifest
    state: str
    path: Path | None
    origin: str | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "corpus": self.manifest.name,
            "status": self.state,
            "path": str(self.path) if self.path else None,
            "found_via": self.origin,
            "detail": self.detail,
            "source": self.manifest.source_url,
            "licence": self.manifest.licence,
            "format": f"{self.manifest.encoding}: {self.manifest.layout_description}",
        }


def user_corpora_dir() -> Path:
    """Where `workbench corpora pull` installs corpora by default."""
    return Path(platformdirs.user_data_dir("workbench")) / "corpora"


def search_path(explicit: Path | None = None) -> list[SearchRoot]:
    """The directories searched for corpora, first match wins."""
    roots = []
    if explicit is not None:
        roots.append(SearchRoot("--corpora", Path(explicit).expanduser()))
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        roots.append(SearchRoot(ENV_VAR, Path(from_env).expanduser()))
    roots.append(SearchRoot("user data dir", user_corpora_dir()))
    return roots


def find(name: str, explicit: Path | None = None) -> tuple[Path, SearchRoot] | None:
    """The corpus's file or directory and the search root it was found in, or None."""
    manifest = get_manifest(name)
    for root in search_path(explicit):
        candidate = root.directory / manifest.target
        if candidate.exists():
            return candidate, root
    return None


def locate(name: str, explicit: Path | None = None) -> Path:
    """The file or directory of corpus `name`, checked for the right shape.

    Raises CorpusError when it is nowhere on the search path, or is a file where a directory of
    `*.txt` files is expected (or the reverse).
    """
    manifest = get_manifest(name)
    found = find(name, explicit)
    if found is None:
        looked = "; ".join(f"{root.directory} ({root.origin})" for root in search_path(explicit))
        raise CorpusError(
            f"Corpus {name!r} ({manifest.target}) was not found. Looked in: {looked}. "
            f"Run `workbench corpora pull {name}` to download it, or set {ENV_VAR} to a directory "
            f"that contains {manifest.target}."
        )
    path, _ = found
    _check_shape(manifest, path)
    return path


def _check_shape(manifest: Manifest, path: Path) -> None:
    fix = f"Run `workbench corpora pull {manifest.name}` to install a correct copy."
    if manifest.is_directory:
        if not path.is_dir():
            raise CorpusError(
                f"{path} should be a directory ({manifest.layout_description}) but is a file. {fix}"
            )
        if not any(path.glob("*.txt")):
            raise CorpusError(
                f"{path} contains no .txt files; expected {manifest.layout_description}. {fix}"
            )
    elif not path.is_file():
        raise CorpusError(f"{path} should be a text file ({manifest.layout_description}). {fix}")


def status(explicit: Path | None = None) -> list[CorpusStatus]:
    """Every known corpus: where it was found (or that it is missing) and whether it verifies."""
    report = []
    for name, manifest in manifests().items():
        found = find(name, explicit)
        if found is None:
            report.append(
                CorpusStatus(manifest, "missing", None, None, f"run `workbench corpora pull {name}`")
            )
            continue
        path, root = found
        problems = mismatches(manifest, root.directory)
        state = "modified" if problems else "ok"
        detail = "; ".join(problems) if problems else "checksums match the manifest"
        report.append(CorpusStatus(manifest, state, path, root.origin, detail))
    return report
