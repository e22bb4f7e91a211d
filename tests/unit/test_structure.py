"""Where state lives: one owner, ``lambda_lifecycle._runtime``, and nobody else keeps any."""

from __future__ import annotations

import ast
import pathlib

import lambda_lifecycle

PACKAGE = pathlib.Path(lambda_lifecycle.__file__).parent
# The handler-side SDK: what a function imports. The CLI and the local runner run elsewhere.
SDK_MODULES = sorted(PACKAGE.glob("*.py"))


def _tree(path: pathlib.Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def test_only_the_owner_reacts_to_a_fork():
    registering = [
        path.name
        for path in SDK_MODULES
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Attribute) and node.attr == "register_at_fork"
    ]
    assert registering == ["_runtime.py"]


def test_no_module_rebinds_its_globals():
    # A `global` statement is state kept outside the owner, or a seam made by rebinding.
    offenders = [
        f"{path.name}:{node.lineno}"
        for path in SDK_MODULES
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Global)
    ]
    assert offenders == []


def test_the_owner_imports_nothing_of_the_sdk():
    # So that every other module can import it without a cycle.
    relative = [
        node.module
        for node in ast.walk(_tree(PACKAGE / "_runtime.py"))
        if isinstance(node, ast.ImportFrom) and node.level and not _under_type_checking(node)
    ]
    assert relative == []


def _under_type_checking(node: ast.ImportFrom) -> bool:
    source = (PACKAGE / "_runtime.py").read_text().splitlines()
    block = source[: node.lineno]
    return any(line.startswith("if TYPE_CHECKING") for line in block) and block[-1].startswith("    ")
