"""Reading a corpus file: UTF-8 only, and a mistake named with its byte offset and line."""

from __future__ import annotations

from pathlib import Path

from workbench.corpora.search import ENV_VAR
from workbench.errors import CorpusError


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
