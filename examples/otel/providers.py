"""Providers made in code (without the OpenTelemetry layer), with the resource attributes right.

A resource is fixed when its provider is made: faas.instance and faas.max_memory (bytes) come from
LambdaResourceDetector here, or from OTEL_EXPERIMENTAL_RESOURCE_DETECTORS=lambda_lifecycle where
the OpenTelemetry SDK makes the resource itself.
"""

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import OTELResourceDetector, get_aggregated_resources
from opentelemetry.sdk.trace import TracerProvider

from lambda_lifecycle.otel.resource import LambdaResourceDetector


def configure(span_processor, metric_reader):
    # OTELResourceDetector last: OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win, as usual.
    resource = get_aggregated_resources([LambdaResourceDetector(), OTELResourceDetector()])
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(span_processor)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[metric_reader]))
