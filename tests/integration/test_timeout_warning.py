"""The near-timeout watchdog in fresh interpreters: no thread when off, absurd deadlines."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lambda_lifecycle.contract import KIND_KEY


def test_no_watchdog_thread_when_the_warning_is_off():
    code = (
        "import threading, lambda_lifecycle\n"
        "lambda_lifecycle.instrument(timeout_warning_ms=0)(lambda e, c: None)\n"
        "print([t.name for t in threading.enumerate() if t.name.startswith('lambda-lifecycle')])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.splitlines()[0] == "[]"


@pytest.mark.parametrize("remaining", ["1e15", "float('inf')", "float('nan')"])
def test_an_absurd_deadline_leaves_later_invocations_watched(remaining):
    code = f"""
import time, lambda_lifecycle
from lambda_lifecycle import testing

class Forever:
    def get_remaining_time_in_millis(self):
        return {remaining}

@lambda_lifecycle.instrument(timeout_warning_ms=100)
def handler(event, context):
    time.sleep(event)

handler(0.05, Forever())
handler(0.5, testing.LambdaContext(timeout_s=0.3))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    events = [line for line in result.stdout.splitlines() if f'"{KIND_KEY}":"timeout_warning"' in line]
    assert len(events) == 1, result.stdout
    assert "Exception" not in result.stderr
    assert "Traceback" not in result.stderr
