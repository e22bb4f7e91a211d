from __future__ import annotations

import os

import pytest
from browser import CHROMIUM


@pytest.fixture
def chromium():
    """Chromium's path; CI must have it, elsewhere its tests skip without it."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: install Debian's chromium (apt-get install -y chromium)")
        pytest.skip("no chromium on PATH: apt-get install -y chromium (Debian) to run the browser tests")
    return CHROMIUM
