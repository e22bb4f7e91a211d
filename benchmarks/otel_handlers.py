"""The handlers of the OpenTelemetry figure (e): the plain SDK, the SDK integrated with
OpenTelemetry, ``opentelemetry-instrumentation-aws-lambda`` alone, and the two stacked.

Providers as in Lambda but for the network: the OpenTelemetry SDK's tracer and meter providers,
spans exported one by one and metrics on every flush, to exporters that drop what they get. The
instrumentation flushes both providers after every invocation, and so does the integrated SDK
when no tracing wrapper is outside it: each variant pays what it would in a function.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from lambda_like import bare

INSTRUMENTED = "otel_handlers.target"


def _providers() -> None:
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import get_aggregated_resources
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    from lambda_lifecycle.otel.resource import LambdaResourceDetector

    class DropSpans(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    class DropMetrics(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
            pass

    resource = get_aggregated_resources([LambdaResourceDetector()])
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(DropSpans()))
    trace.set_tracer_provider(tracer_provider)
    # An interval longer than the run: metrics are exported by the flushes only, as in Lambda.
    reader = PeriodicExportingMetricReader(DropMetrics(), export_interval_millis=24 * 3600 * 1000)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))


def target(event: dict[str, Any], context: Any) -> Any:
    """What the instrumentation wraps: it calls the handler the event names, so one wrapper
    serves the instrumentation alone and the instrumentation stacked on the SDK."""
    return event["handler"](event, context)


def handlers() -> dict[str, tuple[Callable[..., Any], dict[str, Any], bool | None]]:
    """Each variant: the function called, its event, and the SDK's integration: ``None`` none,
    else ``integrate(flush=...)``."""
    from opentelemetry.instrumentation.aws_lambda import AwsLambdaInstrumentor

    import lambda_lifecycle

    _providers()
    os.environ["_HANDLER"] = INSTRUMENTED  # what the instrumentation wraps, as in Lambda
    AwsLambdaInstrumentor().instrument()
    import otel_handlers  # the module as the instrumentation left it

    sdk = lambda_lifecycle.instrument(bare)
    wrapped = otel_handlers.target
    return {
        "bare": (bare, {}, None),
        "lambda-lifecycle": (sdk, {}, None),
        # Alone, the integration flushes both providers after every invocation, as it must in
        # Lambda; without the flush: what recording costs by itself.
        "lambda-lifecycle + otel": (sdk, {}, True),
        "lambda-lifecycle + otel, no flush": (sdk, {}, False),
        "instrumentation": (wrapped, {"handler": bare}, None),
        # The instrumentation outside flushes; the integration then does not.
        "instrumentation + lambda-lifecycle otel": (wrapped, {"handler": sdk}, True),
    }
