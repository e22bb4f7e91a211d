"""A handler module imported anew, as each execution environment's init imports it: a new module
object under a name of its own, whose module-level code runs again."""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

LOADED = "_lambda_lifecycle_load_"  # the prefix of the modules Lifecycle.load() imports
_load_count = itertools.count()


def _is_path(target: str) -> bool:
    return target.endswith(".py") or os.sep in target or "/" in target


def locate(target: str, caller: str | None) -> str:
    """A file target as an absolute path: relative to the working directory, else to the
    directory of the file that asked (a test next to its handler works from any directory)."""
    if not _is_path(target) or os.path.isabs(target) or os.path.exists(target) or caller is None:
        return target
    beside = os.path.join(os.path.dirname(os.path.abspath(caller)), target)
    return beside if os.path.exists(beside) else target


def import_fresh(target: str) -> ModuleType:
    """A new module object for ``target`` (a ``.py`` path or a dotted module name), executed now."""
    if _is_path(target):
        location = os.path.abspath(target)
        if not os.path.exists(location):
            raise FileNotFoundError(f"lambda-lifecycle load: no file {target!r} (from {os.getcwd()!r})")
        stem = os.path.splitext(os.path.basename(location))[0]
        spec = importlib.util.spec_from_file_location(f"{LOADED}{next(_load_count)}_{stem}", location)
    else:
        found = importlib.util.find_spec(target)
        if found is None or found.origin is None:
            raise ModuleNotFoundError(f"lambda-lifecycle load: no module named {target!r}", name=target)
        name = f"{LOADED}{next(_load_count)}_{target.replace('.', '_')}"
        spec = importlib.util.spec_from_file_location(name, found.origin)
    if spec is None or spec.loader is None:
        raise ImportError(f"lambda-lifecycle load: cannot import {target!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(spec.name, None)
        raise
    return module
