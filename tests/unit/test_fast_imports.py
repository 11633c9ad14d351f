"""The `TYPE_CHECKING = False` idiom, checked in every module on the fast path, not only in
those the fast verbs happen to import today (tests/unit/test_import_budget.py measures
those at run time). docs/DESIGN.md, "Changing the house", says why.

A module is on the fast path unless it is *cold*: it imports botocore or boto3 at its top
level (or a cold module, at its top level), or only cold modules import it. Cold modules
already pay for botocore and may import typing; all others may not, at their top level,
import the standard library's slow modules: typing (so `from typing import TYPE_CHECKING`
too), dataclasses, pathlib, tempfile.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
SLOW = ("typing", "dataclasses", "pathlib", "tempfile")
BOTOCORE = ("botocore", "boto3")


def modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "stsenv").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def is_type_checking(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and (node.test.id == "TYPE_CHECKING")
    )


def top_level(tree: ast.Module) -> list[ast.stmt]:
    """The statements that run on import (not under `if TYPE_CHECKING:`, not in a def)."""
    found: list[ast.stmt] = []
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        if is_type_checking(node) or isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            continue
        found.append(node)
        for field in ("body", "orelse", "finalbody", "handlers"):
            todo.extend(getattr(node, field, []))
    return found


def imported(nodes: Sequence[ast.AST], package: str) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def runtime_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node outside `if TYPE_CHECKING:` blocks (function bodies included)."""
    skip = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and is_type_checking(block)
        for n in ast.walk(block)
    }
    return [node for node in ast.walk(tree) if id(node) not in skip]


@functools.cache
def analysis() -> tuple[dict[str, set[str]], set[str]]:
    """(each module's top-level imports, the cold modules)."""
    found = modules()
    top: dict[str, set[str]] = {}
    anywhere: dict[str, set[str]] = {}
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        top[name] = imported(top_level(tree), package)
        anywhere[name] = {m for m in imported(runtime_nodes(tree), package) if m in found}
    cold = {n for n, names in top.items() if any(m.split(".")[0] in BOTOCORE for m in names)}
    changed = True
    while changed:
        before = len(cold)
        cold |= {n for n, names in top.items() if names & cold}
        importers = {n: {m for m in found if n in anywhere[m]} for n in found}
        cold |= {n for n, by in importers.items() if by and by <= cold}
        changed = len(cold) != before
    return top, cold


def test_the_probe_sees_cold_and_fast_modules() -> None:
    _top, cold = analysis()
    assert "stsenv.aws.sso" in cold and "stsenv.aws.targets" in cold  # via botocore; via importers
    assert "stsenv.aws.cache" not in cold and "stsenv.commands.status" not in cold


def test_only_aws_modules_are_cold() -> None:
    """botocore stays in aws/ (DESIGN "Layers"): no other module may need it on import."""
    _top, cold = analysis()
    assert sorted(n for n in cold if not n.startswith("stsenv.aws.")) == []


def fast_modules() -> list[str]:
    return sorted(set(modules()) - analysis()[1])


@pytest.mark.parametrize("name", fast_modules())
def test_fast_path_modules_import_nothing_slow_at_top_level(name: str) -> None:
    slow = sorted(m for m in analysis()[0][name] if m.split(".")[0] in SLOW)
    assert slow == [], f"{name}: use `TYPE_CHECKING = False` / `if TYPE_CHECKING:` (DESIGN.md)"
