"""The files a person points a dataset at: one file, a directory of text files, or a glob.

The `text` and `labelled` datasets take such a `path` option. A relative path starts from the
corpora directory a person gave (`--corpora DIR`, the dataset's `corpus_root`), else from the working
directory. Every problem with it is a CorpusError that names the option, the path and what to do.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from workbench.errors import ConfigError, CorpusError

TEXT_SUFFIX = ".txt"
_GLOB_CHARACTERS = "*?["


def find_files(pattern: str, option: str, root: Path | None = None) -> list[Path]:
    """The files `pattern` names, sorted: the file itself, the .txt files under a directory
    (hidden ones left out), or the files a glob such as `books/**/*.txt` matches."""
    if not pattern.strip():
        raise ConfigError(
            f"{option} is not set: give the path of a UTF-8 text file, a directory of {TEXT_SUFFIX} "
            f"files or a glob such as 'books/*.txt' (for example --set {option}=my_text.txt)."
        )
    expanded = os.path.expanduser(pattern.strip())
    start = Path(root) if root is not None else Path.cwd()
    if not os.path.isabs(expanded):
        expanded = str(start / expanded)
    if any(char in expanded for char in _GLOB_CHARACTERS):
        files = sorted(Path(match) for match in glob.glob(expanded, recursive=True) if Path(match).is_file())
        if not files:
            raise CorpusError(
                f"{option} = {pattern!r} matches no files (relative paths start from {start}). "
                "Check the pattern, or give a file or a directory instead."
            )
        return files
    path = Path(expanded)
    if path.is_dir():
        files = sorted(
            found for found in path.rglob(f"*{TEXT_SUFFIX}")
            if found.is_file() and not any(part.startswith(".") for part in found.relative_to(path).parts)
        )
        if not files:
            raise CorpusError(
                f"{path} (from {option}) holds no {TEXT_SUFFIX} files. Put the text in files whose "
                f"names end in {TEXT_SUFFIX}, or set {option} to the file itself or to a glob."
            )
        return files
    if path.is_file():
        return [path]
    raise CorpusError(
        f"{option} = {pattern!r}: {path} does not exist (relative paths start from {start}). "
        "Check the path, or give the absolute path of the file or directory."
    )
