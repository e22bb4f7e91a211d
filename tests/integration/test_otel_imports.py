"""OpenTelemetry costs nothing unless integrated: not even an import, installed or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys

NOT_INSTALLED = (
    "import sys\n"
    "class NotInstalled:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] == 'opentelemetry':\n"
    "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
    "sys.meta_path.insert(0, NotInstalled())\n"
)


def run(code: str, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {"out": json.loads(result.stdout.splitlines()[-1]), "stderr": result.stderr}


USE_THE_SDK = (
    "import sys, json, os\n"
    "import lambda_lifecycle\n"
    "from lambda_lifecycle import testing\n"
    "lambda_lifecycle.bootstrap(service='orders')\n"
    "handler = lambda_lifecycle.instrument(lambda event, context: event)\n"
    "with testing.capture():\n"
    "    handler({'Records': [{'eventSource': 'aws:sqs'}]}, testing.LambdaContext())\n"
    "    handler({}, testing.LambdaContext())\n"
    "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'opentelemetry')), flush=True)\n"
    "os._exit(0)\n"
)


def test_the_sdk_imports_no_opentelemetry_unless_integrated():
    import opentelemetry.trace  # noqa: F401 - installed here: the SDK must still not import it

    assert run(USE_THE_SDK)["out"] == []
    assert run(USE_THE_SDK, LAMBDA_LIFECYCLE_OTEL="false")["out"] == []
    assert "opentelemetry.trace" in run(USE_THE_SDK, LAMBDA_LIFECYCLE_OTEL="true")["out"]


def test_asked_for_without_the_api_installed_it_warns_once_and_the_handler_runs():
    ran = run(NOT_INSTALLED + USE_THE_SDK, LAMBDA_LIFECYCLE_OTEL="true")
    assert ran["out"] == []
    warnings = [line for line in ran["stderr"].splitlines() if "LifecycleWarning" in line]
    assert len(warnings) == 1, ran["stderr"]
    assert "opentelemetry-api is not installed" in warnings[0]
    assert "lambda-lifecycle[otel]" in warnings[0]
