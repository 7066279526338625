"""The corpora search path, careful reading of corpus files, `workbench corpora` and its `pull`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from tiny_corpora import write_tiny_corpora
from workbench_plugins.datasets.divina import DivinaDataset

from workbench.cli import main
from workbench.corpora import search
from workbench.corpora.pull import gutenberg_to_layout, pull
from workbench.corpora.reading import read_text
from workbench.corpora.search import ENV_VAR, locate, status
from workbench.errors import CorpusError


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user data dir, and no WORKBENCH_CORPORA, so nothing outside the test is found."""
    directory = tmp_path / "user-data" / "corpora"
    monkeypatch.setattr(search, "user_corpora_dir", lambda: directory)
    monkeypatch.delenv(ENV_VAR, raising=False)
    return directory


def test_search_order_is_explicit_then_env_then_user_dir(
    tmp_path: Path, user_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit, env = write_tiny_corpora(tmp_path / "explicit"), write_tiny_corpora(tmp_path / "env")
    write_tiny_corpora(user_dir)
    assert locate("names") == user_dir / "names"
    monkeypatch.setenv(ENV_VAR, str(env))
    assert locate("names") == env / "names"
    assert locate("names", explicit) == explicit / "names"
    assert locate("divina", explicit) == explicit / "divina_commedia.txt"


def test_a_root_without_the_corpus_falls_through_to_the_next(tmp_path: Path, user_dir: Path) -> None:
    write_tiny_corpora(user_dir)
    assert locate("names", tmp_path / "empty") == user_dir / "names"


def test_missing_corpus_says_where_it_looked_and_how_to_get_it(tmp_path: Path, user_dir: Path) -> None:
    with pytest.raises(CorpusError) as error:
        locate("divina", tmp_path / "nowhere")
    message = str(error.value)
    assert "workbench corpora pull divina" in message and ENV_VAR in message
    assert str(tmp_path / "nowhere") in message and str(user_dir) in message


def test_unknown_corpus_lists_the_known_ones(user_dir: Path) -> None:
    with pytest.raises(CorpusError, match="divina, names"):
        locate("poems")


def test_names_without_text_files_is_a_layout_error(tmp_path: Path, user_dir: Path) -> None:
    (tmp_path / "names").mkdir()
    (tmp_path / "names" / "README.md").write_text("no names here\n")
    with pytest.raises(CorpusError, match="contains no .txt files") as error:
        locate("names", tmp_path)
    assert str(tmp_path / "names") in str(error.value)


def test_names_as_a_file_is_a_layout_error(tmp_path: Path, user_dir: Path) -> None:
    (tmp_path / "names").write_text("Smith\n")
    with pytest.raises(CorpusError, match="should be a directory"):
        locate("names", tmp_path)


def test_non_utf8_file_names_the_byte_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "German.txt"
    path.write_bytes(b"Schmidt\nM\xfcller\n")
    with pytest.raises(CorpusError) as error:
        read_text(path, "names")
    message = str(error.value)
    assert str(path) in message and "offset 9" in message and "line 2" in message
    assert "0xfc" in message


def test_empty_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "Korean.txt"
    path.write_text("\n  \n")
    with pytest.raises(CorpusError, match="is empty") as error:
        read_text(path, "names")
    assert str(path) in str(error.value)


def test_poem_without_canto_headings_is_a_layout_error(tmp_path: Path, user_dir: Path) -> None:
    poem = tmp_path / "divina_commedia.txt"
    poem.write_text("Nel mezzo del cammin di nostra vita\nmi ritrovai per una selva oscura\n")
    with pytest.raises(CorpusError, match="no canto headings") as error:
        DivinaDataset(corpus_root=tmp_path).generation(0)
    assert str(poem) in str(error.value)


def test_status_reports_missing_and_modified_corpora(tmp_path: Path, user_dir: Path) -> None:
    write_tiny_corpora(tmp_path)
    report = {entry.manifest.name: entry for entry in status(tmp_path)}
    assert report["names"].state == "modified" and report["names"].origin == "--corpora"
    assert "names/Arabic.txt is missing" in report["names"].detail
    (tmp_path / "divina_commedia.txt").unlink()
    assert status(tmp_path)[0].state == "missing"


def test_status_of_the_real_corpora_verifies(real_corpora: Path) -> None:
    assert {entry.manifest.name: entry.state for entry in status(real_corpora)} == {
        "divina": "ok", "names": "ok"
    }


def test_corpora_command_prints_a_table_and_json(
    tmp_path: Path, user_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tiny_corpora(tmp_path)
    (tmp_path / "divina_commedia.txt").unlink()
    assert main(["corpora", "--corpora", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    for expected in ("source", "licence", "names", "modified", "missing", "workbench corpora pull divina"):
        assert expected in table
    assert main(["corpora", "--corpora", str(tmp_path), "--json"]) == 0
    rows = {row["corpus"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["names"]["path"] == str(tmp_path / "names")
    assert rows["divina"]["status"] == "missing" and rows["divina"]["path"] is None
    assert rows["divina"]["source"].startswith("https://www.gutenberg.org/")


def _names_zip(path: Path, names_dir: Path) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data/eng-fra.txt", "not a names file\n")
        for file in sorted(names_dir.glob("*.txt")):
            archive.write(file, f"data/names/{file.name}")
    return path.as_uri()


def test_pull_names_verifies_and_installs(tmp_path: Path, real_corpora: Path) -> None:
    url = _names_zip(tmp_path / "data.zip", real_corpora / "names")
    target = tmp_path / "installed"
    (target / "names").mkdir(parents=True)
    (target / "names" / "Old.txt").write_text("stale\n")
    assert pull("names", to=target, url=url) == target / "names"
    installed = sorted(path.name for path in (target / "names").iterdir())
    assert installed == sorted(path.name for path in (real_corpora / "names").glob("*.txt"))
    assert list(target.iterdir()) == [target / "names"]


def test_pull_with_a_checksum_mismatch_installs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _names_zip(tmp_path / "data.zip", write_tiny_corpora(tmp_path / "tiny") / "names")
    target = tmp_path / "installed"
    (target / "names").mkdir(parents=True)
    (target / "names" / "Kept.txt").write_text("Smith\n")
    code = main(["corpora", "pull", "names", "--from", url, "--to", str(target)])
    assert code == 2
    assert "does not match its manifest" in capsys.readouterr().err
    assert list(target.iterdir()) == [target / "names"]
    assert [path.name for path in (target / "names").iterdir()] == ["Kept.txt"]


def test_pull_of_something_that_is_not_a_zip_fails_cleanly(tmp_path: Path) -> None:
    fake = tmp_path / "data.zip"
    fake.write_text("<html>moved</html>")
    with pytest.raises(CorpusError, match="not a zip archive"):
        pull("names", to=tmp_path / "installed", url=fake.as_uri())
    assert not (tmp_path / "installed").exists(), "a failed pull removes the directory it created"


def _gutenberg_edition(poem: str) -> str:
    """The poem as Project Gutenberg lays it out: licence header, indented lines, extra blank lines."""
    body = "\n".join(("  " + line if line else "\n") for line in poem.splitlines())
    return (
        "\ufeffThe Project Gutenberg eBook of La Divina Commedia di Dante\n\n"
        "*** START OF THE PROJECT GUTENBERG EBOOK LA DIVINA COMMEDIA DI DANTE ***\n\n"
        "Produced by an anonymous Project Gutenberg volunteer.\n\n\n" + body + "\n\n\n\n"
        "  - - - - - - - - - - -\n\n  TAVOLA DEI CARATTERI SPECIALI\n      à = a grave\n\n"
        "*** END OF THE PROJECT GUTENBERG EBOOK LA DIVINA COMMEDIA DI DANTE ***\nlicence text\n"
    ).replace("\n", "\r\n")


def test_gutenberg_conversion_restores_the_layout() -> None:
    poem = "LA DIVINA COMMEDIA\n\nINFERNO\n\nInferno • Canto I\n\nNel mezzo\nmi ritrovai\n"
    assert gutenberg_to_layout(_gutenberg_edition(poem), "LA DIVINA COMMEDIA", "- - -") == poem


def test_pull_divina_converts_the_gutenberg_text_to_the_manifest_checksum(
    tmp_path: Path, real_corpora: Path
) -> None:
    source = tmp_path / "pg1012.txt"
    poem = (real_corpora / "divina_commedia.txt").read_text(encoding="utf-8")
    source.write_bytes(_gutenberg_edition(poem).encode("utf-8"))
    installed = pull("divina", to=tmp_path / "installed", url=source.as_uri())
    assert installed.read_text(encoding="utf-8") == poem


def test_pull_divina_of_another_text_fails_cleanly(tmp_path: Path) -> None:
    source = tmp_path / "pg1012.txt"
    source.write_text("The Project Gutenberg eBook of something else\n")
    with pytest.raises(CorpusError, match="not the expected edition"):
        pull("divina", to=tmp_path / "installed", url=source.as_uri())
    assert not (tmp_path / "installed").exists()


def test_pull_without_a_network_is_a_download_failure_that_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "corpora"
    unreachable = "http://127.0.0.1:9/names.zip"  # the discard port: the connection is refused
    code = main(["corpora", "pull", "names", "--from", unreachable, "--to", str(target)])
    error = capsys.readouterr().err
    assert code == 1, "a network failure is not bad input"
    assert "download failed:" in error and "network connection" in error and "Traceback" not in error
    assert not (tmp_path / "new").exists(), "the directories the pull made are removed again"
    with pytest.raises(CorpusError, match="Check the path given with --from"):
        pull("names", to=target, url=(tmp_path / "absent.zip").as_uri())
    assert not (tmp_path / "new").exists()
