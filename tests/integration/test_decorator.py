"""@instrument in a real process whose stdout is closed."""

from __future__ import annotations

import subprocess
import sys


def test_closed_stdout_in_a_real_process():
    # The whole chain, in a process whose stdout is really closed: exit 0, result intact.
    code = (
        "import os, lambda_lifecycle\n"
        "os.close(1)\n"
        "h = lambda_lifecycle.instrument(lambda e, c: 'ok')\n"
        "import sys\n"
        "sys.stderr.write(repr([h({}, None) for _ in range(3)]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "['ok', 'ok', 'ok']" in result.stderr
    assert result.stderr.count("LifecycleWarning") == 1
