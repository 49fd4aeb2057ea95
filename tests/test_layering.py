"""The architecture as a test: the core stays pure, and no module imports itself round a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workshop"
FRAMEWORKS = {"flask", "flask_socketio", "socketio", "engineio", "sqlite3", "sqlite_utils", "eventlet",
              "gevent", "werkzeug"}


def module_name(path: Path) -> str:
    """Return a file's dotted module name."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULE_NAMES = {module_name(p) for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Return every module a file imports, at any depth of the file (deferred imports count too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import chart` depends on chart, not on the package
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in MODULE_NAMES else target)
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py") if "fonts" not in p.parts}
GRAPH = {name: {m for m in imports_of(path) if m in MODULES and m != name} for name, path in MODULES.items()}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("workshop.core")))
def test_a_core_module_imports_no_framework_database_or_event_loop(name):
    roots = {m.split(".")[0] for m in imports_of(MODULES[name])}
    assert not roots & FRAMEWORKS, f"{name} imports {sorted(roots & FRAMEWORKS)}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("workshop.core")))
def test_the_core_never_reaches_into_the_shell(name):
    assert not any(m.startswith("workshop.shell") for m in GRAPH[name]), name


def test_no_import_cycle_in_the_package():
    cycles, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_check_sees_a_cycle_and_a_framework_when_there_is_one(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom sqlite_utils import Database\n")
    assert {"flask", "sqlite_utils"} <= imports_of_free(bad)


def imports_of_free(path: Path) -> set[str]:
    """Read absolute imports of a file outside the package (for the self-check above)."""
    return {alias.name.split(".")[0] for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import) for alias in node.names} | {
        node.module.split(".")[0] for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module and not node.level}
