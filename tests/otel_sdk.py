"""The OpenTelemetry SDK's in-memory exporter and reader, read back as plain data, for the tests."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class Telemetry:
    """A tracer provider and a meter provider that keep what they are given, in memory."""

    def __init__(self, resource: Resource | None = None) -> None:
        resource = resource or Resource.get_empty()
        self.exporter = InMemorySpanExporter()
        self.reader = InMemoryMetricReader()
        self.tracer_provider = TracerProvider(resource=resource)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.meter_provider = MeterProvider(resource=resource, metric_readers=[self.reader])
        self.tracer = self.tracer_provider.get_tracer("tests")

    def spans(self) -> list[dict[str, Any]]:
        return spans_of(self.exporter)

    def metrics(self) -> dict[str, dict[str, Any]]:
        return metrics_of(self.reader)


def spans_of(exporter: InMemorySpanExporter) -> list[dict[str, Any]]:
    """The finished spans, oldest first: name, attributes, resource attributes, events, parent."""
    return [
        {
            "name": span.name,
            "attributes": dict(span.attributes or {}),
            "resource": dict(span.resource.attributes),
            "events": [
                {"name": event.name, "attributes": dict(event.attributes or {}), "time": event.timestamp}
                for event in span.events
            ],
            "span_id": span.context.span_id,
            "parent_id": span.parent.span_id if span.parent is not None else None,
            "start": span.start_time,
            "end": span.end_time,
        }
        for span in exporter.get_finished_spans()
    ]


def metrics_of(reader: InMemoryMetricReader) -> dict[str, dict[str, Any]]:
    """Each metric by name: unit, resource attributes, and its points by ``faas.trigger``
    (counters: the sum; histograms: count, sum and bucket boundaries)."""
    data = reader.get_metrics_data()
    found: dict[str, dict[str, Any]] = {}
    if data is None:
        return found
    for resource_metrics in json.loads(data.to_json())["resource_metrics"]:
        resource = resource_metrics["resource"]["attributes"]
        for scope in resource_metrics["scope_metrics"]:
            for metric in scope["metrics"]:
                points = {}
                for point in metric["data"]["data_points"]:
                    trigger = point["attributes"].get("faas.trigger")
                    if "value" in point:
                        points[trigger] = point["value"]
                    else:
                        points[trigger] = {
                            "count": point["count"],
                            "sum": point["sum"],
                            "bounds": point["explicit_bounds"],
                        }
                found[metric["name"]] = {
                    "unit": metric["unit"],
                    "resource": resource,
                    "scope": scope["scope"]["name"],
                    "points": points,
                }
    return found
