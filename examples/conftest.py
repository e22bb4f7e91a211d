from __future__ import annotations

import importlib.util
import sys

import pytest


@pytest.fixture
def load_handler(request):
    """Import the handler.py next to the test as a fresh module: one new execution environment.

    Module-level code runs again, as it does when Lambda creates an environment, so each load
    is a new init followed by a cold start.
    """
    loaded = []

    def load():
        path = request.path.parent / "handler.py"
        name = f"example_{request.path.parent.name}_{len(loaded)}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        loaded.append(name)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)
