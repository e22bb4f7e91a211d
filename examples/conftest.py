from __future__ import annotations

import pytest

from lambda_lifecycle import testing


@pytest.fixture
def handler_path(request):
    """The handler.py next to the test: ``lifecycle.load(handler_path)`` imports it fresh."""
    return request.path.parent / "handler.py"


@pytest.fixture
def load_handler(handler_path):
    """For the examples that drive ``testing`` by hand: import handler.py fresh, with the public
    ``Lifecycle.load()``; each load is a new init (they call ``testing.reset()`` themselves)."""
    with testing.Lifecycle() as simulation:
        yield lambda: simulation.load(handler_path)
