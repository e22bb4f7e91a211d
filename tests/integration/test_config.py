"""Settings read from a malformed environment, in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

from lambda_lifecycle.contract import KIND_KEY


def test_malformed_environment_never_breaks_import(tmp_path):
    env = {
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9",  # in Lambda, where the shutdown record is written
        "LAMBDA_LIFECYCLE_TMP_PATH": str(tmp_path),
        "LAMBDA_LIFECYCLE_FORMAT": "xml",
        "LAMBDA_LIFECYCLE_METRICS": ",,,",
        "LAMBDA_LIFECYCLE_DIMENSIONS": "=",
        "LAMBDA_LIFECYCLE_DISABLED": "maybe",
        "LAMBDA_LIFECYCLE_PROACTIVE_INIT_THRESHOLD_MS": "inf",
        "LAMBDA_LIFECYCLE_TIMEOUT_WARNING_MS": "soon",
        "LAMBDA_LIFECYCLE_HANDLE_SIGTERM": "maybe",
        "LAMBDA_LIFECYCLE_SHUTDOWN_BUDGET_MS": "-1",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "weird",
        "PATH": "/usr/bin:/bin",
    }
    code = (
        "import lambda_lifecycle as l, lambda_lifecycle.testing as t;"
        " print(l.instrument(lambda e, c: 'ok')({}, t.LambdaContext()))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    record, returned, shutdown = result.stdout.splitlines()
    assert returned == "ok"
    assert json.loads(record)[KIND_KEY] == "invoke"
    assert json.loads(shutdown)["shutdown_budget_ms"] == 400  # the malformed budget fell back
    for variable in ("TIMEOUT_WARNING_MS", "HANDLE_SIGTERM", "SHUTDOWN_BUDGET_MS"):
        assert f"LAMBDA_LIFECYCLE_{variable}" in result.stderr
