"""pytest fixtures for testing instrumented handlers; installed with the package, nothing autouse.

- ``lambda_context``: a context shaped like the real runtime client's (string memory limit, a
  deadline that counts down).
- ``lifecycle``: a :class:`lambda_lifecycle.testing.Lifecycle`, entered: a new simulated
  execution environment with its own ``/tmp`` (under pytest's ``tmp_path``), the records it
  writes, and ways to pass idle time, fill ``/tmp``, restore and shut down. It starts without
  the SDK's settings variables of the shell that runs the tests (``LAMBDA_LIFECYCLE_SERVICE``,
  ``POWERTOOLS_SERVICE_NAME``, ...), so a test passes for what the handler module sets up, not for
  what the developer's environment happens to hold; set one inside a test with ``monkeypatch``.

A suite that uses neither is not affected in any way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ._config import VARIABLES
from .testing import LambdaContext, Lifecycle


@pytest.fixture
def lambda_context() -> LambdaContext:
    """A fresh Lambda context for one invocation."""
    return LambdaContext()


@pytest.fixture
def lifecycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lifecycle]:
    """A simulated execution environment around the test, free of the shell's SDK settings."""
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    tmp = tmp_path / "lambda-tmp"
    tmp.mkdir()
    with Lifecycle(tmp_dir=str(tmp)) as simulation:
        yield simulation
