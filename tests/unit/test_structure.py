"""The layout keeps its rules: no import cycles, the normal path imports nothing it does not need,
and every import inside a function is one of the boundaries the design names."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.layout import BOUNDARIES, NORMAL_PATH, NORMAL_PATH_STDLIB

SRC = Path(__file__).resolve().parents[2] / "src"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, str]]:
    """(imported module, where: "top", "function" or "typing") for each import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            here = where
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                here = "function"
            elif isinstance(child, ast.If) and getattr(child.test, "id", None) == "TYPE_CHECKING":
                here = "typing"
            if isinstance(child, ast.Import):
                found.extend((alias.name, here) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                # `from package import module` is an import of the module.
                inner = [f"{child.module}.{a.name}" for a in child.names]
                inner = [name for name in inner if name in MODULES]
                found.extend((name, here) for name in inner or [child.module])
            visit(child, here)

    visit(tree, "top")
    return found


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        for name, _where in _imports(path):
            if name in MODULES and name != module:
                edges.setdefault(module, set()).add(name)
    return edges


def test_no_import_cycles():
    edges = _edges()
    state: dict[str, int] = {}
    cycles = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in MODULES:
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_normal_path_imports_only_what_it_needs():
    for module in sorted(NORMAL_PATH):
        for name, where in _imports(MODULES[module]):
            if where != "top" or name.startswith("safepip"):
                assert where != "top" or name in NORMAL_PATH, f"{module} imports {name}"
                continue
            assert name in NORMAL_PATH_STDLIB, f"{module} imports {name} on the normal path"


def test_imports_inside_functions_are_the_named_boundaries():
    found: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        for name, where in _imports(path):
            if where == "function" and name != module:
                found.setdefault(module, set()).add(name)
    assert found == BOUNDARIES


def test_every_module_says_what_it_is_for():
    for module, path in MODULES.items():
        assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), module
