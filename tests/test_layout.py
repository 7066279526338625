"""The package layout: every module imports only from its own layer or below, and no import cycle exists.

Layers, bottom to top (README, "Layout"):
0. the plugin API and the core beside it: the modules directly in `workbench/`, and the two
   plugin-facing modules of `inspection` (`features`, `reading`), which import nothing above them;
1. `corpora`;  2. `runs`;  3. `engine`;  4. `inspection`, `bench`, `studies`;  5. `commands`, `app`;
6. the entry points `cli` and `__main__`.
Packages on one layer do not import each other. Imports under `if TYPE_CHECKING:` are left out:
they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import workbench

ROOT = Path(workbench.__file__).parent
PACKAGE_LAYERS = {"corpora": 1, "runs": 2, "engine": 3, "inspection": 4, "bench": 4, "studies": 4,
                  "commands": 5, "app": 5}
PLUGIN_FACING_IN_PACKAGES = {"workbench.inspection.features", "workbench.inspection.reading"}
ENTRY_POINTS = {"workbench.cli", "workbench.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in ROOT.rglob("*.py")}


def imported_modules(path: Path) -> set[str]:
    """The workbench modules `path` imports (a name imported from a package counts as its module)."""
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                for statement in node.orelse:
                    self.visit(statement)
            else:
                self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else str(node.module))

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in found if name in MODULES and name != module_name(path)}


GRAPH = {name: imported_modules(path) for name, path in MODULES.items()}


def place(module: str) -> tuple[int, str]:
    """A module's layer and its group (the package it belongs to, or "" for layer 0)."""
    if module in ENTRY_POINTS:
        return 6, "entry points"
    if module in PLUGIN_FACING_IN_PACKAGES:
        return 0, ""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in PACKAGE_LAYERS:
        return PACKAGE_LAYERS[parts[1]], parts[1]
    return 0, ""


def test_no_module_imports_from_a_layer_above_or_a_sibling_package() -> None:
    wrong = []
    for module, imports in sorted(GRAPH.items()):
        layer, group = place(module)
        for imported in sorted(imports):
            imported_layer, imported_group = place(imported)
            if imported_layer > layer or (imported_layer == layer and imported_group != group):
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_no_import_cycle() -> None:
    finished: set[str] = set()

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module):], module]
        if module in finished:
            return None
        for imported in sorted(GRAPH[module]):
            cycle = cycle_from(imported, [*path, module])
            if cycle:
                return cycle
        finished.add(module)
        return None

    cycles = [cycle for module in sorted(GRAPH) if (cycle := cycle_from(module, []))]
    assert cycles == []


def test_the_layout_test_sees_every_package() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages == set(PACKAGE_LAYERS)
    assert "workbench.engine.run" in GRAPH["workbench.commands.run_command"]
