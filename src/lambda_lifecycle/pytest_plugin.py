"""pytest fixtures for testing instrumented handlers; installed with the package, nothing autouse.

- ``lambda_context``: a context shaped like the real runtime client's (string memory limit, a
  deadline that counts down).
- ``lifecycle``: a :class:`lambda_lifecycle.testing.Lifecycle`, entered: a new simulated
  execution environment with its own ``/tmp`` (under pytest's ``tmp_path``), the records it
  writes, and ways to pass idle time, fill ``/tmp``, restore and shut down.

A suite that uses neither is not affected in any way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .testing import LambdaContext, Lifecycle


@pytest.fixture
def lambda_context() -> LambdaContext:
    """A fresh Lambda context for one invocation."""
    return LambdaContext()


@pytest.fixture
def lifecycle(tmp_path: Path) -> Iterator[Lifecycle]:
    """A simulated execution environment around the test."""
    tmp = tmp_path / "lambda-tmp"
    tmp.mkdir()
    with Lifecycle(tmp_dir=str(tmp)) as simulation:
        yield simulation
