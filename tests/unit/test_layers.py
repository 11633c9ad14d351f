"""The house rule (docs/DESIGN.md, "Layers"): imports point downward only.

An AST walk over src/stsenv, counting imports inside functions and under TYPE_CHECKING
too: a lazy import is still a dependency. A module may import modules of lower layers, and
modules of its own layer only inside its own package (aws/ or shells/); nothing imports
cli; aws/ and shells/ never import each other; and there is no cycle at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

# Lowest first. A module's layer is that of the longest prefix listed here.
LAYERS: list[tuple[str, ...]] = [
    ("stsenv.errors", "stsenv.model", "stsenv.settings", "stsenv.inert", "stsenv.tidy"),
    ("stsenv.limits", "stsenv.envchange", "stsenv.spec"),
    ("stsenv.config", "stsenv.use_args", "stsenv.terminal"),
    ("stsenv.aws", "stsenv.shells"),
    ("stsenv.activation", "stsenv.exports", "stsenv.project"),
    ("stsenv.catalog",),
    ("stsenv.commands",),
    ("stsenv.cli",),
    ("stsenv.__main__",),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "stsenv").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The stsenv modules `name` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        candidates: list[str] = []
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            subs = [f"{base}.{alias.name}" for alias in node.names]
            candidates = [s for s in subs if s in known] or [base]
        for target in candidates:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
    return targets


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def layer_of(name: str) -> int:
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def package_of(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or name in ("stsenv.aws", "stsenv.shells") else ""


def violations(edges: dict[str, set[str]]) -> list[str]:
    problems = []
    for source, targets in sorted(edges.items()):
        if source == "stsenv":
            continue
        for target in sorted(targets):
            if target == "stsenv":  # the package itself: __version__
                continue
            low, high = layer_of(target), layer_of(source)
            same_package = package_of(source) and package_of(source) == package_of(target)
            if target == "stsenv.cli" and source != "stsenv.__main__":
                problems.append(f"{source} imports cli")
            if low > high or (low == high and not same_package):
                problems.append(f"{source} (layer {high}) imports {target} (layer {low})")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(edges)]
    return problems


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name in modules() if name != "stsenv" and layer_of(name) < 0]
    assert unplaced == []


def test_imports_point_downward_only() -> None:
    assert violations(graph()) == []


def test_aws_and_shells_never_import_each_other() -> None:
    edges = graph()
    crossing = [
        (a, b)
        for a, targets in edges.items()
        for b in targets
        if {package_of(a), package_of(b)} == {"stsenv.aws", "stsenv.shells"}
    ]
    assert crossing == []


@pytest.mark.parametrize(
    ("source", "added"),
    [
        ("stsenv.commands.use", "stsenv.cli"),  # a command reaching up to the dispatcher
        ("stsenv.aws.cache", "stsenv.aws.assume"),  # a cycle inside aws/
        ("stsenv.shells.posix", "stsenv.aws"),  # shells/ and aws/ meeting
        ("stsenv.model", "stsenv.activation"),  # a record importing a use case
    ],
)
def test_the_rule_catches_a_bad_import(source: str, added: str) -> None:
    """The check itself can fail: add one bad edge and it must complain."""
    edges = graph()
    assert violations(edges) == []
    edges[source] = {*edges[source], added}
    assert violations(edges) != []


def test_a_function_level_import_counts(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from stsenv import cli\n    return cli\n")
    assert imports_of("stsenv.commands.m", module, {"stsenv", "stsenv.cli"}) == {"stsenv.cli"}
