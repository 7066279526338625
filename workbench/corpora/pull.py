"""`workbench corpora pull`: download a corpus, turn it into our layout, verify it, then install it.

Everything happens in a staging directory beside the destination; the corpus is moved into place
only after every file matches the manifest's checksum, so a failed or interrupted pull leaves the
corpora directory as it was (a directory the pull had to create is removed again).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from workbench.corpora.manifests import Manifest, get_manifest, mismatches
from workbench.corpora.search import user_corpora_dir
from workbench.errors import CorpusError, DownloadFailed

Progress = Callable[[int, "int | None"], None]
_CHUNK = 1 << 16


def pull(
    name: str,
    to: Path | None = None,
    url: str | None = None,
    on_progress: Progress | None = None,
) -> Path:
    """Install corpus `name` into `to` (default: the user data dir) and return its path.

    `url` replaces the manifest's source (a mirror, or a `file://` copy of the same download).
    `on_progress(done_bytes, total_bytes_or_None)` is called while downloading.
    """
    manifest = get_manifest(name)
    destination = Path(to).expanduser() if to is not None else user_corpora_dir()
    created = _missing_directories(destination)
    try:
        return _pull_into(manifest, destination, url or manifest.source_url, on_progress)
    except BaseException:
        _remove_if_empty(created)
        raise


def _pull_into(manifest: Manifest, destination: Path, url: str, on_progress: Progress | None) -> Path:
    try:
        destination.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".pull-{manifest.name}-", dir=destination))
    except OSError as error:
        raise CorpusError(
            f"Cannot write corpora into {destination}: {error.strerror or error}. "
            "Choose a writable directory with --to."
        ) from None
    try:
        download = staging / "download"
        _download(url, download, on_progress)
        built = staging / "corpus"
        _unpack(manifest, download, built)
        problems = mismatches(manifest, built)
        if problems:
            raise CorpusError(
                f"The download of corpus {manifest.name!r} from {url} does not match its manifest "
                f"({'; '.join(problems)}); nothing was installed. The source may have changed: check "
                "the address, or install a verified copy and point WORKBENCH_CORPORA at it."
            )
        return _install(built / manifest.target, destination / manifest.target, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _missing_directories(directory: Path) -> list[Path]:
    """`directory` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    return missing


def _remove_if_empty(directories: list[Path]) -> None:
    """Undo the directories a failed pull created (deepest first), so it leaves nothing behind."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:
            return


def _download(url: str, target: Path, on_progress: Progress | None) -> None:
    """Fetch `url` into `target`. A network or server failure is DownloadFailed (nothing the person
    typed is wrong); an address that cannot be used, or a file:// path with no file, is a CorpusError."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while block := response.read(_CHUNK):
                out.write(block)
                done += len(block)
                if on_progress is not None:
                    on_progress(done, total)
    except ValueError as error:
        raise CorpusError(
            f"{url!r} is not an address to download from ({error}): give an http(s):// or file:// URL "
            "with --from."
        ) from None
    except urllib.error.HTTPError as error:
        raise DownloadFailed(
            f"Could not download {url}: the server answered {error.code} {error.reason}. Try again "
            "later, or pass --from with a mirror or a file:// path to a copy you already have."
        ) from None
    except OSError as error:  # urllib.error.URLError included
        reason = getattr(error, "reason", error)
        if urllib.parse.urlparse(url).scheme == "file":
            raise CorpusError(f"Could not read {url}: {reason}. Check the path given with --from.") from None
        raise DownloadFailed(
            f"Could not download {url}: {reason}. Check your network connection and try again, or "
            "pass --from with a mirror or a file:// path to a copy you already have."
        ) from None


def _unpack(manifest: Manifest, download: Path, built: Path) -> None:
    """Lay out the downloaded source under `built` as a corpora directory."""
    kind = manifest.source["archive"]
    if kind == "zip":
        _extract_zip(manifest, download, built)
    elif kind == "gutenberg-text":
        target = built / manifest.target
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            raw = download.read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise CorpusError(
                f"The download of corpus {manifest.name!r} is not UTF-8 (byte offset {error.start}); "
                "nothing was installed. Check the address given with --from."
            ) from None
        text = gutenberg_to_layout(raw, manifest.source["keep_from"], manifest.source["keep_until"])
        target.write_text(text, encoding="utf-8", newline="\n")
    else:
        raise CorpusError(f"The manifest of corpus {manifest.name!r} names an unknown archive kind {kind!r}.")


def _extract_zip(manifest: Manifest, download: Path, built: Path) -> None:
    prefix = manifest.source["member_prefix"]
    wanted = {Path(f.path).name: f.path for f in manifest.files}
    try:
        with zipfile.ZipFile(download) as archive:
            for member in archive.namelist():
                if not member.startswith(prefix):
                    continue
                relative = wanted.get(member[len(prefix):])
                if relative is None:
                    continue
                target = built / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
    except zipfile.BadZipFile:
        raise CorpusError(
            f"The download of corpus {manifest.name!r} is not a zip archive; nothing was installed. "
            "Check the address given with --from."
        ) from None


def gutenberg_to_layout(raw: str, keep_from: str, keep_until: str) -> str:
    """Our layout from a Project Gutenberg plain text: the poem only, unindented, single blank lines.

    Keeps the lines from the one that reads `keep_from` up to (not including) the first line
    starting with `keep_until`, which drops the licence header, the producer's note and the
    appendix that follows the poem.
    """
    lines = [line.strip() for line in raw.removeprefix("\ufeff").splitlines()]
    try:
        start = lines.index(keep_from)
    except ValueError:
        raise CorpusError(
            f"The downloaded text has no line {keep_from!r}, so it is not the expected edition; "
            "nothing was installed."
        ) from None
    end = next((i for i in range(start, len(lines)) if lines[i].startswith(keep_until)), len(lines))
    kept: list[str] = []
    for line in lines[start:end]:
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n"


def _install(built: Path, target: Path, staging: Path) -> Path:
    """Move `built` to `target`, replacing any previous copy only once the new one is in place."""
    if target.is_dir():
        old = staging / "previous"
        os.replace(target, old)
        try:
            os.replace(built, target)
        except OSError:
            os.replace(old, target)
            raise
    else:
        os.replace(built, target)
    return target
