"""What the OpenTelemetry end-to-end tests run under awslambdaric, the OpenTelemetry Lambda layer's
way: providers made first (an in-memory exporter and reader here), the Lambda instrumentation
wrapping the handler ``ORIG_HANDLER`` names, and ``lambda_handler`` the one Lambda calls.

With ``OTEL_E2E_SDK_OUTSIDE=true`` lambda-lifecycle instruments the instrumentation's wrapper
instead (the tracing wrapper inside). An event ``{"telemetry": true}`` returns what the exporter
and the reader hold, without invoking anything.
"""

import importlib
import os

import providers  # examples/otel/providers.py
from opentelemetry.instrumentation.aws_lambda import AwsLambdaInstrumentor
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from otel_sdk import metrics_of, spans_of  # tests/otel_sdk.py

import lambda_lifecycle

exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
providers.configure(SimpleSpanProcessor(exporter), reader)
AwsLambdaInstrumentor().instrument()

_module, _name = os.environ["ORIG_HANDLER"].rsplit(".", 1)
wrapped = getattr(importlib.import_module(_module), _name)
if os.environ.get("OTEL_E2E_SDK_OUTSIDE") == "true":
    wrapped = lambda_lifecycle.instrument(wrapped)


def lambda_handler(event, context):
    if event.get("telemetry"):
        return {"spans": spans_of(exporter), "metrics": metrics_of(reader)}
    return wrapped(event, context)
