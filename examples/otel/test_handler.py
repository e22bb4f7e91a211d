import json
import os
import subprocess
import sys
from pathlib import Path

# Global providers can be set once per process, and the instrumentation wraps the handler module
# for good: the function runs in a process of its own, with the Lambda instrumentation outside.
RUN = """
import json
from opentelemetry.instrumentation.aws_lambda import AwsLambdaInstrumentor
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import providers
from lambda_lifecycle import testing

spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
providers.configure(SimpleSpanProcessor(spans), reader)
AwsLambdaInstrumentor().instrument()
import handler

for _ in range(2):
    handler.lambda_handler({}, testing.LambdaContext(function_name="orders", memory_limit_in_mb=256))
metrics = json.loads(reader.get_metrics_data().to_json())["resource_metrics"][0]["scope_metrics"][0]["metrics"]
print("telemetry:", json.dumps({
    "spans": [
        {"attributes": dict(span.attributes), "resource": dict(span.resource.attributes)}
        for span in spans.get_finished_spans()
    ],
    "metrics": sorted(metric["name"] for metric in metrics),
}))
"""


def test_the_lambda_span_and_the_metrics_carry_the_lifecycle():
    ours = ("AWS_LAMBDA_", "LAMBDA_LIFECYCLE_", "OTEL_")
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(ours)},
        "_HANDLER": "handler.lambda_handler",  # what the instrumentation wraps
        "AWS_LAMBDA_FUNCTION_NAME": "orders",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/07/[$LATEST]8f5a0c1e2d3b4a5968778695a4b3c2d1",
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
    [found] = [json.loads(line.split(" ", 1)[1]) for line in done.stdout.splitlines() if line.startswith("telemetry: ")]
    first, second = (span["attributes"] for span in found["spans"])
    assert (first["faas.coldstart"], second["faas.coldstart"]) == (True, False)
    assert first["lambda_lifecycle.environment_id"] == second["lambda_lifecycle.environment_id"]
    resource = found["spans"][0]["resource"]
    assert resource["faas.instance"] == env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert resource["faas.max_memory"] == 256 * 1_048_576
    assert "faas.max_memory" not in first  # the resource has it right: the span does not repeat it
    assert {"faas.invocations", "faas.coldstarts", "faas.init_duration", "faas.invoke_duration"} <= set(
        found["metrics"]
    )
