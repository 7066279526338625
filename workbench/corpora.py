"""Where corpora live and how to read them: manifests, the search path and careful decoding.

A corpus is described by a manifest in the `workbench_corpora` package (source, licence, layout,
checksums). Its files are never shipped: they are looked up, in order, in an explicit directory
(`--corpora DIR`), in `$WORKBENCH_CORPORA`, and in the user data directory where
`workbench corpora pull NAME` installs them.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from workbench.errors import CorpusError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ENV_VAR = "WORKBENCH_CORPORA"
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


def read_utf8(path: Path, fix: str) -> str:
    """The UTF-8 text of any file (a leading byte-order mark dropped).

    A CorpusError names the file, the first byte that is not UTF-8, its offset and line, then
    `fix`, the sentence that says what to do about it.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CorpusError(f"Cannot read {path}: {error.strerror}. {fix}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CorpusError(
            f"{path} is not UTF-8: byte 0x{data[error.start]:02x} at offset {error.start} "
            f"(line {line}) cannot be decoded. {fix}"
        ) from None
    return text.removeprefix("\ufeff")


def read_text(path: Path, corpus: str) -> str:
    """The UTF-8 text of a file of a known corpus; a CorpusError if it is not UTF-8 or is empty."""
    text = read_utf8(
        path, f"Re-save it as UTF-8, or run `workbench corpora pull {corpus}` to restore the original."
    )
    if not text.strip():
        raise CorpusError(
            f"{path} is empty. Restore it with `workbench corpora pull {corpus}`, or point "
            f"{ENV_VAR} at a complete corpora directory."
        )
    return text


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
