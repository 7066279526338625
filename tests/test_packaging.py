"""A regular (non-editable) install ships every module and data file the source tree has."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Source folder -> import name in site-packages (see package-dir in pyproject.toml).
INSTALLED_AS = {"workbench": "workbench", "plugins": "workbench_plugins", "corpora": "workbench_corpora"}
SHIPPED_SUFFIXES = (".py", ".tcss", ".toml", ".txt")


def expected_files() -> set[str]:
    files = set()
    for folder, package in INSTALLED_AS.items():
        for path in (ROOT / folder).rglob("*"):
            relative = path.relative_to(ROOT / folder)
            if path.suffix in SHIPPED_SUFFIXES and "examples" not in relative.parts \
                    and "__pycache__" not in relative.parts:
                files.add(f"{package}/{relative.as_posix()}")
    return files


def copy_of_the_sources(target: Path) -> Path:
    """The packaging files and packages, without any earlier build output that could hide a gap."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    for folder in INSTALLED_AS:
        shutil.copytree(ROOT / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_the_wheel_holds_every_module_and_data_file(tmp_path):
    source = copy_of_the_sources(tmp_path / "source")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("workbench-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(expected_files() - shipped)
    assert not missing, f"not in the wheel: {missing}"
    assert "workbench_plugins/examples/__init__.py" not in shipped
