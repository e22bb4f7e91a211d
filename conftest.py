from __future__ import annotations

import os
import warnings

import pytest

from lambda_lifecycle import LifecycleWarning, testing

TIERS = ("unit", "integration", "e2e")  # the folders under tests/, each its own marker


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its tier, the folder it is in, so that ``-m "not e2e"`` selects by tier."""
    tests = config.rootpath / "tests"
    for item in items:
        if item.path.is_relative_to(tests):
            tier = item.path.relative_to(tests).parts[0]
            if tier in TIERS:
                item.add_marker(tier)


@pytest.fixture(autouse=True)
def fresh_environment(monkeypatch):
    """Each test starts as a new execution environment, with no Lambda or SDK variables set."""
    for name in list(os.environ):
        if name.startswith(("AWS_LAMBDA_", "LAMBDA_LIFECYCLE_", "POWERTOOLS_", "_X_AMZN_TRACE_ID")):
            monkeypatch.delenv(name)
    testing.reset()
    yield
    testing.reset()


@pytest.fixture(autouse=True)
def no_unexpected_warnings():
    """A LifecycleWarning a test did not ask for (with pytest.warns) fails it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LifecycleWarning)
        yield
    unexpected = [str(w.message) for w in caught if issubclass(w.category, LifecycleWarning)]
    assert not unexpected, unexpected


@pytest.fixture
def records():
    with testing.capture() as captured:
        yield captured


@pytest.fixture
def clock():
    with testing.simulated_clock() as simulated:
        yield simulated


@pytest.fixture
def context():
    return testing.LambdaContext(function_name="orders", memory_limit_in_mb=256)
