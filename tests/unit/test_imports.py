"""The import graph of ``src/``: no cycle, lazy or not, and the tools and the SDK in their layers."""

from __future__ import annotations

import ast
import pathlib

import lambda_lifecycle

PACKAGE = pathlib.Path(lambda_lifecycle.__file__).parent
ROOT = PACKAGE.parent


def _name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, inside functions too, but not under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                stack.extend(child.orelse)  # the else branch runs
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            stack.append(child)
    return found


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package modules an import statement loads (not counting their parent packages, which
    every submodule loads)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    if node.level:
        base = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    if source not in MODULES:
        return set()
    # `from package import name`: the submodule when there is one, else the package itself.
    return {f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source for alias in node.names}


def graph() -> dict[str, set[str]]:
    return {
        module: {
            target for node in _imports(ast.parse(path.read_text(), str(path))) for target in _targets(module, node)
        }
        - {module}
        for module, path in MODULES.items()
    }


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(edges):
        if module not in state and (found := visit(module)) is not None:
            return found
    return None


def test_no_import_cycle_lazy_or_not():
    assert _cycle(graph()) is None


def test_the_cycle_finder_sees_a_lazy_import():
    # As cli/__init__ once imported local.run inside a function, and local.run imported cli.
    edges = {"a": {"b"}, "b": set()}
    assert _cycle(edges) is None
    edges["b"].add("a")
    assert _cycle(edges) == ["a", "b", "a"]
    tree = ast.parse("TYPE_CHECKING = False\nif TYPE_CHECKING:\n    import x\ndef f():\n    import y\n")
    assert [node.names[0].name for node in _imports(tree)] == ["y"]


def _reaches(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        for target in edges.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def test_the_local_runner_imports_nothing_of_the_clis_internals():
    # Only self-contained modules it shares with the CLI (the price table, Lambda's own log
    # lines), which import nothing of the CLI themselves; never its commands, flags or errors.
    edges = graph()
    for module in MODULES:
        if not module.startswith("lambda_lifecycle.local"):
            continue
        for target in edges[module]:
            if target.startswith("lambda_lifecycle.cli"):
                assert target != "lambda_lifecycle.cli", module
                assert not {m for m in edges[target] if m.startswith("lambda_lifecycle.cli")}, (module, target)


def test_the_reader_and_testing_import_no_tool():
    edges = graph()
    for module in ("lambda_lifecycle.records", "lambda_lifecycle.testing"):
        tools = {m for m in _reaches(edges, module) if m.startswith(("lambda_lifecycle.cli", "lambda_lifecycle.local"))}
        assert tools == set(), module


def test_the_sdk_never_imports_the_tools():
    edges = graph()
    reached = _reaches(edges, "lambda_lifecycle")
    tools = ("lambda_lifecycle.cli", "lambda_lifecycle.local", "lambda_lifecycle.testing", "lambda_lifecycle.records")
    assert {m for m in reached if m.startswith(tools)} == set()
