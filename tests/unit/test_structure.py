"""Where state lives: one owner, ``lambda_lifecycle._runtime``, nobody else keeps any, and each
field of it is changed by the one module that owns it."""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import lambda_lifecycle

PACKAGE = pathlib.Path(lambda_lifecycle.__file__).parent
# Every module, the tools' and the packages' included: none but the owner keeps state or
# reacts to a fork.
MODULES = sorted(PACKAGE.rglob("*.py"))


def _tree(path: pathlib.Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def test_only_the_owner_reacts_to_a_fork():
    registering = [
        path.name
        for path in MODULES
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Attribute) and node.attr == "register_at_fork"
    ]
    assert registering == ["_runtime.py"]


def test_no_module_rebinds_its_globals():
    # A `global` statement is state kept outside the owner, or a seam made by rebinding.
    offenders = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in MODULES
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Global)
    ]
    assert offenders == []


def test_the_owner_imports_nothing_of_the_sdk():
    # So that every other module can import it without a cycle: what its type hints name is
    # imported under `if TYPE_CHECKING:` alone, which never runs.
    tree = _tree(PACKAGE / "_runtime.py")
    for_types = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    of_the_sdk = [node for node in ast.walk(tree) if _imports_the_sdk(node)]
    assert any(id(node) in for_types for node in of_the_sdk)  # seen: the hints' imports
    assert [ast.unparse(node) for node in of_the_sdk if id(node) not in for_types] == []


def _imports_the_sdk(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return bool(node.level) or (node.module or "").split(".")[0] == "lambda_lifecycle"
    return isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "lambda_lifecycle" for alias in node.names)


# Who may change each field of RUNTIME: a part (an object of its module's, under RUNTIME) only
# its module, fields and all; the runtime's own fields their one module, or RUNTIME's methods
# alone ("_runtime.py"), which is how lambda_lifecycle.testing swaps the writer and the clock.
PARTS = {
    "shutdown": "_shutdown.py",
    "marker": "_marker.py",
    "in_flight": "_measurement.py",
    "probes": "_probes.py",
    "init": "_init_anatomy.py",
}
INTEGRATIONS = {"powertools.py", "otel/__init__.py"}  # the integrations register themselves
# What a function may import: the SDK and its integrations, not the tools (cli, local).
STATE_MODULES = sorted(
    path for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] not in ("cli", "local")
)
OWNERS = {
    **{part: {module} for part, module in PARTS.items()},
    "bootstrap": {"_config.py"},
    "generation": {"_config.py"},
    "process": {"_state.py"},
    "restore_hook_registered": {"_state.py"},
    "lock": {"_runtime.py"},
    "simulated": {"_runtime.py"},
    "clock": {"_runtime.py"},
    "write": {"_runtime.py"},
    "collect": {"_runtime.py", "_measurement.py"},  # a sink: it gets the records integrations published
    "watchdog": {"_watchdog.py"},
    "event_loop": {"_async.py"},
    "forked_child": {"_runtime.py"},  # after_fork() alone: whether the parent's lifecycle had begun
    "warned": {"_warnings.py"},
    "begin_listeners": INTEGRATIONS,
    "record_sinks": INTEGRATIONS,
    "observers": INTEGRATIONS,
    "init_listeners": INTEGRATIONS,
    "undo": INTEGRATIONS,
}
_MUTATORS = {"append", "extend", "insert", "remove", "pop", "clear", "add", "discard", "update", "setdefault"}


def _runtime_path(node: ast.expr, aliases: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """The fields of RUNTIME an expression reaches (``RUNTIME.shutdown.hooks[0]``: shutdown,
    hooks), through a local name bound to RUNTIME or to one of its fields; None if it does not."""
    names: list[str] = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    root = ("RUNTIME",) if node.id == "RUNTIME" else aliases.get(node.id)
    return None if root is None else (*root, *reversed(names))[1:]


def _state_changes(path: pathlib.Path) -> list[tuple[str, tuple[str, ...], int]]:
    # Assignments (=, +=, del) to RUNTIME's fields and mutating calls on them, in each scope.
    changes = []
    functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    scopes = [node for node in ast.walk(_tree(path)) if isinstance(node, (ast.Module, *functions))]
    for scope in scopes:
        aliases: dict[str, tuple[str, ...]] = {}
        body = list(_within(scope, functions))
        for node in body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                reached = _runtime_path(node.value, aliases)
                if reached is not None:
                    aliases[node.targets[0].id] = ("RUNTIME", *reached)
        for node in body:
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = [
                    t for target in node.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])
                ]
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, ast.Delete):
                targets = node.targets
            # Rebinding a local name changes nothing of RUNTIME; a mutating call on one does.
            targets = [target for target in targets if not isinstance(target, ast.Name)]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
                targets = [node.func.value]
            for target in targets:
                reached = _runtime_path(target, aliases)
                if reached:
                    changes.append((str(path.relative_to(PACKAGE)), reached, node.lineno))
    return changes


def _within(scope: ast.AST, functions: tuple[type[ast.AST], ...]) -> Iterator[ast.AST]:
    # The nodes of one scope: nested functions are scopes of their own (a class body is not).
    for child in ast.iter_child_nodes(scope):
        if not isinstance(child, functions):
            yield child
            yield from _within(child, functions)


def test_every_field_of_the_state_has_an_owner():
    from lambda_lifecycle._runtime import Runtime

    assert set(Runtime.__annotations__) == set(OWNERS)


def test_each_part_of_the_state_is_changed_only_by_its_owner():
    # A part's fields are assigned and changed by its module only; testing changes the state
    # only through RUNTIME's methods; nothing else writes what it does not own.
    changes = [change for path in STATE_MODULES for change in _state_changes(path)]
    assert ("_shutdown.py", ("shutdown", "hooks")) in {(module, path) for module, path, _ in changes}  # seen
    offenders = [
        f"{module}:{line} changes RUNTIME.{'.'.join(path)}"
        for module, path, line in changes
        if module not in OWNERS[path[0]]
    ]
    assert offenders == []


def test_each_part_is_its_modules_own_and_reset_with_the_state():
    from lambda_lifecycle._runtime import RUNTIME

    for part, module in PARTS.items():
        assert type(getattr(RUNTIME, part)).__module__ == "lambda_lifecycle." + module.removesuffix(".py")
    assert sorted(map(id, RUNTIME._parts)) == sorted(id(getattr(RUNTIME, part)) for part in PARTS)
