import json
import os
import subprocess
import sys
from pathlib import Path

from lambda_lifecycle.contract import KIND_KEY

# The integration registers itself for the whole process: run the function in a process of its own.
RUN = """
import handler
from lambda_lifecycle import testing
handler.lambda_handler({}, testing.LambdaContext(function_name="orders"))
handler.lambda_handler({}, testing.LambdaContext(function_name="orders"))
"""


def test_one_document_per_invocation_and_lifecycle_keys_on_log_lines():
    # No POWERTOOLS_SERVICE_NAME or POWERTOOLS_METRICS_NAMESPACE: the handler names its service and namespace.
    ours = ("AWS_LAMBDA_", "LAMBDA_LIFECYCLE_", "POWERTOOLS_")
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(ours)},
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN],
        cwd=Path(__file__).parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    logs = [line for line in lines if line.get("message") == "order received"]
    invocations = [line for line in lines if "_aws" in line and line.get(KIND_KEY) == "invoke"]
    assert [(log["invocation"], log["cold_start"]) for log in logs] == [(1, True), (2, False)]
    assert {log["service"] for log in logs} == {"orders"}
    # The lifecycle's fields and metrics in the Powertools document of each invocation.
    assert [record["ColdStart"] for record in invocations] == [[1.0], [0.0]]
    assert invocations[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Shop"
    assert invocations[0]["container_id"] == logs[0]["container_id"]
